/**
 * The `math` module's native functions (math.erl holds only nif_error stubs;
 * math:pi/0 is Erlang code). The real VM calls the C library: on the
 * reference system that is glibc 2.36 on x86-64, whose results we reproduce.
 *
 * JavaScript's Math differs from glibc in the last bit for a few percent of
 * inputs (V8 uses fdlibm), so apart from sqrt, floor, ceil and fmod (exact
 * in both) nothing here calls Math for a result:
 *  - exp, sin and cos follow glibc's algorithms (exp: Arm's
 *    optimized-routines code; sin, cos: the IBM Accurate Mathematical
 *    Library's, with branred for huge arguments) operation for operation:
 *    their tables are computed here from exact integer arithmetic, their
 *    constants are the published ones, and every fused multiply-add of the
 *    x86-64 FMA build is emulated exactly.
 *  - sinh, cosh, tanh, asinh, acosh, atanh, log10, erf, erfc: glibc uses
 *    Sun's fdlibm algorithms (as modified in glibc), which are not correctly
 *    rounded; we follow the same algorithms with the same constants
 *    (fdlibm: "Permission to use, copy, modify, and distribute this software
 *    is freely granted, provided that this notice is preserved." Copyright
 *    (C) 1993 by Sun Microsystems, Inc.), the same order of operations, and
 *    glibc's expm1/log1p as compiled for x86-64 with FMA.
 *  - log, log2, pow, tan, asin, acos, atan, atan2: glibc's versions
 *    (table-driven, accurate to about 0.5 ulp) agree with the correctly
 *    rounded result nearly always; we compute the correctly rounded result
 *    with double-double arithmetic (about 100 bits). Where glibc itself
 *    rounds the wrong way (about 1 input in 1000 for tan, atan, asin; rarer
 *    for log, log2, pow) we differ from it by one ulp. Functions built on
 *    log (log10, asinh and acosh beyond 2) inherit its rare differences.
 *
 * The reference results are glibc's on a CPU with FMA; on a CPU without
 * it glibc selects other builds of the same functions whose last bits
 * sometimes differ.
 *
 * Errors are the real VM's: a non-number argument is badarg; a result that
 * is not finite (NaN or infinity: log(0), sqrt(-1), exp(1000), acos(2), an
 * integer too big to convert to a float) is badarith.
 */
import { defineBifs } from './registry.js';
import type { Process } from '../vm/process.js';
import { badarg, badarith } from '../vm/errors.js';
import { bignumValue, floatValue, isBignum, isFloat, mkFloat } from '../vm/term/make.js';
import { type Term, isSmall, smallVal } from '../vm/term/tags.js';

// ---------------------------------------------------------------- bits of doubles

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);

/** The high 32 bits (sign, exponent, top of the mantissa) of a double, signed. */
function highWord(x: number): number {
  f64[0] = x;
  return i32[1]!;
}

function lowWord(x: number): number {
  f64[0] = x;
  return i32[0]! >>> 0;
}

function withHighWord(x: number, hi: number): number {
  f64[0] = x;
  i32[1] = hi;
  return f64[0]!;
}

function withLowWord(x: number, lo: number): number {
  f64[0] = x;
  i32[0] = lo;
  return f64[0]!;
}

function fromWords(hi: number, lo: number): number {
  i32[1] = hi;
  i32[0] = lo;
  return f64[0]!;
}

/** A C hexadecimal floating constant, e.g. '-0x1.62e42fefa0000p-8' (exact: at most 53 bits). */
function hexFloat(text: string): number {
  const m = /^(-?)0x([01])\.([0-9a-fA-F]*)p([+-]?\d+)$/.exec(text);
  if (m === null) throw new Error(`bad hex float ${text}`);
  const digits = m[2]! + m[3]!;
  const value = Number(BigInt('0x' + digits)) * 2 ** (Number(m[4]) - 4 * m[3]!.length);
  return m[1] === '-' ? -value : value;
}

/** The neighbour of a finite non-zero x one ulp away from zero (up = true) or toward zero. */
function stepMagnitude(x: number, up: boolean): number {
  f64[0] = x;
  let lo = i32[0]! >>> 0;
  let hi = i32[1]!;
  if (up) {
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi++;
  } else {
    if (lo === 0) hi--;
    lo = (lo - 1) >>> 0;
  }
  i32[0] = lo | 0;
  i32[1] = hi;
  return f64[0]!;
}

// ---------------------------------------------------------------- double-double arithmetic
//
// A double-double is an unevaluated sum hi + lo with |lo| <= ulp(hi) / 2,
// about 106 bits. Functions return hi and leave lo in LO (no allocation).

let LO = 0;

function twoSum(a: number, b: number): number {
  const s = a + b;
  const bb = s - a;
  LO = a - (s - bb) + (b - bb);
  return s;
}

/** twoSum for |a| >= |b| (or a = 0). */
function fastTwoSum(a: number, b: number): number {
  const s = a + b;
  LO = b - (s - a);
  return s;
}

const SPLITTER = 134217729; // 2^27 + 1

/** The exact product a * b as hi + LO (Dekker; no overflow in the operands' halves). */
function twoProd(a: number, b: number): number {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  LO = ah * bh - p + ah * bl + al * bh + al * bl;
  return p;
}

function ddAdd(ah: number, al: number, bh: number, bl: number): number {
  let s = twoSum(ah, bh);
  let e = LO;
  const t = twoSum(al, bl);
  const f = LO;
  e += t;
  s = fastTwoSum(s, e);
  e = LO + f;
  return fastTwoSum(s, e);
}

function ddMul(ah: number, al: number, bh: number, bl: number): number {
  const p = twoProd(ah, bh);
  const e = LO + (ah * bl + al * bh);
  return fastTwoSum(p, e);
}

function ddMulD(ah: number, al: number, b: number): number {
  const p = twoProd(ah, b);
  const e = LO + al * b;
  return fastTwoSum(p, e);
}

function ddDiv(ah: number, al: number, bh: number, bl: number): number {
  const q1 = ah / bh;
  let rh = ddMulD(bh, bl, q1);
  let rl = LO;
  rh = ddAdd(ah, al, -rh, -rl);
  rl = LO;
  const q2 = rh / bh;
  const th = ddMulD(bh, bl, q2);
  const tl = LO;
  rh = ddAdd(rh, rl, -th, -tl);
  const q3 = rh / bh;
  const q = fastTwoSum(q1, q2);
  return ddAdd(q, LO, q3, 0);
}

/** sqrt of a double-double (one Newton step from the double square root). */
function ddSqrt(ah: number, al: number): number {
  if (ah <= 0) {
    LO = 0;
    return 0;
  }
  const s = Math.sqrt(ah);
  const sq = twoProd(s, s);
  const sql = LO;
  const d = ddAdd(ah, al, -sq, -sql);
  return fastTwoSum(s, d / (2 * s));
}

/** fma(a, b, c) correctly rounded (Boldo and Melquiond: an exact product, then a sum rounded to odd). */
function fma(a: number, b: number, c: number): number {
  const uh = twoProd(a, b);
  const ul = LO;
  const th = twoSum(c, uh);
  const tl = LO;
  let v = twoSum(tl, ul);
  const err = LO;
  if (err !== 0 && (lowWord(v) & 1) === 0) {
    // Round to odd: of v and its neighbour toward the exact sum, the one with an odd last bit.
    v = v === 0 ? err : stepMagnitude(v, (err > 0) === (v > 0));
  }
  return th + v;
}

// ---------------------------------------------------------------- constants, from exact integer arithmetic

