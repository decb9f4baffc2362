/**
 * Building and reading terms on a process heap, for the interpreter and the
 * BIFs: the small fast constructors (`mkTuple`, `mkCons`, `mkList`, ...) and
 * readers (`listToArray`, `tupleElements`, ...). The layouts are those of
 * vm/term/build.ts; the tag bits come from vm/term/tags.ts.
 *
 * A `Builder` is anything with the term context and an `alloc(words)` that
 * never fails: a process (whose alloc falls back to heap fragments) or a
 * plain heap in tests.
 */
import type { Memory } from '../memory.js';
import type { AtomTable } from './atoms.js';
import { bignumValue, binaryBytes, floatValue } from './build.js';
import type { TermContext } from './heap.js';
import { type Int, normalize } from './integers.js';
import {
  FLOAT_HEADER,
  HEAP_BINARY_LIMIT,
  NIL,
  SUB_EXPORT,
  SUB_FLOAT,
  SUB_FUN,
  SUB_HEAP_BINARY,
  SUB_MAP,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  SUB_TUPLE,
  type Term,
  fitsSmall,
  headerArity,
  headerSubtag,
  isBoxed,
  isList,
  isSmall,
  makeBoxed,
  makeHeader,
  makeList,
  makeSmall,
  ptrVal,
  smallVal,
  isAtom,
} from './tags.js';

export interface Builder extends TermContext {
  readonly mem: Memory;
  readonly atoms: AtomTable;
  /** Reserves `words` words on the heap (or a fragment) and returns the first word's index. */
  alloc(words: number): number;
  /** Records a ProcBin just built at `procBin` so the GC can release its block (may be a no-op). */
  linkOffHeap?(procBin: number): void;
}

// Scratch for moving doubles in and out of words.
const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);

// ---------------------------------------------------------------- building

export function mkTuple(b: Builder, elems: readonly Term[]): Term {
  const n = elems.length;
  const at = b.alloc(n + 1);
  const w = b.mem.i32;
  w[at] = makeHeader(n, SUB_TUPLE);
  for (let i = 0; i < n; i++) w[at + 1 + i] = elems[i]!;
  return makeBoxed(at);
}

export function mkTuple2(b: Builder, e1: Term, e2: Term): Term {
  const at = b.alloc(3);
  const w = b.mem.i32;
  w[at] = makeHeader(2, SUB_TUPLE);
  w[at + 1] = e1;
  w[at + 2] = e2;
  return makeBoxed(at);
}

export function mkTuple3(b: Builder, e1: Term, e2: Term, e3: Term): Term {
  const at = b.alloc(4);
  const w = b.mem.i32;
  w[at] = makeHeader(3, SUB_TUPLE);
  w[at + 1] = e1;
  w[at + 2] = e2;
  w[at + 3] = e3;
  return makeBoxed(at);
}

export function mkCons(b: Builder, head: Term, tail: Term): Term {
  const at = b.alloc(2);
  const w = b.mem.i32;
  w[at] = head;
  w[at + 1] = tail;
  return makeList(at);
}

/** A proper list of the elements (or ending in `tail`). */
export function mkList(b: Builder, elems: readonly Term[], tail: Term = NIL): Term {
  const n = elems.length;
  if (n === 0) return tail;
  const at = b.alloc(2 * n);
  const w = b.mem.i32;
  for (let i = 0; i < n; i++) {
    w[at + 2 * i] = elems[i]!;
    w[at + 2 * i + 1] = i + 1 < n ? makeList(at + 2 * i + 2) : tail;
  }
  return makeList(at);
}

/** A list of the string's code points (an Erlang string). */
export function mkString(b: Builder, s: string, tail: Term = NIL): Term {
  const cps: Term[] = [];
  for (const ch of s) cps.push(makeSmall(ch.codePointAt(0)!));
  return mkList(b, cps, tail);
}

/** A list of small integers (bytes, code points). */
export function mkIntList(b: Builder, values: ArrayLike<number>, tail: Term = NIL): Term {
  const n = values.length;
  if (n === 0) return tail;
  const at = b.alloc(2 * n);
  const w = b.mem.i32;
  for (let i = 0; i < n; i++) {
    w[at + 2 * i] = makeSmall(values[i]!);
    w[at + 2 * i + 1] = i + 1 < n ? makeList(at + 2 * i + 2) : tail;
  }
  return makeList(at);
}

