/**
 * Arithmetic, comparison and boolean operators: one plain function per
 * operator, `(p, a, b) => Term` (unary `(p, a)`), for the interpreter's
 * gc_bif/arith instructions, and the same functions registered as the BIFs
 * `erlang:'+'/2` & co (reached through apply/3 and `fun erlang:'+'/2`).
 *
 * Semantics are OTP 25's (erl_arith.c), checked against erl in
 * test/bifs/erlang_arith.test.ts:
 *  - two small integers take the fast path first;
 *  - integers mixed with floats are converted the way the real VM converts
 *    them: exactly below 2^64, and above that by OTP's big_to_double, which
 *    folds 64-bit digits from the most significant one with a rounding at
 *    every step (so not always the nearest double); an integer too large for
 *    a double is badarith;
 *  - a float result that is infinite or NaN is badarith;
 *  - a non-number operand is badarith, for the bitwise operators a float too;
 *  - an integer result beyond the VM's bignum limit is system_limit.
 */
import { defineBifs } from './registry.js';
import type { Process } from '../vm/process.js';
import { badarg, badarith, systemLimit } from '../vm/errors.js';
import { ATOM_FALSE, ATOM_TRUE } from '../vm/term/atoms.js';
import { bignumValue, floatValue } from '../vm/term/build.js';
import { compare, equal, exactEqual } from '../vm/term/compare.js';
import * as I from '../vm/term/integers.js';
import { mkFloat, mkInt } from '../vm/term/make.js';
import {
  MAX_SMALL,
  MIN_SMALL,
  SUB_FLOAT,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  type Term,
  headerSubtag,
  isBoxed,
  isSmall,
  makeSmall,
  ptrVal,
  smallVal,
} from '../vm/term/tags.js';

type Int = I.Int;

// ---------------------------------------------------------------- reading numbers

const K_NONE = 0;
const K_INT = 1;
const K_FLOAT = 2;
/** What the last readNum found (a module-level scratch, so reading allocates nothing). */
let numKind = K_NONE;

/** The value of a number term; sets numKind (K_NONE for a non-number, value then 0). */
function readNum(p: Process, t: Term): Int {
  if (isSmall(t)) {
    numKind = K_INT;
    return smallVal(t);
  }
  if (isBoxed(t)) {
    const s = headerSubtag(p.mem.i32[ptrVal(t)]!);
    if (s === SUB_FLOAT) {
      numKind = K_FLOAT;
      return floatValue(p, t);
    }
    if (s === SUB_POS_BIG || s === SUB_NEG_BIG) {
      numKind = K_INT;
      return I.normalize(bignumValue(p, t));
    }
  }
  numKind = K_NONE;
  return 0;
}

const TWO_32 = 4294967296;
const TWO_64 = 18446744073709551616;
const TWO_64N = 1n << 64n;

/**
 * An integer as the real VM converts it to a double (Infinity when it does
 * not fit): exactly rounded below 2^64 (a small or a one-digit bignum), else
 * OTP's big_to_double: d = d * 2^64 + digit from the most significant 64-bit
 * digit down, each digit and each sum rounded.
 */
export function intToDouble(v: Int): number {
  if (typeof v === 'number') return v;
  const neg = v < 0n;
  const m = neg ? -v : v;
  if (m < TWO_64N) return neg ? -Number(m) : Number(m);
  const hex = m.toString(16);
  const first = hex.length % 16 || 16;
  let d = 0;
  for (let i = 0; i < hex.length; i = i === 0 ? first : i + 16) {
    const chunk = hex.slice(i, i === 0 ? first : i + 16);
    // hi * 2^32 is exact, so adding lo rounds the 64-bit digit once, as C's conversion does.
    const lo = chunk.length > 8 ? parseInt(chunk.slice(-8), 16) : parseInt(chunk, 16);
    const hi = chunk.length > 8 ? parseInt(chunk.slice(0, -8), 16) : 0;
    d = d * TWO_64 + (hi * TWO_32 + lo);
    if (!Number.isFinite(d)) return Infinity;
  }
  return neg ? -d : d;
}

/** Both operands as doubles (for a float operation), or badarith. */
function toDouble(v: Int): number {
  const d = intToDouble(v);
  if (!Number.isFinite(d)) throw badarith();
  return d;
}

/** A float result, checked: infinite or NaN is badarith. */
function floatResult(p: Process, x: number): Term {
  if (!Number.isFinite(x)) throw badarith();
  return mkFloat(p, x);
}

/** Runs integer arithmetic, mapping its errors onto the VM's exceptions. */
function intResult(p: Process, f: () => Int): Term {
  let r: Int;
  try {
    r = f();
  } catch (e) {
    if (e instanceof I.BadArith) throw badarith();
    if (e instanceof I.IntegerLimit) throw systemLimit();
    throw e;
  }
  return mkInt(p, r);
}