/** ln 2 * 2^bits, from 2 * atanh(1/3) = sum 2 / ((2k + 1) * 3^(2k + 1)). */
function ln2Fixed(bits: bigint): bigint {
  const one = 1n << (bits + 16n);
  let sum = 0n;
  let pow = one / 3n;
  for (let k = 1n; pow > 0n; k += 2n) {
    sum += pow / k;
    pow /= 9n;
  }
  return (2n * sum) >> 16n;
}

/** pi * 2^bits, by Machin: 16 atan(1/5) - 4 atan(1/239). */
function piFixed(bits: bigint): bigint {
  const one = 1n << (bits + 16n);
  const atanInv = (n: bigint): bigint => {
    let sum = 0n;
    let pow = one / n;
    const n2 = n * n;
    for (let k = 1n, sign = 1n; pow > 0n; k += 2n, sign = -sign) {
      sum += (sign * pow) / k;
      pow /= n2;
    }
    return sum;
  };
  return (16n * atanInv(5n) - 4n * atanInv(239n)) >> 16n;
}

/** Splits v / 2^bits into doubles: the first `first` significant bits, then `rest` bits per part. */
function splitFixed(v: bigint, bits: number, parts: number[]): number[] {
  const out: number[] = [];
  let rem = v;
  for (const width of parts) {
    const len = rem.toString(2).length;
    const shift = BigInt(Math.max(0, len - width));
    const top = (rem >> shift) << shift;
    out.push(Number(top) * 2 ** -bits);
    rem -= top;
  }
  return out;
}

const LN2_FIXED = ln2Fixed(300n);
const PI_FIXED = piFixed(400n);

/** ln 2 in three parts, the first with 42 bits (so e * LN2_A is exact for any binary exponent e). */
const [LN2_A, LN2_B, LN2_C] = splitFixed(LN2_FIXED, 300, [42, 53, 53]) as [number, number, number];
const [LN2_H, LN2_L] = splitFixed(LN2_FIXED, 300, [53, 53]) as [number, number];
/** ln 2 / 64 in three parts, the first with 36 bits (k * part exact for |k| < 2^17). */
const [LN2_64_A, LN2_64_B, LN2_64_C] = splitFixed(LN2_FIXED, 306, [36, 53, 53]) as [number, number, number];
/** 1 / ln 2 as a double-double. */
const [INV_LN2_H, INV_LN2_L] = splitFixed((1n << 600n) / LN2_FIXED, 300, [53, 53]) as [number, number];
/** pi / 2 in five parts of 33, 33, 33, 33 and 53 bits (k * part exact for k < 2^20). */
const PIO2_PARTS = splitFixed(PI_FIXED, 401, [33, 33, 33, 33, 53]);
const [PIO2_H, PIO2_L] = splitFixed(PI_FIXED, 401, [53, 53]) as [number, number];
const [PI_H] = splitFixed(PI_FIXED, 400, [53, 53]) as [number, number];
const TWO_OVER_PI = 2 / PI_H;

/** 1 / n! as double-doubles, n = 0..30. */
const INV_FACT: Array<[number, number]> = (() => {
  const out: Array<[number, number]> = [];
  let f = 1n;
  for (let n = 0; n <= 30; n++) {
    if (n > 0) f *= BigInt(n);
    const [h, l] = splitFixed((1n << 400n) / f, 400, [53, 53]) as [number, number];
    out.push([h, l]);
  }
  return out;
})();

/** 1 / (2k + 1) as double-doubles, k = 0..15 (the atanh series of log). */
const INV_ODD: Array<[number, number]> = Array.from({ length: 16 }, (_, k) => {
  const [h, l] = splitFixed((1n << 200n) / BigInt(2 * k + 1), 200, [53, 53]) as [number, number];
  return [h, l];
});

// ---------------------------------------------------------------- exp

/** 2^(j/64) as double-doubles: exp(j ln2/64) summed as a series at start-up. */
const EXP2_TABLE: Array<[number, number]> = (() => {
  const out: Array<[number, number]> = [];
  for (let j = 0; j < 64; j++) {
    // r = j * ln2 / 64 as a double-double, then exp(r) = sum r^n / n!.
    const rh = ddMulD(LN2_H, LN2_L, j / 64);
    const rl = LO;
    let sh = INV_FACT[30]![0];
    let sl = INV_FACT[30]![1];
    for (let n = 29; n >= 0; n--) {
      sh = ddMul(sh, sl, rh, rl);
      sl = LO;
      sh = ddAdd(sh, sl, INV_FACT[n]![0], INV_FACT[n]![1]);
      sl = LO;
    }
    out.push([sh, sl]);
  }
  return out;
})();

/** The binary exponent of the last expDD result: exp(x) = (hi + LO) * 2^EXP_SCALE. */
let EXP_SCALE = 0;

/**
 * exp(xh + xl) for |xh| <= 750 as (hi + LO) * 2^EXP_SCALE with hi in
 * [0.5, 4); relative error about 2^-100.
 */
function expDD(xh: number, xl: number): number {
  const k = Math.round(xh * (64 / LN2_H));
  const j = k & 63;
  EXP_SCALE = (k - j) / 64;
  // r = x - k ln2/64, |r| <= ln2/128 (a little more for the rounding of k).
  const t = xh - k * LN2_64_A; // exact
  let rh = twoProd(k, LN2_64_B);
  let rl = LO;
  rh = ddAdd(t, xl - k * LN2_64_C, -rh, -rl);
  rl = LO;
  // exp(r) by its series (r^13/13! < 2^-110), by Horner: the terms from
  // r^6 on are small enough (< 2^-54) to be summed in plain doubles.
  let sh = INV_FACT[13]![0];
  for (let n = 12; n >= 6; n--) sh = sh * rh + INV_FACT[n]![0];
  let sl = 0;
  for (let n = 5; n >= 0; n--) {
    sh = ddMul(sh, sl, rh, rl);
    sl = LO;
    sh = ddAdd(sh, sl, INV_FACT[n]![0], INV_FACT[n]![1]);
    sl = LO;
  }
  const e = EXP2_TABLE[j]!;
  return ddMul(e[0], e[1], sh, sl);
}

/**
 * The double nearest to (hi + lo) * 2^scale: overflow gives Infinity, and
 * results in the subnormal range are rounded once, not twice.
 */
function roundScaled(hi: number, lo: number, scale: number): number {
  const r = hi + lo;
  if (scale > -1000) {
    if (scale <= 1000) {
      const s = r * 2 ** scale;
      if (Math.abs(s) >= 2 ** -1022) return s;
    } else {
      return r * 2 ** (scale - 1000) * 2 ** 1000;
    }
  }
  // Subnormal or zero: scale in two exact steps to just above the subnormal range, then round once.
  const pre = scale < -1000 ? -1000 : 0;
  const h = hi * 2 ** pre;
  const l = lo * 2 ** pre;
  const rest = scale - pre; // <= 0
  const s = (h + l) * 2 ** rest; // rounded once from h+l, but h+l is itself rounded: repair below
  const back = s * 2 ** -rest; // exact
  const d = h - back + l; // how far s is from the true value, in the pre-scaled units
  const halfUlp = 2 ** (-1075 - rest);
  if (d > halfUlp || (d === halfUlp && (lowWord(s) & 1) === 1)) return s + 2 ** -1074;
  if (d < -halfUlp || (d === -halfUlp && (lowWord(s) & 1) === 1)) return s - 2 ** -1074;
  return s;
}

