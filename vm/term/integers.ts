/**
 * Integer arithmetic with Erlang's semantics and no size cap. Values are JS
 * numbers while they are safe integers (|v| <= 2^53 - 1) and BigInt beyond;
 * every result is normalised back to a number when it fits, so the common
 * case never touches BigInt. Terms: small integers are immediates, larger
 * values bignums on a heap (layout in build.ts).
 */
import { fitsSmall, isSmall, makeSmall, smallVal, type Term } from './tags.js';
import { bignumValue, fromETerm, sizeOfETerm } from './build.js';
import type { Heap, TermContext } from './heap.js';

export type Int = number | bigint;

/** Division or remainder by zero, and other arithmetic errors: the VM raises badarith. */
export class BadArith extends Error {
  constructor() {
    super('badarith');
    this.name = 'BadArith';
  }
}

/** A result too large to represent (the real VM raises system_limit). */
export class IntegerLimit extends Error {
  constructor() {
    super('system_limit');
    this.name = 'IntegerLimit';
  }
}

/** Largest result accepted, in bits (the real 64-bit VM's bignums stop near 2^26 digits of 64 bits; ours at 2^26 words of 32). */
const MAX_BITS = 2 ** 26 * 32;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** A number when the value is a safe integer, else the bigint. */
export function normalize(v: bigint): Int {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

const big = (v: Int): bigint => (typeof v === 'bigint' ? v : BigInt(v));

/** The value of an integer term (small or bignum). */
export function integerValue(ctx: TermContext, t: Term): Int {
  return isSmall(t) ? smallVal(t) : normalize(bignumValue(ctx, t));
}

/** Heap words an integer term of this value needs (0 for a small). */
export function integerWords(v: Int): number {
  return typeof v === 'number' && fitsSmall(v) ? 0 : sizeOfETerm(big(v));
}

/** The term for an integer value: an immediate when it fits in 28 bits, else a bignum on the heap. */
export function makeInteger(ctx: TermContext, heap: Heap, v: Int): Term {
  if (typeof v === 'number' && fitsSmall(v)) return makeSmall(v);
  if (typeof v === 'bigint' && v >= -134217728n && v <= 134217727n) return makeSmall(Number(v));
  return fromETerm(ctx, heap, big(v));
}

function checked(v: bigint): Int {
  if (v.toString(16).length * 4 > MAX_BITS) throw new IntegerLimit();
  return normalize(v);
}

export function add(a: Int, b: Int): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return normalize(big(a) + big(b));
}

export function sub(a: Int, b: Int): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r;
  }
  return normalize(big(a) - big(b));
}

export function mul(a: Int, b: Int): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    if (Number.isSafeInteger(r)) return r;
  }
  return checked(big(a) * big(b));
}

/** `div`: truncates toward zero. */
export function div(a: Int, b: Int): Int {
  if (b === 0 || b === 0n) throw new BadArith();
  if (typeof a === 'number' && typeof b === 'number') return Math.trunc(a / b) + 0;
  return normalize(big(a) / big(b));
}

/** `rem`: the sign of the dividend. */
export function rem(a: Int, b: Int): Int {
  if (b === 0 || b === 0n) throw new BadArith();
  if (typeof a === 'number' && typeof b === 'number') return (a % b) + 0;
  return normalize(big(a) % big(b));
}

const isInt32 = (v: Int): v is number => typeof v === 'number' && (v | 0) === v;

export function band(a: Int, b: Int): Int {
  if (isInt32(a) && isInt32(b)) return a & b;
  return normalize(big(a) & big(b));
}

export function bor(a: Int, b: Int): Int {
  if (isInt32(a) && isInt32(b)) return a | b;
  return normalize(big(a) | big(b));
}

export function bxor(a: Int, b: Int): Int {
  if (isInt32(a) && isInt32(b)) return a ^ b;
  return normalize(big(a) ^ big(b));
}

export function bnot(a: Int): Int {
  if (isInt32(a)) return ~a;
  return normalize(~big(a));
}

/** `bsl`: a negative shift shifts right (arithmetically). */
export function bsl(a: Int, shift: Int): Int {
  if (a === 0 || a === 0n) return 0;
  const s = big(shift);
  if (s < 0n) return bsr(a, -s);
  if (s > BigInt(MAX_BITS)) throw new IntegerLimit();
  return checked(big(a) << s);
}

/** `bsr`: arithmetic (sign-extending); a negative shift shifts left. */
export function bsr(a: Int, shift: Int): Int {
  const s = big(shift);
  if (s < 0n) return bsl(a, -s);
  if (isInt32(a) && s < 32n) return a >> Number(s);
  if (s > BigInt(MAX_BITS)) return big(a) < 0n ? -1 : 0;
  return normalize(big(a) >> s);
}

/** Unary minus. */
export function neg(a: Int): Int {
  return typeof a === 'number' ? 0 - a : normalize(-a);
}