export function mkFloat(b: Builder, x: number): Term {
  const at = b.alloc(3);
  const w = b.mem.i32;
  f64[0] = x;
  w[at] = FLOAT_HEADER;
  w[at + 1] = f64w[0]!;
  w[at + 2] = f64w[1]!;
  return makeBoxed(at);
}

/** An integer term: a small when it fits in 28 bits, else a bignum (raw 32-bit digits, least significant first). */
export function mkInt(b: Builder, v: Int): Term {
  if (typeof v === 'number') {
    if (fitsSmall(v)) return makeSmall(v);
    const neg = v < 0;
    const m = neg ? -v : v;
    if (m < 2 ** 32) {
      const at = b.alloc(2);
      b.mem.i32[at] = makeHeader(1, neg ? SUB_NEG_BIG : SUB_POS_BIG);
      b.mem.i32[at + 1] = m | 0;
      return makeBoxed(at);
    }
    const at = b.alloc(3);
    b.mem.i32[at] = makeHeader(2, neg ? SUB_NEG_BIG : SUB_POS_BIG);
    b.mem.i32[at + 1] = m % 2 ** 32 | 0;
    b.mem.i32[at + 2] = Math.floor(m / 2 ** 32) | 0;
    return makeBoxed(at);
  }
  if (v >= -134217728n && v <= 134217727n) return makeSmall(Number(v));
  const neg = v < 0n;
  let m = neg ? -v : v;
  const hex = m.toString(16);
  const digits = Math.ceil(hex.length / 8);
  const at = b.alloc(1 + digits);
  const w = b.mem.i32;
  w[at] = makeHeader(digits, neg ? SUB_NEG_BIG : SUB_POS_BIG);
  for (let k = 0; k < digits; k++) {
    const end = hex.length - 8 * k;
    w[at + 1 + k] = parseInt(hex.slice(Math.max(0, end - 8), end), 16) | 0;
  }
  m = 0n;
  return makeBoxed(at);
}

/** A binary of these bytes: on the heap up to 64 bytes, else a ProcBin over a reference-counted off-heap block. */
export function mkBinary(b: Builder, bytes: Uint8Array): Term {
  const n = bytes.length;
  const mem = b.mem;
  if (n <= HEAP_BINARY_LIMIT) {
    const words = (n + 3) >>> 2;
    const at = b.alloc(2 + words);
    const w = mem.i32;
    w[at] = makeHeader(1 + words, SUB_HEAP_BINARY);
    w[at + 1] = n;
    if (words > 0) w[at + 1 + words] = 0; // padding of the last word
    mem.u8.set(bytes, (at + 2) * 4);
    return makeBoxed(at);
  }
  const block = newOffHeapBlock(mem, n);
  mem.u8.set(bytes, (block + 2) * 4);
  return mkProcBin(b, block, n);
}

/**
 * A fresh off-heap binary block of n bytes with reference count 1:
 * [refcount][n][bytes...]. The caller fills the bytes at (block + 2) * 4.
 */
export function newOffHeapBlock(mem: Memory, n: number): number {
  const words = (n + 3) >>> 2;
  const block = mem.alloc(2 + words);
  mem.refresh();
  const w = mem.i32;
  w[block + 1] = n;
  if (words > 0) w[block + 1 + words] = 0;
  Atomics.store(w, block, 1);
  return block;
}

/** A ProcBin for an off-heap block whose reference this ProcBin takes over. */
export function mkProcBin(b: Builder, block: number, n: number): Term {
  const at = b.alloc(5);
  const w = b.mem.i32;
  w[at] = makeHeader(4, SUB_REFC_BINARY);
  w[at + 1] = n;
  w[at + 2] = block;
  w[at + 3] = 0;
  w[at + 4] = 0;
  b.linkOffHeap?.(at);
  return makeBoxed(at);
}