// glibc's exp (sysdeps/ieee754/dbl-64/e_exp.c, from Arm's optimized-routines,
// built with FMA): exp(x) = 2^(k/128) exp(r), 2^(k/128) from a table as
// H (1 + tail), exp(r) - 1 by a degree-5 polynomial. It is not always
// correctly rounded, so we follow it operation for operation.
const EXP_INVLN2N = hexFloat('0x1.71547652b82fep7'); // 128 / ln 2
const EXP_NEGLN2HIN = hexFloat('-0x1.62e42fefa0000p-8');
const EXP_NEGLN2LON = hexFloat('-0x1.cf79abc9e3b3ap-47');
const EXP_SHIFT = 6755399441055744; // 0x1.8p52
const EXP_C2 = hexFloat('0x1.ffffffffffdbdp-2');
const EXP_C3 = hexFloat('0x1.555555555543cp-3');
const EXP_C4 = hexFloat('0x1.55555cf172b91p-5');
const EXP_C5 = hexFloat('0x1.1111167a4d017p-7');

/** H[i] = RN(2^(i/128)) and TAIL[i] = RN((2^(i/128) - H[i]) / H[i]), from exact integers (filled on first use). */
const EXP_H = new Float64Array(128);
const EXP_TAIL = new Float64Array(128);
let expTableReady = false;

function fillExpTable(): void {
  const bits = 300n;
  const one = 1n << bits;
  for (let i = 0; i < 128; i++) {
    // V = 2^(i/128) * 2^bits by the series of exp(i ln2 / 128).
    const x = (BigInt(i) * LN2_FIXED) / 128n;
    let term = one;
    let v = one;
    for (let n = 1n; term !== 0n; n++) {
      term = (term * x) / (n << bits);
      v += term;
    }
    const h = Number(v) * 2 ** -300;
    const hBig = BigInt(h * 2 ** 300);
    const q = ((v - hBig) << 120n) / hBig;
    EXP_H[i] = h;
    EXP_TAIL[i] = Number(q) * 2 ** -120;
  }
  expTableReady = true;
}

function exp(x: number): number {
  if (!expTableReady) fillExpTable();
  const abstop = (highWord(x) >>> 20) & 0x7ff;
  let special = false;
  if (abstop - 969 >= 63 || abstop < 969) {
    if (abstop < 969) return 1 + x; // |x| < 2^-54
    if (abstop >= 1033) return x > 0 ? Infinity : 0; // |x| >= 1024
    special = true; // 512 <= |x| < 1024: the scale needs care
  }
  // k = round(x * 128 / ln2), r = x - k ln2/128.
  const kd = fma(x, EXP_INVLN2N, EXP_SHIFT) - EXP_SHIFT;
  const r = fma(kd, EXP_NEGLN2LON, fma(kd, EXP_NEGLN2HIN, x));
  const i = kd & 127;
  const m = (kd - i) / 128;
  const r2 = r * r;
  const tmp = fma(r2 * r2, fma(r, EXP_C5, EXP_C4), fma(fma(r, EXP_C3, EXP_C2), r2, r + EXP_TAIL[i]!));
  const h = EXP_H[i]!;
  if (!special) {
    const scale = h * 2 ** m;
    return fma(scale, tmp, scale);
  }
  if (kd >= 0) {
    const scale = h * 2 ** (m - 1009);
    return fma(scale, tmp, scale) * 2 ** 1009;
  }
  const scale = h * 2 ** (m + 1022);
  const st = scale * tmp;
  let y = scale + st;
  if (y < 1) {
    // Round to the subnormal precision once (glibc's way around double rounding).
    const lo0 = scale - y + st;
    const hi = 1 + y;
    const lo = 1 - hi + y + lo0;
    y = lo + hi - 1;
    if (y === 0) y = 0;
  }
  return y * 2 ** -1022;
}

// ---------------------------------------------------------------- log

/** The binary exponent e and f = x / 2^e in [sqrt(1/2), sqrt(2)), for finite x > 0. */
let FRAC = 0;
function splitLog(x: number): number {
  let e = 0;
  if (x < 2 ** -1022) {
    x *= 2 ** 54;
    e = -54;
  }
  const hi = highWord(x);
  e += (hi >> 20) - 1023;
  let f = withHighWord(x, (hi & 0xfffff) | 0x3ff00000);
  if (f > Math.SQRT2) {
    f /= 2;
    e += 1;
  }
  FRAC = f;
  return e;
}

/** log(f) as a double-double for f in [sqrt(1/2), sqrt(2)). */
function logFracDD(f: number): number {
  if (Math.abs(f - 1) < 1 / 32) {
    // log(1 + d) = 2 atanh(s), s = d / (2 + d): 2 (s + s^3/3 + s^5/5 + ...), |s| < 2^-6.
    const d = f - 1; // exact
    const den = twoSum(2, d);
    const sh = ddDiv(d, 0, den, LO);
    const sl = LO;
    const zh = ddMul(sh, sl, sh, sl);
    const zl = LO;
    let ph = INV_ODD[9]![0];
    let pl = INV_ODD[9]![1];
    for (let k = 8; k >= 0; k--) {
      ph = ddMul(ph, pl, zh, zl);
      pl = LO;
      ph = ddAdd(ph, pl, INV_ODD[k]![0], INV_ODD[k]![1]);
      pl = LO;
    }
    ph = ddMul(ph, pl, sh, sl);
    return ddMulD(ph, LO, 2);
  }
  // One Newton step from the double logarithm: log f = y0 + log(f / exp(y0)).
  const y0 = Math.log(f);
  let eh = expDD(y0, 0);
  let el = LO;
  const scale = 2 ** EXP_SCALE;
  eh *= scale;
  el *= scale;
  // u = f / exp(y0) - 1 = (f - E) / E, tiny; log(1 + u) = u - u^2/2.
  const nh = ddAdd(f, 0, -eh, -el);
  const u = ddDiv(nh, LO, eh, el);
  const ul = LO;
  const corr = ddAdd(u, ul, -0.5 * u * u, 0);
  return ddAdd(y0, 0, corr, LO);
}

/** log(x) as a double-double for finite x > 0. */
function logDD(x: number): number {
  const e = splitLog(x);
  const lh = logFracDD(FRAC);
  const ll = LO;
  if (e === 0) {
    LO = ll;
    return lh;
  }
  // e ln2 in three parts: e * LN2_A is exact.
  const a = e * LN2_A;
  const bh = twoProd(e, LN2_B);
  const bl = LO + e * LN2_C;
  const th = ddAdd(a, 0, bh, bl);
  return ddAdd(th, LO, lh, ll);
}

function log(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  const h = logDD(x);
  return h + LO;
}

function log2(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  const e = splitLog(x);
  if (FRAC === 1) return e;
  const lh = logFracDD(FRAC);
  const th = ddMul(lh, LO, INV_LN2_H, INV_LN2_L);
  const h = ddAdd(e, 0, th, LO);
  return h + LO;
}

// ---------------------------------------------------------------- pow

function isOddInteger(y: number): boolean {
  return Number.isInteger(y) && Math.abs(y) < 2 ** 53 && Math.abs(y % 2) === 1;
}

/** C99 pow: the special cases, then exp(y log |x|) in double-double, correctly rounded. */
function pow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === 0) {
    const odd = isOddInteger(y);
    if (y < 0) return odd ? 1 / x : Infinity;
    return odd ? x : 0;
  }
  let sign = 1;
  if (x < 0) {
    if (!Number.isInteger(y)) return NaN;
    if (isOddInteger(y)) sign = -1;
    x = -x;
  }
  const lh = logDD(x);
  const ll = LO;
  // x is not 1, so |log x| > 2^-54: with |y| > 2^900 the result over- or underflows.
  if (Math.abs(y) > 2 ** 900) return lh * y > 0 ? sign * Infinity : sign * 0;
  const ph = ddMulD(lh, ll, y);
  const pl = LO;
  if (ph > 709.8) return sign * Infinity;
  if (ph < -745.2) return sign * 0;
  const h = expDD(ph, pl);
  return sign * roundScaled(h, LO, EXP_SCALE);
}

