/**
 * The external term format BIFs: term_to_binary/1,2, term_to_iovec/1,2,
 * binary_to_term/1,2 and external_size/1,2, over the codec in
 * loader/etf.ts. Options and errors are OTP 25's (checked against erl in
 * test/bifs/erlang_etf.test.ts), including its quirks: external_size/2 only
 * takes {minor_version, 0 | 1}; term_to_iovec/2 with a compression level
 * above 0 returns a plain binary, not a list.
 */
import { randomFillSync } from 'node:crypto';
import { defineBifs } from './registry.js';
import { binaryArg, listArg, subBits } from './erlang_util.js';
import { Bitstring, EMap, ImproperList, LocalFun, Tuple, type ETerm } from '../loader/eterm.js';
import { decodeEtfFrom, encodeEtf } from '../loader/etf.js';
import { BeamFormatError } from '../loader/errors.js';
import { ByteReader } from '../loader/reader.js';
import type { Process } from '../vm/process.js';
import { badarg } from '../vm/errors.js';
import { FUN_FIXED_WORDS, fromETerm, mapEntries, sizeOfETerm, toETerm } from '../vm/term/build.js';
import type { TermToBinaryOptions } from '../vm/term/etf.js';
import { isTuple, mkBinary, mkInt, mkList, mkTuple2, tupleElements } from '../vm/term/make.js';
import {
  HEAP_BINARY_LIMIT,
  NIL,
  SUB_FUN,
  SUB_HEAP_BINARY,
  SUB_MAP,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  SUB_TUPLE,
  type Term,
  headerSubtag,
  isAtom,
  isBoxed,
  isList,
  isSmall,
  ptrVal,
  smallVal,
} from '../vm/term/tags.js';

/** term_to_binary's options; badarg for anything else. */
function encodeOptions(p: Process, opts: Term): TermToBinaryOptions {
  const out: TermToBinaryOptions = {};
  for (const o of listArg(p, opts)) {
    if (isAtom(o)) {
      const name = p.atoms.name(o);
      if (name === 'compressed') out.compressed = 6;
      else if (name === 'deterministic') out.deterministic = true;
      else throw badarg();
      continue;
    }
    if (!isTuple(p, o)) throw badarg();
    const el = tupleElements(p, o);
    if (el.length !== 2 || !isAtom(el[0]!) || !isSmall(el[1]!)) throw badarg();
    const name = p.atoms.name(el[0]!);
    const v = smallVal(el[1]!);
    if (name === 'compressed' && v >= 0 && v <= 9) out.compressed = v;
    else if (name === 'minor_version' && v >= 0 && v <= 2) out.minorVersion = v as 0 | 1 | 2;
    else throw badarg();
  }
  return out;
}

function encode(p: Process, t: Term, opts: TermToBinaryOptions = {}): Uint8Array {
  return encodeEtf(toETerm(p, t), opts);
}

// ---------------------------------------------------------------- term_to_iovec

/**
 * The binaries term_to_iovec hands out by reference instead of copying: a
 * reference-counted binary, or a byte-aligned sub-binary of one, with more
 * than 64 whole bytes (what the real VM does; heap binaries and unaligned
 * sub-binaries are copied into the iovec's own binaries).
 */
function isSharedBinary(p: Process, t: Term): boolean {
  const w = p.mem.i32;
  const at = ptrVal(t);
  const sub = headerSubtag(w[at]!);
  if (sub === SUB_REFC_BINARY) return w[at + 1]! > HEAP_BINARY_LIMIT;
  if (sub !== SUB_SUB_BINARY) return false;
  return w[at + 4] === 0 && w[at + 1]! > HEAP_BINARY_LIMIT && headerSubtag(w[ptrVal(w[at + 5]!)]!) === SUB_REFC_BINARY;
}

/**
 * Walks the heap term and its ETerm (toETerm's output) side by side and
 * returns the ETerm Bitstrings that stand for shared binaries, with the
 * heap term of each.
 */
function sharedBinaries(p: Process, t: Term, e: ETerm): Map<Bitstring, Term> {
  const found = new Map<Bitstring, Term>();
  const w = p.mem.i32;
  const stack: Array<[Term, ETerm]> = [[t, e]];
  while (stack.length > 0) {
    let [x, ex] = stack.pop()!;
    if (isList(x)) {
      // toETerm gives a proper list as an array, an improper one as ImproperList.
      const items = ex instanceof ImproperList ? ex.items : (ex as ETerm[]);
      let i = 0;
      while (isList(x)) {
        const c = ptrVal(x);
        stack.push([w[c]!, items[i++]!]);
        x = w[c + 1]!;
      }
      if (x !== NIL && ex instanceof ImproperList) stack.push([x, ex.tail]);
      continue;
    }
    if (!isBoxed(x)) continue;
    const at = ptrVal(x);
    const hdr = w[at]!;
    switch (headerSubtag(hdr)) {
      case SUB_TUPLE: {
        const el = (ex as Tuple).elements;
        for (let i = 0; i < el.length; i++) stack.push([w[at + 1 + i]!, el[i]!]);
        break;
      }
      case SUB_MAP: {
        const m = ex as EMap;
        mapEntries(p, x).forEach(([k, v], i) => stack.push([k, m.keys[i]!], [v, m.values[i]!]));
        break;
      }
      case SUB_FUN: {
        const free = (ex as LocalFun).freeVars;
        for (let i = 0; i < free.length; i++) stack.push([w[at + FUN_FIXED_WORDS + i]!, free[i]!]);
        break;
      }
      case SUB_REFC_BINARY:
      case SUB_SUB_BINARY:
      case SUB_HEAP_BINARY:
        if (isSharedBinary(p, x)) found.set(ex as Bitstring, x);
        break;
      default:
        break; // no terms inside (numbers, refs, pids, export funs ...)
    }
  }
  return found;
}