/**
 * A bitstring of `bitLength` bits taken from `bytes` (the bits past bitLength
 * in the last byte are ignored). Whole bytes give a binary; otherwise a
 * sub-binary over a binary holding the bytes.
 */
export function mkBitstring(b: Builder, bytes: Uint8Array, bitLength: number): Term {
  const whole = bitLength >>> 3;
  const extra = bitLength & 7;
  if (extra === 0) return mkBinary(b, bytes.length === whole ? bytes : bytes.subarray(0, whole));
  const n = whole + 1;
  const copy = bytes.slice(0, n);
  copy[whole] = copy[whole]! & ((0xff << (8 - extra)) & 0xff);
  const orig = mkBinary(b, copy);
  return mkSubBinary(b, orig, 0, bitLength);
}

/**
 * A sub-binary of `bitLength` bits starting at bit `bitOffset` of `orig`
 * (a heap binary or ProcBin, never a sub-binary).
 */
export function mkSubBinary(b: Builder, orig: Term, bitOffset: number, bitLength: number): Term {
  const at = b.alloc(6);
  const w = b.mem.i32;
  w[at] = makeHeader(5, SUB_SUB_BINARY);
  w[at + 1] = bitLength >>> 3;
  w[at + 2] = bitLength & 7;
  w[at + 3] = bitOffset >>> 3;
  w[at + 4] = bitOffset & 7;
  w[at + 5] = orig;
  return makeBoxed(at);
}

export const mkAtom = (b: TermContext, name: string): Term => b.atoms.intern(name);

export const mkBool = (v: boolean): Term => (v ? TRUE : FALSE);
// Fixed indices of the common atoms (vm/term/atoms.ts): false 0, true 1.
const FALSE: Term = (0 << 6) | 0x0b;
const TRUE: Term = (1 << 6) | 0x0b;

// ---------------------------------------------------------------- reading

export const boxedHeader = (ctx: TermContext, t: Term): number => ctx.mem.i32[ptrVal(t)]!;
const boxedSubtag = (ctx: TermContext, t: Term): number => headerSubtag(ctx.mem.i32[ptrVal(t)]!);

export const isTuple = (ctx: TermContext, t: Term): boolean => isBoxed(t) && boxedSubtag(ctx, t) === SUB_TUPLE;
export const tupleArity = (ctx: TermContext, t: Term): number => headerArity(ctx.mem.i32[ptrVal(t)]!);
/** Element i (1-based) of a tuple; no checks. */
export const tupleElement = (ctx: TermContext, t: Term, i: number): Term => ctx.mem.i32[ptrVal(t) + i]!;
export function tupleElements(ctx: TermContext, t: Term): Term[] {
  const p = ptrVal(t);
  const n = headerArity(ctx.mem.i32[p]!);
  return Array.from(ctx.mem.i32.subarray(p + 1, p + 1 + n));
}

export const isFloat = (ctx: TermContext, t: Term): boolean => isBoxed(t) && boxedSubtag(ctx, t) === SUB_FLOAT;
export function isBignum(ctx: TermContext, t: Term): boolean {
  if (!isBoxed(t)) return false;
  const s = boxedSubtag(ctx, t);
  return s === SUB_POS_BIG || s === SUB_NEG_BIG;
}
export const isInteger = (ctx: TermContext, t: Term): boolean => isSmall(t) || isBignum(ctx, t);
export const isNumber = (ctx: TermContext, t: Term): boolean => isSmall(t) || isBignum(ctx, t) || isFloat(ctx, t);
export function isBitstring(ctx: TermContext, t: Term): boolean {
  if (!isBoxed(t)) return false;
  const s = boxedSubtag(ctx, t);
  return s === SUB_HEAP_BINARY || s === SUB_REFC_BINARY || s === SUB_SUB_BINARY;
}
/** Bit length of a bitstring term. */
export function bitSize(ctx: TermContext, t: Term): number {
  const p = ptrVal(t);
  const w = ctx.mem.i32;
  return headerSubtag(w[p]!) === SUB_SUB_BINARY ? w[p + 1]! * 8 + w[p + 2]! : w[p + 1]! * 8;
}
export const isBinary = (ctx: TermContext, t: Term): boolean => isBitstring(ctx, t) && (bitSize(ctx, t) & 7) === 0;
export const isMap = (ctx: TermContext, t: Term): boolean => isBoxed(t) && boxedSubtag(ctx, t) === SUB_MAP;
export function isFun(ctx: TermContext, t: Term): boolean {
  if (!isBoxed(t)) return false;
  const s = boxedSubtag(ctx, t);
  return s === SUB_FUN || s === SUB_EXPORT;
}