// ---------------------------------------------------------------- trigonometric functions

/** Quadrant of the last reduction; the reduced argument is returned as hi + LO. */
let QUADRANT = 0;

/** Bits of 2/pi, as an integer times 2^-TWO_OVER_PI_BITS, for huge arguments. */
const TWO_OVER_PI_BITS = 1500n;
let twoOverPiFixed: bigint | undefined;

/** x = k pi/2 + r, |r| <= pi/4 (a little more), r as a double-double; k mod 4 in QUADRANT. */
function reduce(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 0.785398163397448) {
    QUADRANT = 0;
    LO = 0;
    return x;
  }
  if (ax < 2 ** 18) {
    const k = Math.round(x * TWO_OVER_PI);
    QUADRANT = k & 3;
    // r = x - k (P0 + P1 + P2 + P3 + P4), every k * Pi < 2^53 and exact but the last.
    let rh = x;
    let rl = 0;
    for (let i = 0; i < 4; i++) {
      rh = ddAdd(rh, rl, -k * PIO2_PARTS[i]!, 0);
      rl = LO;
    }
    const ph = twoProd(k, PIO2_PARTS[4]!);
    return ddAdd(rh, rl, -ph, -LO);
  }
  return reduceHuge(x);
}

/** Payne-Hanek style reduction with exact integers, for |x| >= 2^18. */
function reduceHuge(x: number): number {
  twoOverPiFixed ??= (1n << (2n * TWO_OVER_PI_BITS + 65n)) / piFixed(TWO_OVER_PI_BITS + 64n);
  // |x| = m * 2^e with m an integer of 53 bits.
  const hi = highWord(x);
  const e = ((hi >> 20) & 0x7ff) - 1075;
  const mant = (BigInt((hi & 0xfffff) | 0x100000) << 32n) | BigInt(lowWord(x));
  const prod = mant * twoOverPiFixed;
  const shift = TWO_OVER_PI_BITS - BigInt(e);
  let k = prod >> shift;
  let frac = prod - (k << shift);
  const half = 1n << (shift - 1n);
  if (frac >= half) {
    k += 1n;
    frac -= 1n << shift;
  }
  // frac / 2^shift in [-1/2, 1/2): keep 200 bits of it.
  const top = frac >> (shift - 200n);
  const fh = Number(top);
  const fl = Number(top - BigInt(fh));
  const fh2 = fh * 2 ** -200;
  const fl2 = fl * 2 ** -200;
  const kk = Number(k & 3n);
  QUADRANT = x < 0 ? (4 - kk) & 3 : kk;
  const rh = ddMul(fh2, fl2, PIO2_H, PIO2_L);
  if (x < 0) {
    LO = -LO;
    return -rh;
  }
  return rh;
}

/**
 * sin(r) as a double-double for |r| <= pi/4: r * sum (-1)^k r^2k / (2k+1)!,
 * to r^29, by Horner on z = r^2 with the signs folded in (p = c - z p).
 */
function sinDD(rh: number, rl: number): number {
  const zh = ddMul(rh, rl, rh, rl);
  const zl = LO;
  let ph = INV_FACT[29]![0];
  let pl = INV_FACT[29]![1];
  for (let n = 27; n >= 1; n -= 2) {
    ph = ddMul(ph, pl, zh, zl);
    pl = LO;
    ph = ddAdd(-ph, -pl, INV_FACT[n]![0], INV_FACT[n]![1]);
    pl = LO;
  }
  return ddMul(ph, pl, rh, rl);
}

/** cos(r) as a double-double for |r| <= pi/4: the Taylor series to r^28. */
function cosDD(rh: number, rl: number): number {
  const zh = ddMul(rh, rl, rh, rl);
  const zl = LO;
  let ph = INV_FACT[28]![0];
  let pl = INV_FACT[28]![1];
  for (let n = 26; n >= 0; n -= 2) {
    ph = ddMul(ph, pl, zh, zl);
    pl = LO;
    const c = INV_FACT[n]!;
    ph = ddAdd(-ph, -pl, c[0], c[1]);
    pl = LO;
  }
  LO = pl;
  return ph;
}


/** sin and cos of x as double-doubles: SIN_H + SIN_L, COS_H + COS_L. */
let SIN_H = 0;
let SIN_L = 0;
let COS_H = 0;
let COS_L = 0;
function sinCosDD(x: number): void {
  const rh = reduce(x);
  const rl = LO;
  const sh = sinDD(rh, rl);
  const sl = LO;
  const ch = cosDD(rh, rl);
  const cl = LO;
  switch (QUADRANT) {
    case 0:
      [SIN_H, SIN_L, COS_H, COS_L] = [sh, sl, ch, cl];
      break;
    case 1:
      [SIN_H, SIN_L, COS_H, COS_L] = [ch, cl, -sh, -sl];
      break;
    case 2:
      [SIN_H, SIN_L, COS_H, COS_L] = [-sh, -sl, -ch, -cl];
      break;
    default:
      [SIN_H, SIN_L, COS_H, COS_L] = [-ch, -cl, sh, sl];
  }
}

// Below 2^-27 the correctly rounded sin, tan, asin, atan of x is x itself, and cos is 1.
const TINY = 2 ** -27;

// glibc's sin and cos (IBM Accurate Mathematical Library, s_sin.c and
// branred.c, built with FMA), followed operation for operation: a table of
// sin and cos at multiples of 1/128 (computed here from exact integers),
// short polynomials around the table points, Cody-Waite reduction below
// 105414350 and branred's reduction with 2/pi in 24-bit digits above.
const SC_S1 = hexFloat('-0x1.5555555555555p-3');
const SC_S2 = hexFloat('0x1.1111111110ECEp-7');
const SC_S3 = hexFloat('-0x1.A01A019DB08B8p-13');
const SC_S4 = hexFloat('0x1.71DE27B9A7ED9p-19');
const SC_S5 = hexFloat('-0x1.ADDFFC2FCDF59p-26');
const SC_SN3 = -1.66666666666664880952546298448555e-1;
const SC_SN5 = 8.33333214285722277379541354343671e-3;
const SC_CS2 = 4.99999999999999999999950396842453e-1;
const SC_CS4 = -4.16666666666664434524222570944589e-2;
const SC_CS6 = 1.38888874007937613028114285595617e-3;
const SC_BIG = 52776558133248; // 0x1.8p45: adding it rounds to a multiple of 1/128
const SC_HP0 = hexFloat('0x1.921FB54442D18p0');
const SC_HP1 = hexFloat('0x1.1A62633145C07p-54');
const SC_MP1 = hexFloat('0x1.921FB58000000p0');
const SC_MP2 = hexFloat('-0x1.DDE973C000000p-27');
const SC_PP3 = hexFloat('-0x1.CB3B398000000p-55');
const SC_PP4 = hexFloat('-0x1.d747f23e32ed7p-83');
const SC_HPINV = hexFloat('0x1.45F306DC9C883p-1');
const SC_TOINT = 6755399441055744; // 0x1.8p52
const BR_MP2 = hexFloat('-0x1.DDE974p-27'); // branred's own split of pi/2

/** sin and cos of k/128, k = 0..109, each as hi and lo: [sin hi, sin lo, cos hi, cos lo] per k. */
const SINCOS_TABLE = new Float64Array(440);
let sinCosTableReady = false;

