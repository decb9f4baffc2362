/**
 * term_to_binary and binary_to_term on terms in shared memory, by way of the
 * loader's codec (loader/etf.ts): a term is read into the JS model and
 * encoded, or decoded and built. The codec is byte-exact with OTP 25's
 * term_to_binary, map entry order included: toETerm gives maps in iteration
 * order and the encoder writes a HAMT's entries reversed, as OTP does.
 * (Decoding orders maps too; fromETerm then lays them out by our own hash,
 * whatever order they come in.)
 */
import { decodeEtf, encodeEtf } from '../../loader/etf.js';
import { fromETerm, toETerm } from './build.js';
import type { Heap, TermContext } from './heap.js';
import type { Term } from './tags.js';

export interface TermToBinaryOptions {
  /** [compressed] when true (zlib level 6), {compressed, Level} when a number. */
  compressed?: boolean | number;
  /** {minor_version, N}; 1 by default, as in OTP 25. */
  minorVersion?: 0 | 1 | 2;
  /** [deterministic]: every map's entries in map-key order. */
  deterministic?: boolean;
}

/** term_to_binary(T, Opts). */
export function termToBinary(ctx: TermContext, t: Term, opts: TermToBinaryOptions = {}): Uint8Array {
  return encodeEtf(toETerm(ctx, t), opts);
}

/**
 * binary_to_term(Bytes, Opts): the term is built on `heap` (HeapFullError
 * when it does not fit; the caller makes room and retries). With `safe`,
 * an atom that does not exist yet is an error, as in OTP. Malformed input
 * throws the codec's BeamFormatError (badarg for the VM).
 */
export function binaryToTerm(ctx: TermContext, heap: Heap, bytes: Uint8Array, opts: { safe?: boolean } = {}): Term {
  const safe = opts.safe === true;
  const e = decodeEtf(bytes, { safe, atomExists: (name) => ctx.atoms.existing(name) !== undefined });
  return fromETerm(ctx, heap, e);
}
