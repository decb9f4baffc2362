/**
 * Small helpers shared by the `erlang` BIF groups (bifs/erlang_*.ts):
 * reading arguments with the real VM's checks, building results, and the
 * bit-level plumbing for sub-binaries. Nothing here registers BIFs.
 */
import type { Process } from '../vm/process.js';
import { ATOM_FALSE, ATOM_TRUE, AtomLimitError } from '../vm/term/atoms.js';
import { badarg, systemLimit } from '../vm/errors.js';
import { binaryBytes, intValue, isBitstring, mkSubBinary } from '../vm/term/make.js';
import type { Int } from '../vm/term/integers.js';
import { NIL, SUB_SUB_BINARY, type Term, headerSubtag, isList, isSmall, ptrVal, smallVal } from '../vm/term/tags.js';

export const bool = (v: boolean): Term => (v ? ATOM_TRUE : ATOM_FALSE);

/** Interns an atom, turning a too-long name or a full table into system_limit. */
export function internChecked(p: Process, name: string): Term {
  try {
    return p.atoms.intern(name);
  } catch (e) {
    if (e instanceof AtomLimitError) throw systemLimit();
    throw e;
  }
}

/** An integer argument, or badarg. */
export function intArg(p: Process, t: Term): Int {
  if (isSmall(t)) return smallVal(t);
  const v = intValue(p, t);
  if (v === undefined) throw badarg();
  return v;
}

/** Walks a proper list, or throws badarg. */
export function listArg(p: Process, t: Term): Term[] {
  const out: Term[] = [];
  const w = p.mem.i32;
  while (isList(t)) {
    const c = ptrVal(t);
    out.push(w[c]!);
    t = w[c + 1]!;
  }
  if (t !== NIL) throw badarg();
  return out;
}

/** The bytes of a binary argument (whole bytes only), or badarg. The view must not be kept past an allocation. */
export function binaryArg(p: Process, t: Term): Uint8Array {
  if (!isBitstring(p, t)) throw badarg();
  const { bytes, bitLength } = binaryBytes(p, t);
  if ((bitLength & 7) !== 0) throw badarg();
  return bytes;
}

/** The bits of a bitstring argument, or badarg. */
export function bitsArg(p: Process, t: Term): { bytes: Uint8Array; bitLength: number } {
  if (!isBitstring(p, t)) throw badarg();
  return binaryBytes(p, t);
}

/**
 * A sub-binary of `bitLength` bits at bit `bitOffset` of the bitstring `t`,
 * sharing its storage (the orig of a sub-binary is never another sub-binary).
 */
export function subBits(p: Process, t: Term, bitOffset: number, bitLength: number): Term {
  const w = p.mem.i32;
  const at = ptrVal(t);
  let orig = t;
  let base = 0;
  if (headerSubtag(w[at]!) === SUB_SUB_BINARY) {
    base = w[at + 3]! * 8 + w[at + 4]!;
    orig = w[at + 5]!;
  }
  return mkSubBinary(p, orig, base + bitOffset, bitLength);
}

/** A flat string (list of Unicode code points, surrogates excluded), or badarg. */
export function stringArg(p: Process, t: Term): string {
  let s = '';
  const w = p.mem.i32;
  while (isList(t)) {
    const c = ptrVal(t);
    const ch = w[c]!;
    if (!isSmall(ch)) throw badarg();
    const v = smallVal(ch);
    if (v < 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw badarg();
    s += String.fromCodePoint(v);
    t = w[c + 1]!;
  }
  if (t !== NIL) throw badarg();
  return s;
}

/** Latin-1 text of bytes (one character per byte). */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}