function fillSinCosTable(): void {
  const bits = 400n;
  const one = 1n << bits;
  for (let k = 0; k < 110; k++) {
    const x = (BigInt(k) << bits) / 128n;
    let s = 0n;
    let c = 0n;
    let term = one;
    for (let n = 0n; term !== 0n; n++) {
      const q = n & 3n;
      if (q === 0n) c += term;
      else if (q === 1n) s += term;
      else if (q === 2n) c -= term;
      else s -= term;
      term = (term * x) / ((n + 1n) << bits);
    }
    const hiLo = (v: bigint, at: number): void => {
      const h = Number(v) * 2 ** -400;
      SINCOS_TABLE[at] = h;
      SINCOS_TABLE[at + 1] = Number(v - BigInt(h * 2 ** 400)) * 2 ** -400;
    };
    hiLo(s, 4 * k);
    hiLo(c, 4 * k + 2);
  }
  sinCosTableReady = true;
}

/** cos(x + dx) for |x| < 0.855469 (do_cos). */
function glibcDoCos(x: number, dx: number): number {
  if (x < 0) dx = -dx;
  const u = SC_BIG + Math.abs(x);
  x = Math.abs(x) - (u - SC_BIG) + dx;
  const xx = x * x;
  const s = fma(x * xx, fma(xx, SC_SN5, SC_SN3), x);
  const c = xx * fma(xx, fma(xx, SC_CS6, SC_CS4), SC_CS2);
  const k = lowWord(u) << 2;
  const sn = SINCOS_TABLE[k]!;
  const ssn = SINCOS_TABLE[k + 1]!;
  const cs = SINCOS_TABLE[k + 2]!;
  const ccs = SINCOS_TABLE[k + 3]!;
  const cor = fma(-sn, s, fma(-cs, c, fma(-s, ssn, ccs)));
  return cs + cor;
}

/** sin(x + dx) for |x| < 0.855469 (do_sin): a Taylor polynomial below 0.126, the table above. */
function glibcDoSin(x: number, dx: number): number {
  const negative = x < 0 || Object.is(x, -0);
  if (Math.abs(x) < 0.126) {
    const xx = x * x;
    const p = fma(fma(fma(fma(SC_S5, xx, SC_S4), xx, SC_S3), xx, SC_S2), xx, SC_S1);
    const t = fma(fma(p, x, -0.5 * dx), xx, dx);
    return x + t;
  }
  if (x <= 0) dx = -dx;
  const u = SC_BIG + Math.abs(x);
  x = Math.abs(x) - (u - SC_BIG);
  const xx = x * x;
  const s = x + fma(x * xx, fma(xx, SC_SN5, SC_SN3), dx);
  const c = fma(x, dx, xx * fma(xx, fma(xx, SC_CS6, SC_CS4), SC_CS2));
  const k = lowWord(u) << 2;
  const sn = SINCOS_TABLE[k]!;
  const ssn = SINCOS_TABLE[k + 1]!;
  const cs = SINCOS_TABLE[k + 2]!;
  const ccs = SINCOS_TABLE[k + 3]!;
  const r = Math.abs(sn + fma(cs, s, fma(-sn, c, fma(s, ccs, ssn))));
  return negative ? -r : r;
}

/** The reduced argument of the last reduction: RED_A + RED_DA. */
let RED_A = 0;
let RED_DA = 0;

/** x = n pi/2 + a, for |x| < 105414350 (reduce_sincos); returns n mod 4. */
function glibcReduce(x: number): number {
  const t = fma(x, SC_HPINV, SC_TOINT);
  const xn = t - SC_TOINT;
  const y = fma(-xn, SC_MP2, fma(-xn, SC_MP1, x));
  const n = lowWord(t) & 3;
  let t1 = xn * SC_PP3;
  const t2 = y - t1;
  let db = y - t2 - t1;
  t1 = xn * SC_PP4;
  const b = t2 - t1;
  db += t2 - b - t1;
  RED_A = b;
  RED_DA = db;
  return n;
}

/** 2/pi in base-2^24 digits (branred's toverp), computed on first use. */
let twoOverPiDigits: Float64Array | undefined;

function branredDigits(): Float64Array {
  const bits = 2000n;
  let t = (1n << (2n * bits + 1n)) / piFixed(bits);
  const out = new Float64Array(75);
  for (let i = 0; i < 75; i++) {
    t <<= 24n;
    const d = t >> bits;
    out[i] = Number(d);
    t -= d << bits;
  }
  return out;
}

/** One half of branred: x * 2/pi summed from six 24-bit digits of 2/pi, as [b, bb, sum]. */
function branredPart(xp: number, digits: Float64Array, out: Float64Array): void {
  const big = 6755399441055744;
  const big1 = 27021597764222976;
  let k = (highWord(xp) >> 20) & 2047;
  k = Math.trunc((k - 450) / 24);
  if (k < 0) k = 0;
  let gor = 2 ** (576 - 24 * k);
  const r0 = xp * digits[k]! * gor;
  gor *= 2 ** -24;
  const r1 = xp * digits[k + 1]! * gor;
  gor *= 2 ** -24;
  const r2 = xp * digits[k + 2]! * gor;
  gor *= 2 ** -24;
  const r3 = xp * digits[k + 3]! * gor;
  gor *= 2 ** -24;
  const r4 = xp * digits[k + 4]! * gor;
  gor *= 2 ** -24;
  const r5 = xp * digits[k + 5]! * gor;
  const r = [r0, r1, r2, r3, r4, r5];
  let sum = 0;
  for (let i = 0; i < 3; i++) {
    const s = r[i]! + big - big;
    sum += s;
    r[i] = r[i]! - s;
  }
  let t = 0;
  for (let i = 5; i >= 0; i--) t += r[i]!;
  let bb = r[0]! - t + r[1]! + r[2]! + r[3]! + r[4]! + r[5]!;
  let s = t + big - big;
  sum += s;
  t -= s;
  const b = t + bb;
  bb = t - b + bb;
  s = sum + big1 - big1;
  sum -= s;
  out[0] = b;
  out[1] = bb;
  out[2] = sum;
}

const BRANRED_SCRATCH = new Float64Array(6);

/** x = n pi/2 + a for any finite x (branred, no FMA in this one); returns n mod 4. */
function glibcBranred(x: number): number {
  const digits = (twoOverPiDigits ??= branredDigits());
  x *= 2 ** -600;
  let t = x * SPLITTER;
  const x1 = t - (t - x);
  const x2 = x - x1;
  const p1 = BRANRED_SCRATCH.subarray(0, 3);
  const p2 = BRANRED_SCRATCH.subarray(3, 6);
  branredPart(x1, digits, p1);
  branredPart(x2, digits, p2);
  const [b1, bb1, sum1] = p1 as unknown as [number, number, number];
  const [b2, bb2, sum2] = p2 as unknown as [number, number, number];
  let sum = sum1 + sum2;
  let b = b1 + b2;
  let bb = Math.abs(b1) > Math.abs(b2) ? b1 - b + b2 : b2 - b + b1;
  if (b > 0.5) {
    b -= 1;
    sum += 1;
  } else if (b < -0.5) {
    b += 1;
    sum -= 1;
  }
  let s = b + (bb + bb1 + bb2);
  t = b - s + bb + (bb1 + bb2);
  b = s * SPLITTER;
  const t1 = b - (b - s);
  const t2 = s - t1;
  b = s * SC_HP0;
  bb = t1 * SC_MP1 - b + t1 * BR_MP2 + t2 * SC_MP1 + (t2 * BR_MP2 + s * SC_HP1 + t * SC_HP0);
  s = b + bb;
  RED_A = s;
  RED_DA = b - s + bb;
  return Math.trunc(sum) & 3;
}

function glibcSinCos(n: number): number {
  const r = n & 1 ? glibcDoCos(RED_A, RED_DA) : glibcDoSin(RED_A, RED_DA);
  return n & 2 ? -r : r;
}