const fitsSmallRange = (r: number): boolean => r >= MIN_SMALL && r <= MAX_SMALL;

/** Reads two operands (badarith for a non-number): their values and whether either is a float. */
function readPair(p: Process, a: Term, b: Term): [Int, Int, boolean] {
  const x = readNum(p, a);
  const ka = numKind;
  const y = readNum(p, b);
  const kb = numKind;
  if (ka === K_NONE || kb === K_NONE) throw badarith();
  return [x, y, ka === K_FLOAT || kb === K_FLOAT];
}

/** Two integer operands, or badarith (floats included). */
function readInts(p: Process, a: Term, b: Term): [Int, Int] {
  const x = readNum(p, a);
  const ka = numKind;
  const y = readNum(p, b);
  if (ka !== K_INT || numKind !== K_INT) throw badarith();
  return [x, y];
}

// ---------------------------------------------------------------- the operators

/** `A + B` */
export function arithAdd(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) {
    const r = smallVal(a) + smallVal(b);
    return fitsSmallRange(r) ? makeSmall(r) : mkInt(p, r);
  }
  const [x, y, fl] = readPair(p, a, b);
  if (fl) return floatResult(p, toDouble(x) + toDouble(y));
  return mkInt(p, I.add(x, y));
}

/** `A - B` */
export function arithSub(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) {
    const r = smallVal(a) - smallVal(b);
    return fitsSmallRange(r) ? makeSmall(r) : mkInt(p, r);
  }
  const [x, y, fl] = readPair(p, a, b);
  if (fl) return floatResult(p, toDouble(x) - toDouble(y));
  return mkInt(p, I.sub(x, y));
}

/** `A * B` */
export function arithMul(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) {
    const r = smallVal(a) * smallVal(b);
    if (fitsSmallRange(r)) return makeSmall(r);
    // Up to 2^54: beyond 2^53 the double product is rounded, so redo it exactly.
    return mkInt(p, Number.isSafeInteger(r) ? r : I.mul(smallVal(a), smallVal(b)));
  }
  const [x, y, fl] = readPair(p, a, b);
  if (fl) return floatResult(p, toDouble(x) * toDouble(y));
  return intResult(p, () => I.mul(x, y));
}

/** `A / B`: always a float; dividing by zero (0.0 or -0.0 too) is badarith. */
export function arithFdiv(p: Process, a: Term, b: Term): Term {
  const [x, y] = readPair(p, a, b);
  const dy = toDouble(y);
  const dx = toDouble(x);
  if (dy === 0) throw badarith();
  return floatResult(p, dx / dy);
}

/** `A div B`: integers only, truncating. */
export function arithIdiv(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) {
    const y = smallVal(b);
    if (y === 0) throw badarith();
    const r = Math.trunc(smallVal(a) / y) + 0;
    return fitsSmallRange(r) ? makeSmall(r) : mkInt(p, r);
  }
  const [x, y] = readInts(p, a, b);
  return intResult(p, () => I.div(x, y));
}

/** `A rem B`: integers only, the sign of A. */
export function arithRem(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) {
    const y = smallVal(b);
    if (y === 0) throw badarith();
    return makeSmall((smallVal(a) % y) + 0);
  }
  const [x, y] = readInts(p, a, b);
  return intResult(p, () => I.rem(x, y));
}

/** `A band B` */
export function arithBand(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) return makeSmall(smallVal(a) & smallVal(b));
  const [x, y] = readInts(p, a, b);
  return mkInt(p, I.band(x, y));
}

/** `A bor B` */
export function arithBor(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) return makeSmall(smallVal(a) | smallVal(b));
  const [x, y] = readInts(p, a, b);
  return mkInt(p, I.bor(x, y));
}

/** `A bxor B` */
export function arithBxor(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) return makeSmall(smallVal(a) ^ smallVal(b));
  const [x, y] = readInts(p, a, b);
  return mkInt(p, I.bxor(x, y));
}

/** `A bsl B`: a negative B shifts right; a result too large is system_limit. */
export function arithBsl(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) {
    const x = smallVal(a);
    const s = smallVal(b);
    if (s >= 0 && s < 26) {
      const r = x * 2 ** s;
      if (fitsSmallRange(r)) return makeSmall(r);
    }
  }
  const [x, y] = readInts(p, a, b);
  return intResult(p, () => I.bsl(x, y));
}

/** `A bsr B`: arithmetic shift; a negative B shifts left. */
export function arithBsr(p: Process, a: Term, b: Term): Term {
  if (isSmall(a) && isSmall(b)) {
    const s = smallVal(b);
    if (s >= 0) return makeSmall(s > 31 ? (smallVal(a) < 0 ? -1 : 0) : smallVal(a) >> s);
  }
  const [x, y] = readInts(p, a, b);
  return intResult(p, () => I.bsr(x, y));
}