/** The value of an integer term, or undefined for a non-integer. */
export function intValue(ctx: TermContext, t: Term): Int | undefined {
  if (isSmall(t)) return smallVal(t);
  if (isBignum(ctx, t)) return normalize(bignumValue(ctx, t));
  return undefined;
}

/** The value of a number term (bignums as bigint), or undefined. */
export function numberValue(ctx: TermContext, t: Term): Int | undefined {
  if (isSmall(t)) return smallVal(t);
  if (!isBoxed(t)) return undefined;
  const s = boxedSubtag(ctx, t);
  if (s === SUB_FLOAT) return floatValue(ctx, t);
  if (s === SUB_POS_BIG || s === SUB_NEG_BIG) return normalize(bignumValue(ctx, t));
  return undefined;
}

/** The elements of a proper list, or undefined if t is not one. */
export function listToArray(ctx: TermContext, t: Term): Term[] | undefined {
  const out: Term[] = [];
  const w = ctx.mem.i32;
  while (isList(t)) {
    const p = ptrVal(t);
    out.push(w[p]!);
    t = w[p + 1]!;
  }
  return t === NIL ? out : undefined;
}

/** The length of a proper list, or -1. */
export function listLength(ctx: TermContext, t: Term): number {
  let n = 0;
  const w = ctx.mem.i32;
  while (isList(t)) {
    n++;
    t = w[ptrVal(t) + 1]!;
  }
  return t === NIL ? n : -1;
}

/** The string of a list of code points (a flat Erlang string), or undefined. */
export function listToString(ctx: TermContext, t: Term): string | undefined {
  let s = '';
  const w = ctx.mem.i32;
  while (isList(t)) {
    const p = ptrVal(t);
    const c = w[p]!;
    if (!isSmall(c)) return undefined;
    const v = smallVal(c);
    if (v < 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
    s += String.fromCodePoint(v);
    t = w[p + 1]!;
  }
  return t === NIL ? s : undefined;
}

/** The name of an atom term. */
export const atomName = (ctx: TermContext, t: Term): string => ctx.atoms.name(t);

export { isAtom, isSmall, isList, isBoxed, smallVal, floatValue, binaryBytes, bignumValue };

/**
 * The bytes of an iolist or binary (bytes 0..255, binaries, nested lists,
 * any of them as the tail), or undefined if t is not one. Bitstrings that
 * are not whole bytes make it fail too.
 */
export function iolistToBytes(ctx: TermContext, t: Term): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let total = 0;
  let run: number[] = [];
  const flush = (): void => {
    if (run.length > 0) {
      parts.push(Uint8Array.from(run));
      total += run.length;
      run = [];
    }
  };
  const w = ctx.mem.i32;
  const stack: Term[] = [t];
  while (stack.length > 0) {
    let cur = stack.pop()!;
    for (;;) {
      if (isList(cur)) {
        const p = ptrVal(cur);
        const h = w[p]!;
        const tail = w[p + 1]!;
        if (isSmall(h)) {
          const v = smallVal(h);
          if (v < 0 || v > 255) return undefined;
          run.push(v);
          cur = tail;
          continue;
        }
        if (isList(h) || h === NIL || isBoxed(h)) {
          stack.push(tail);
          cur = h;
          continue;
        }
        return undefined;
      }
      if (cur === NIL) break;
      if (isBitstring(ctx, cur)) {
        const { bytes, bitLength } = binaryBytes(ctx, cur);
        if ((bitLength & 7) !== 0) return undefined;
        flush();
        parts.push(bytes.slice());
        total += bytes.length;
        break;
      }
      return undefined;
    }
  }
  flush();
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