function sin(x: number): number {
  if (!sinCosTableReady) fillSinCosTable();
  const k = highWord(x) & 0x7fffffff;
  if (k < 0x3e500000) return x; // |x| < 2^-26
  if (k < 0x3feb6000) return glibcDoSin(x, 0); // |x| < 0.855469
  if (k < 0x400368fd) {
    // |x| < 2.426265: sin x = cos(pi/2 - |x|) with the sign of x
    const r = Math.abs(glibcDoCos(SC_HP0 - Math.abs(x), SC_HP1));
    return x < 0 ? -r : r;
  }
  if (k < 0x419921fb) return glibcSinCos(glibcReduce(x));
  return glibcSinCos(glibcBranred(x));
}

function cos(x: number): number {
  if (!sinCosTableReady) fillSinCosTable();
  const k = highWord(x) & 0x7fffffff;
  if (k < 0x3e400000) return 1; // |x| < 2^-27
  if (k < 0x3feb6000) return glibcDoCos(x, 0);
  if (k < 0x400368fd) {
    const y = SC_HP0 - Math.abs(x);
    const a = y + SC_HP1;
    return glibcDoSin(a, y - a + SC_HP1);
  }
  if (k < 0x419921fb) return glibcSinCos(glibcReduce(x) + 1);
  return glibcSinCos(glibcBranred(x) + 1);
}

function tan(x: number): number {
  if (Math.abs(x) < TINY) return x;
  const rh = reduce(x);
  const rl = LO;
  const sh = sinDD(rh, rl);
  const sl = LO;
  const ch = cosDD(rh, rl);
  const cl = LO;
  const h = (QUADRANT & 1) === 0 ? ddDiv(sh, sl, ch, cl) : ddDiv(-ch, -cl, sh, sl);
  return h + LO;
}

/**
 * atan(x): one Newton step from the double arctangent y0. With s, c the
 * sine and cosine of y0, atan(x) - y0 = atan((x c - s) / (c + x s)), a
 * correction of about one ulp of y0 that only needs ordinary precision.
 */
function atan(x: number): number {
  if (Math.abs(x) < TINY) return x;
  // Beyond 2^53, atan(x) = +-(pi/2 - 1/x...) rounds to the double nearest pi/2.
  if (Math.abs(x) > 2 ** 53) return x > 0 ? PIO2_H : -PIO2_H;
  const y0 = Math.atan(x);
  sinCosDD(y0);
  const nh = ddMulD(COS_H, COS_L, x);
  const num = ddAdd(nh, LO, -SIN_H, -SIN_L);
  const den = COS_H + x * SIN_H;
  return y0 + num / den;
}

function atan2(y: number, x: number): number {
  if (y === 0 || x === 0) {
    if (x === 0 && y !== 0) return y > 0 ? PIO2_H : -PIO2_H;
    // y is zero: +-0 toward x > 0 or +0, +-pi toward x < 0 or -0.
    if (x > 0 || Object.is(x, 0)) return y;
    return Object.is(y, -0) ? -PI_H : PI_H;
  }
  const ay = Math.abs(y);
  const ax = Math.abs(x);
  if (ay < ax * 2 ** -60) {
    // |y/x| so small that atan(y/x) rounds as y/x does.
    if (x > 0) return y / x;
    return y > 0 ? PI_H : -PI_H;
  }
  // Scale both to around 1 (exactly) so that no product below over- or underflows.
  const scale = 2 ** -((highWord(Math.max(ay, ax)) >> 20) - 1023);
  const ys = y * scale;
  const xs = x * scale;
  const y0 = Math.atan2(ys, xs);
  sinCosDD(y0);
  // atan2(y, x) - y0 = atan((y c - x s) / (x c + y s)).
  const a = ddMulD(COS_H, COS_L, ys);
  const al = LO;
  const b = ddMulD(SIN_H, SIN_L, xs);
  const num = ddAdd(a, al, -b, -LO);
  const den = xs * COS_H + ys * SIN_H;
  return y0 + num / den;
}

/** sqrt(1 - x^2) as a double-double, for |x| <= 1. */
function cosOfAsinDD(x: number): number {
  const xx = twoProd(x, x);
  const w = ddAdd(1, 0, -xx, -LO);
  return ddSqrt(w, LO);
}

function asin(x: number): number {
  const ax = Math.abs(x);
  if (ax > 1) return NaN;
  if (ax < TINY) return x;
  if (ax === 1) return x > 0 ? PIO2_H : -PIO2_H;
  const y0 = Math.asin(x);
  sinCosDD(y0);
  const wh = cosOfAsinDD(x);
  const wl = LO;
  // With a = asin(x): sin(a - y0) = x cos y0 - sqrt(1 - x^2) sin y0, tiny.
  const p = ddMulD(COS_H, COS_L, x);
  const pl = LO;
  const q = ddMul(SIN_H, SIN_L, wh, wl);
  const u = ddAdd(p, pl, -q, -LO);
  return y0 + u;
}

function acos(x: number): number {
  const ax = Math.abs(x);
  if (ax > 1) return NaN;
  if (x === 1) return 0;
  if (x === -1) return PI_H;
  const y0 = Math.acos(x);
  sinCosDD(y0);
  const wh = cosOfAsinDD(x);
  const wl = LO;
  // With a = acos(x): sin(y0 - a) = x sin y0 - sqrt(1 - x^2) cos y0.
  const p = ddMulD(SIN_H, SIN_L, x);
  const pl = LO;
  const q = ddMul(COS_H, COS_L, wh, wl);
  const u = ddAdd(p, pl, -q, -LO);
  return y0 - u;
}

// ---------------------------------------------------------------- glibc's fdlibm-derived functions
//
// The order of operations below is glibc's (sysdeps/ieee754/dbl-64); where
// its x86-64 FMA build fuses a multiply and an add, we call fma().

const EXPM1_Q1 = -3.33333333333331316428e-2;
const EXPM1_Q2 = 1.58730158725481460165e-3;
const EXPM1_Q3 = -7.93650757867487942473e-5;
const EXPM1_Q4 = 4.00821782732936239552e-6;
const EXPM1_Q5 = -2.01099218183624371326e-7;
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INVLN2 = 1.44269504088896338700;

/** expm1 (s_expm1.c). */
function expm1(x: number): number {
  let hx = highWord(x);
  const negative = hx < 0;
  hx &= 0x7fffffff;
  if (hx >= 0x4043687a) {
    // |x| >= 56 ln2
    if (hx >= 0x40862e42 && x > 7.09782712893383973096e2) return Infinity;
    if (negative) return -1;
  }
  let k: number;
  let c = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2/2: x = k ln2 + r
    let hi: number;
    let lo: number;
    if (hx < 0x3ff0a2b2) {
      if (!negative) {
        hi = x - LN2_HI;
        lo = LN2_LO;
        k = 1;
      } else {
        hi = x + LN2_HI;
        lo = -LN2_LO;
        k = -1;
      }
    } else {
      k = Math.trunc(INVLN2 * x + (negative ? -0.5 : 0.5));
      hi = x - k * LN2_HI; // exact
      lo = k * LN2_LO;
    }
    x = hi - lo;
    c = hi - x - lo;
  } else if (hx < 0x3c900000) {
    return x; // |x| < 2^-54
  } else {
    k = 0;
  }
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1a = fma(hxs, EXPM1_Q1, 1);
  const h2 = hxs * hxs;
  const r2 = fma(hxs, EXPM1_Q3, EXPM1_Q2);
  const h4 = h2 * h2;
  const r3 = fma(hxs, EXPM1_Q5, EXPM1_Q4);
  const r1 = fma(h4, r3, fma(h2, r2, r1a));
  const t = fma(-r1, hfx, 3);
  let e = hxs * ((r1 - t) / fma(-x, t, 6));
  if (k === 0) return x - fma(e, x, -hxs);
  e = fma(e - c, x, -c);
  e -= hxs;
  if (k === -1) return fma(x - e, 0.5, -0.5);
  if (k === 1) {
    if (x < -0.25) return -2 * (e - (x + 0.5));
    return fma(x - e, 2, 1);
  }
  if (k <= -2 || k > 56) {
    const y = 1 - (e - x);
    return withHighWord(y, highWord(y) + (k << 20)) - 1;
  }
  if (k < 20) {
    const t1 = fromWords(0x3ff00000 - (0x200000 >> k), 0);
    const y = t1 - (e - x);
    return withHighWord(y, highWord(y) + (k << 20));
  }
  const t2 = fromWords((0x3ff - k) << 20, 0);
  let y = x - (e + t2);
  y += 1;
  return withHighWord(y, highWord(y) + (k << 20));
}