/** `bnot A` */
export function arithBnot(p: Process, a: Term): Term {
  if (isSmall(a)) return makeSmall(~smallVal(a));
  const x = readNum(p, a);
  if (numKind !== K_INT) throw badarith();
  return mkInt(p, I.bnot(x));
}

/** `-A` (of a float: the sign flipped, so -0.0 for 0.0). */
export function arithNeg(p: Process, a: Term): Term {
  if (isSmall(a)) {
    const r = -smallVal(a);
    return fitsSmallRange(r) ? makeSmall(r + 0) : mkInt(p, r);
  }
  const x = readNum(p, a);
  if (numKind === K_FLOAT) return mkFloat(p, -(x as number));
  if (numKind === K_INT) return mkInt(p, I.neg(x));
  throw badarith();
}

/** `+A`: A itself when it is a number. */
export function arithPlus(p: Process, a: Term): Term {
  if (isSmall(a)) return a;
  readNum(p, a);
  if (numKind === K_NONE) throw badarith();
  return a;
}

// ---------------------------------------------------------------- comparisons and booleans

export const cmpEq = (p: Process, a: Term, b: Term): Term => (equal(p, a, b) ? ATOM_TRUE : ATOM_FALSE);
export const cmpNe = (p: Process, a: Term, b: Term): Term => (equal(p, a, b) ? ATOM_FALSE : ATOM_TRUE);
export const cmpExactEq = (p: Process, a: Term, b: Term): Term => (exactEqual(p, a, b) ? ATOM_TRUE : ATOM_FALSE);
export const cmpExactNe = (p: Process, a: Term, b: Term): Term => (exactEqual(p, a, b) ? ATOM_FALSE : ATOM_TRUE);
export const cmpLt = (p: Process, a: Term, b: Term): Term => (compare(p, a, b) < 0 ? ATOM_TRUE : ATOM_FALSE);
export const cmpGt = (p: Process, a: Term, b: Term): Term => (compare(p, a, b) > 0 ? ATOM_TRUE : ATOM_FALSE);
export const cmpLe = (p: Process, a: Term, b: Term): Term => (compare(p, a, b) <= 0 ? ATOM_TRUE : ATOM_FALSE);
export const cmpGe = (p: Process, a: Term, b: Term): Term => (compare(p, a, b) >= 0 ? ATOM_TRUE : ATOM_FALSE);

/** A boolean operand as a JS boolean, or badarg. */
function boolArg(t: Term): boolean {
  if (t === ATOM_TRUE) return true;
  if (t === ATOM_FALSE) return false;
  throw badarg();
}

// Both operands are checked before either decides: erlang:'and'(false, 1) is badarg.
export function boolAnd(_p: Process, a: Term, b: Term): Term {
  const x = boolArg(a);
  const y = boolArg(b);
  return x && y ? ATOM_TRUE : ATOM_FALSE;
}
export function boolOr(_p: Process, a: Term, b: Term): Term {
  const x = boolArg(a);
  const y = boolArg(b);
  return x || y ? ATOM_TRUE : ATOM_FALSE;
}
export const boolXor = (_p: Process, a: Term, b: Term): Term => (boolArg(a) !== boolArg(b) ? ATOM_TRUE : ATOM_FALSE);
export const boolNot = (_p: Process, a: Term): Term => (boolArg(a) ? ATOM_FALSE : ATOM_TRUE);

// ---------------------------------------------------------------- registration

const bin = (f: (p: Process, a: Term, b: Term) => Term) => (p: Process, args: Term[]) => f(p, args[0]!, args[1]!);
const un = (f: (p: Process, a: Term) => Term) => (p: Process, args: Term[]) => f(p, args[0]!);

// The compiler emits these as gc_bif (they may build a bignum or a float).
defineBifs('erlang', 'gc', {
  '+/2': bin(arithAdd),
  '-/2': bin(arithSub),
  '*/2': bin(arithMul),
  '//2': bin(arithFdiv),
  'div/2': bin(arithIdiv),
  'rem/2': bin(arithRem),
  'band/2': bin(arithBand),
  'bor/2': bin(arithBor),
  'bxor/2': bin(arithBxor),
  'bsl/2': bin(arithBsl),
  'bsr/2': bin(arithBsr),
  'bnot/1': un(arithBnot),
  '-/1': un(arithNeg),
  '+/1': un(arithPlus),
});

// Comparisons and boolean operators never allocate: plain guard BIFs.
defineBifs('erlang', 'guard', {
  '==/2': bin(cmpEq),
  '/=/2': bin(cmpNe),
  '=:=/2': bin(cmpExactEq),
  '=/=/2': bin(cmpExactNe),
  '</2': bin(cmpLt),
  '>/2': bin(cmpGt),
  '=</2': bin(cmpLe),
  '>=/2': bin(cmpGe),
  'and/2': bin(boolAnd),
  'or/2': bin(boolOr),
  'xor/2': bin(boolXor),
  'not/1': un(boolNot),
});