/**
 * term_to_iovec without compression: the encoding cut around each shared
 * binary, which appears by reference (a sub-binary of its whole bytes).
 * The shared binaries' bytes are swapped for random ones while encoding, so
 * each can be found in the output (a false match has probability 2^-520).
 */
function termToIovec(p: Process, t: Term, opts: TermToBinaryOptions): Term {
  const e = toETerm(p, t);
  const shared = sharedBinaries(p, t, e);
  const originals: Array<[Bitstring, Uint8Array, Term]> = [];
  for (const [b, term] of shared) {
    originals.push([b, b.bytes.slice(), term]);
    const whole = b.bitLength >>> 3;
    randomFillSync(b.bytes, 0, whole);
  }
  const bytes = Buffer.from(encodeEtf(e, opts));
  // Where each sentinel landed, in output order.
  const spots = originals
    .map(([b, , term]) => {
      const whole = b.bitLength >>> 3;
      return { at: bytes.indexOf(b.bytes.subarray(0, whole)), whole, term };
    })
    .sort((a, b) => a.at - b.at);
  const parts: Term[] = [];
  let from = 0;
  for (const s of spots) {
    if (s.at < 0) throw new Error('term_to_iovec: a shared binary was not found in the encoding');
    if (s.at > from) parts.push(mkBinary(p, bytes.subarray(from, s.at)));
    parts.push(subBits(p, s.term, 0, s.whole * 8));
    from = s.at + s.whole;
  }
  if (from < bytes.length || parts.length === 0) parts.push(mkBinary(p, bytes.subarray(from)));
  return mkList(p, parts);
}

// ---------------------------------------------------------------- binary_to_term

/** Decodes an external term (trailing bytes ignored, as OTP does); returns the term and the bytes used. */
function decode(p: Process, b: Term, safe: boolean): [Term, number] {
  const bytes = binaryArg(p, b).slice();
  if (bytes.length === 0 || bytes[0] !== 131) throw badarg();
  const reader = new ByteReader(bytes, 'etf', 1);
  let e: ETerm;
  try {
    e = decodeEtfFrom(reader, { safe, atomExists: (name) => p.atoms.existing(name) !== undefined });
  } catch (err) {
    if (err instanceof BeamFormatError) throw badarg();
    throw err;
  }
  const t = fromETerm(p, p.heapFor(sizeOfETerm(e, p)), e);
  return [t, reader.pos];
}

// ---------------------------------------------------------------- registration

defineBifs('erlang', 'bif', {
  'term_to_binary/1': (p, [t]) => mkBinary(p, encode(p, t!)),
  'term_to_binary/2': (p, [t, o]) => mkBinary(p, encode(p, t!, encodeOptions(p, o!))),
  'term_to_iovec/1': (p, [t]) => termToIovec(p, t!, {}),
  'term_to_iovec/2': (p, [t, o]) => {
    const opts = encodeOptions(p, o!);
    if (typeof opts.compressed === 'number' && opts.compressed > 0) return mkBinary(p, encode(p, t!, opts));
    return termToIovec(p, t!, opts);
  },
  'external_size/1': (p, [t]) => mkInt(p, encode(p, t!).length),
  'external_size/2': (p, [t, o]) => {
    let minor: 0 | 1 = 1;
    for (const x of listArg(p, o!)) {
      if (!isTuple(p, x)) throw badarg();
      const el = tupleElements(p, x);
      if (el.length !== 2 || el[0] !== p.atoms.intern('minor_version') || !isSmall(el[1]!)) throw badarg();
      const v = smallVal(el[1]!);
      if (v !== 0 && v !== 1) throw badarg();
      minor = v;
    }
    return mkInt(p, encode(p, t!, { minorVersion: minor }).length);
  },
  'binary_to_term/1': (p, [b]) => decode(p, b!, false)[0],
  'binary_to_term/2': (p, [b, o]) => {
    let safe = false;
    let used = false;
    for (const x of listArg(p, o!)) {
      const name = isAtom(x) ? p.atoms.name(x) : '';
      if (name === 'safe') safe = true;
      else if (name === 'used') used = true;
      else throw badarg();
    }
    const [t, n] = decode(p, b!, safe);
    return used ? mkTuple2(p, t, mkInt(p, n)) : t;
  },
});