const LP1 = 6.666666666666735130e-1;
const LP2 = 3.999999999940941908e-1;
const LP3 = 2.857142874366239149e-1;
const LP4 = 2.222219843214978396e-1;
const LP5 = 1.818357216161805012e-1;
const LP6 = 1.531383769920937332e-1;
const LP7 = 1.479819860511658591e-1;

/** log1p (s_log1p.c). */
function log1p(x: number): number {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;
  let k = 1;
  let f = 0;
  let c = 0;
  let hu = 0;
  if (hx < 0x3fda827a) {
    // x < 0.41422
    if (ax >= 0x3ff00000) return x === -1 ? -Infinity : NaN;
    if (ax < 0x3e200000) {
      // |x| < 2^-29
      if (ax < 0x3c900000) return x;
      return fma(-(x * x), 0.5, x);
    }
    if (hx > 0 || hx <= (0xbfd2bec3 | 0)) {
      // -0.2929 < x < 0.41422
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1 - (u - x) : x - (u - 1);
      c /= u;
    } else {
      u = x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = withHighWord(u, hu | 0x3ff00000);
    } else {
      k += 1;
      u = withHighWord(u, hu | 0x3fe00000);
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2^-20
    if (f === 0) {
      if (k === 0) return 0;
      return fma(k, LN2_HI, fma(k, LN2_LO, c));
    }
    const r = fma(-f, 0.66666666666666666, 1) * hfsq;
    if (k === 0) return f - r;
    return fma(k, LN2_HI, -(r - fma(k, LN2_LO, c) - f));
  }
  const s = f / (2 + f);
  const z = s * s;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z2 * z4;
  const r2 = fma(z, LP3, LP2);
  const r3 = fma(z, LP5, LP4);
  const r4 = fma(z, LP7, LP6);
  const r = fma(z6, r4, fma(z4, r3, fma(z, LP1, z2 * r2)));
  const sr = s * (hfsq + r);
  if (k === 0) return f - (hfsq - sr);
  return fma(k, LN2_HI, -(hfsq - (sr + fma(k, LN2_LO, c)) - f));
}

/** sinh (e_sinh.c). */
function sinh(x: number): number {
  const jx = highWord(x);
  const ix = jx & 0x7fffffff;
  const h = jx < 0 ? -0.5 : 0.5;
  if (ix < 0x40360000) {
    // |x| < 22
    if (ix < 0x3e300000) return x; // |x| < 2^-28
    const t = expm1(Math.abs(x));
    if (ix < 0x3ff00000) return h * (2 * t - (t * t) / (t + 1));
    return h * (t + t / (t + 1));
  }
  if (ix < 0x40862e42) return h * exp(Math.abs(x));
  const lx = lowWord(x);
  if (ix < 0x408633ce || (ix === 0x408633ce && lx <= 0x8fb9f87d)) {
    const w = exp(0.5 * Math.abs(x));
    const t = h * w;
    return t * w;
  }
  return x * 1e307;
}

/** cosh (e_cosh.c). */
function cosh(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix < 0x40360000) {
    if (ix < 0x3fd62e43) {
      // |x| < ln2/2
      if (ix < 0x3c800000) return 1;
      const t = expm1(Math.abs(x));
      const w = 1 + t;
      return 1 + (t * t) / (w + w);
    }
    const t = exp(Math.abs(x));
    return 0.5 * t + 0.5 / t;
  }
  if (ix < 0x40862e42) return 0.5 * exp(Math.abs(x));
  const lx = lowWord(x);
  if (ix < 0x408633ce || (ix === 0x408633ce && lx <= 0x8fb9f87d)) {
    const w = exp(0.5 * Math.abs(x));
    const t = 0.5 * w;
    return t * w;
  }
  return Infinity;
}

/** tanh (s_tanh.c). */
function tanh(x: number): number {
  const jx = highWord(x);
  const ix = jx & 0x7fffffff;
  let z: number;
  if (ix < 0x40360000) {
    if (x === 0) return x;
    if (ix < 0x3c800000) return x * (1 + x); // |x| < 2^-55
    if (ix >= 0x3ff00000) {
      const t = expm1(2 * Math.abs(x));
      z = 1 - 2 / (t + 2);
    } else {
      const t = expm1(-2 * Math.abs(x));
      z = -t / (t + 2);
    }
  } else {
    z = 1 - 1e-300;
  }
  return jx >= 0 ? z : -z;
}

/** asinh (s_asinh.c). */
function asinh(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix < 0x3e300000) return x; // |x| < 2^-28
  let w: number;
  const xa = Math.abs(x);
  if (ix > 0x41b00000) {
    w = log(xa) + 6.93147180559945286227e-1;
  } else if (ix > 0x40000000) {
    w = log(2 * xa + 1 / (Math.sqrt(xa * xa + 1) + xa));
  } else {
    const t = xa * xa;
    w = log1p(xa + t / (1 + Math.sqrt(1 + t)));
  }
  return x < 0 ? -w : w;
}

/** acosh (e_acosh.c). */
function acosh(x: number): number {
  if (x > 2) {
    if (x >= 2 ** 28) return log(x) + 6.93147180559945286227e-1;
    const t = x * x;
    return log(2 * x - 1 / (x + Math.sqrt(t - 1)));
  }
  if (x > 1) {
    const t = x - 1;
    return log1p(t + Math.sqrt(2 * t + t * t));
  }
  if (x === 1) return 0;
  return NaN;
}

/** atanh (e_atanh.c). */
function atanh(x: number): number {
  const xa = Math.abs(x);
  let t: number;
  if (xa < 0.5) {
    if (xa < 2 ** -28) return x;
    t = xa + xa;
    t = 0.5 * log1p(t + (t * xa) / (1 - xa));
  } else if (xa < 1) {
    t = 0.5 * log1p((xa + xa) / (1 - xa));
  } else {
    return xa > 1 ? NaN : x / 0;
  }
  return x < 0 ? -t : t;
}

/** log10 (e_log10.c): log10(x) = n log10(2) + log(x / 2^n) / ln(10). */
function log10(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  let k = 0;
  if (x < 2 ** -1022) {
    k -= 54;
    x *= 2 ** 54;
  }
  const hx = highWord(x);
  k += (hx >> 20) - 1023;
  const i = k < 0 ? 1 : 0;
  const y = k + i;
  const xs = withHighWord(x, (hx & 0x000fffff) | ((0x3ff - i) << 20));
  const z = y * 3.69423907715893078616e-13 + 4.34294481903251816668e-1 * log(xs);
  return z + y * 3.01029995663611771306e-1;
}

// erf and erfc: rational approximations on [0, 0.84375], [0.84375, 1.25],
// [1.25, 1/0.35] and [1/0.35, 28] (s_erf.c, evaluated in glibc's order).
const ERX = 8.45062911510467529297e-1;
const EFX = 1.28379167095512586316e-1;
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [0, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
const PA = [
  -2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1,
  3.54783043256182359371e-2, -2.16637559486879084300e-3,
];
const QA = [0, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
const RA = [
  -9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2,
  -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592,
];
const SA = [
  0, 1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2,
  1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2,
];
const RB = [
  -9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2,
  -1.02509513161107724954e3, -4.83519191608651397019e2,
];
const SB = [0, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1];

/** (erf(x) - x) / x on |x| < 0.84375, as y = r / s. */
function erfSmallRatio(x: number): number {
  const z = x * x;
  const r1 = PP[0]! + z * PP[1]!;
  const z2 = z * z;
  const r2 = PP[2]! + z * PP[3]!;
  const z4 = z2 * z2;
  const s1 = 1 + z * QQ[1]!;
  const s2 = QQ[2]! + z * QQ[3]!;
  const s3 = QQ[4]! + z * QQ[5]!;
  const r = r1 + z2 * r2 + z4 * PP[4]!;
  const s = s1 + z2 * s2 + z4 * s3;
  return r / s;
}

/** P/Q on 0.84375 <= |x| < 1.25, s = |x| - 1. */
function erfMiddle(s: number): number {
  const p1 = PA[0]! + s * PA[1]!;
  const s2 = s * s;
  const q1 = 1 + s * QA[1]!;
  const s4 = s2 * s2;
  const p2 = PA[2]! + s * PA[3]!;
  const s6 = s4 * s2;
  const q2 = QA[2]! + s * QA[3]!;
  const p3 = PA[4]! + s * PA[5]!;
  const q3 = QA[4]! + s * QA[5]!;
  const p = p1 + s2 * p2 + s4 * p3 + s6 * PA[6]!;
  const q = q1 + s2 * q2 + s4 * q3 + s6 * QA[6]!;
  return p / q;
}

/** exp(-x^2 - 0.5625 + R/S) / x for 1.25 <= x < 28 (x > 0): erfc(x). */
function erfcTail(x: number, ix: number, boundary: number): number {
  const s = 1 / (x * x);
  let R: number;
  let S: number;
  if (ix < boundary) {
    const r1 = RA[0]! + s * RA[1]!;
    const s2 = s * s;
    const t1 = 1 + s * SA[1]!;
    const s4 = s2 * s2;
    const r2 = RA[2]! + s * RA[3]!;
    const s6 = s4 * s2;
    const t2 = SA[2]! + s * SA[3]!;
    const s8 = s4 * s4;
    const r3 = RA[4]! + s * RA[5]!;
    const t3 = SA[4]! + s * SA[5]!;
    const r4 = RA[6]! + s * RA[7]!;
    const t4 = SA[6]! + s * SA[7]!;
    R = r1 + s2 * r2 + s4 * r3 + s6 * r4;
    S = t1 + s2 * t2 + s4 * t3 + s6 * t4 + s8 * SA[8]!;
  } else {
    const r1 = RB[0]! + s * RB[1]!;
    const s2 = s * s;
    const t1 = 1 + s * SB[1]!;
    const s4 = s2 * s2;
    const r2 = RB[2]! + s * RB[3]!;
    const s6 = s4 * s2;
    const t2 = SB[2]! + s * SB[3]!;
    const r3 = RB[4]! + s * RB[5]!;
    const t3 = SB[4]! + s * SB[5]!;
    const t4 = SB[6]! + s * SB[7]!;
    R = r1 + s2 * r2 + s4 * r3 + s6 * RB[6]!;
    S = t1 + s2 * t2 + s4 * t3 + s6 * t4;
  }
  const z = withLowWord(x, 0);
  return (exp(-z * z - 0.5625) * exp((z - x) * (z + x) + R / S)) / x;
}

function erf(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix < 0x3feb0000) {
    if (ix < 0x3e300000) {
      if (ix < 0x00800000) return 0.0625 * (16 * x + 16 * EFX * x);
      return x + EFX * x;
    }
    return x + x * erfSmallRatio(x);
  }
  if (ix < 0x3ff40000) {
    const q = erfMiddle(Math.abs(x) - 1);
    return hx >= 0 ? ERX + q : -ERX - q;
  }
  if (ix >= 0x40180000) return hx >= 0 ? 1 - 1e-300 : 1e-300 - 1;
  const r = erfcTail(Math.abs(x), ix, 0x4006db6e);
  return hx >= 0 ? 1 - r : r - 1;
}

function erfc(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix < 0x3feb0000) {
    if (ix < 0x3c700000) return 1 - x;
    const y = erfSmallRatio(x);
    if (hx < 0x3fd00000) return 1 - (x + x * y);
    let r = x * y;
    r += x - 0.5;
    return 0.5 - r;
  }
  if (ix < 0x3ff40000) {
    const q = erfMiddle(Math.abs(x) - 1);
    if (hx >= 0) return 1 - ERX - q;
    return 1 + (ERX + q);
  }
  if (ix < 0x403c0000) {
    if (hx < 0 && ix >= 0x40180000) return 2 - 1e-300;
    const r = erfcTail(Math.abs(x), ix, 0x4006db6d);
    return hx > 0 ? r : 2 - r;
  }
  return hx > 0 ? 0 : 2 - 1e-300;
}

// ---------------------------------------------------------------- the BIFs

/**
 * A number argument as the real VM converts it: floats as they are,
 * integers to the nearest double; a bignum is converted 64 bits at a time
 * from the top (d = d * 2^64 + digit, each step rounded, as big_to_double
 * does) and is badarith if that overflows. Anything else is badarg.
 */
function toDouble(p: Process, t: Term): number {
  if (isSmall(t)) return smallVal(t);
  if (isFloat(p, t)) return floatValue(p, t);
  if (!isBignum(p, t)) throw badarg();
  const v = bignumValue(p, t);
  const neg = v < 0n;
  let m = neg ? -v : v;
  const digits: number[] = [];
  for (; m > 0n; m >>= 64n) digits.push(Number(m & 0xffffffffffffffffn));
  let d = 0;
  for (let i = digits.length - 1; i >= 0; i--) d = d * 18446744073709551616 + digits[i]!;
  if (!Number.isFinite(d)) throw badarith();
  return neg ? -d : d;
}

function result(p: Process, x: number): Term {
  if (!Number.isFinite(x)) throw badarith();
  return mkFloat(p, x);
}

const unary = (f: (x: number) => number) => (p: Process, args: Term[]): Term => result(p, f(toDouble(p, args[0]!)));
const binary = (f: (x: number, y: number) => number) => (p: Process, args: Term[]): Term =>
  result(p, f(toDouble(p, args[0]!), toDouble(p, args[1]!)));

defineBifs('math', 'nif', {
  'sin/1': unary(sin),
  'cos/1': unary(cos),
  'tan/1': unary(tan),
  'asin/1': unary(asin),
  'acos/1': unary(acos),
  'atan/1': unary(atan),
  'atan2/2': binary(atan2),
  'sinh/1': unary(sinh),
  'cosh/1': unary(cosh),
  'tanh/1': unary(tanh),
  'asinh/1': unary(asinh),
  'acosh/1': unary(acosh),
  'atanh/1': unary(atanh),
  'exp/1': unary(exp),
  'log/1': unary(log),
  'log2/1': unary(log2),
  'log10/1': unary(log10),
  'pow/2': binary(pow),
  'sqrt/1': unary(Math.sqrt),
  'erf/1': unary(erf),
  'erfc/1': unary(erfc),
  'ceil/1': unary(Math.ceil),
  'floor/1': unary(Math.floor),
  'fmod/2': binary((x, y) => x % y),
});

/** The functions themselves, for tests and for other native code. */
export const math = { sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh, asinh, acosh, atanh, exp, expm1, log, log1p, log2, log10, pow, erf, erfc, fma };
