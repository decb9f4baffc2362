/**
 * Float to text, byte for byte as OTP 25 does it.
 *
 *   floatToList(X)            float_to_list(X)          C printf "%.20e"
 *   floatToListOpts(X, Opts)  float_to_list(X, Opts)    [short], [{decimals,N}], [{decimals,N},compact],
 *                                                       [{scientific,N}]
 *   formatShortFloat(X)       io_lib:write/1, ~w, ~p    shortest round-tripping digits
 *
 * Everything here was checked against the real erl (see test/vm/text/float.test.ts);
 * the non-obvious behaviours of OTP 25 that are reproduced on purpose:
 *
 *  - {decimals,N} for |X| <= 2^53 and N <= 18 does NOT use printf. The VM splits
 *    X into floor(X) and the fraction, multiplies the fraction by 10^N in double
 *    arithmetic and rounds half away from zero. So 0.125 -> "0.13" (printf: "0.12"),
 *    2.5 with N=0 -> "3", and 0.9999999999999999 with N=16 -> "0.9999999999999998"
 *    (the product is rounded to a double before it is rounded to an integer).
 *  - Otherwise {decimals,N} is printf "%.*f": the exact value of the double,
 *    rounded half to even.
 *  - The sign comes from the sign bit: -0.0 gives "-0.00", -0.001 gives "-0.00".
 *  - compact strips trailing zeros (keeping one after the point); on the printf
 *    path it does so even when N = 0, so 1.0e20 with [{decimals,0},compact] is "1".
 *  - The VM formats into a 256-byte buffer; a result of 256 characters or more is
 *    badarg (e.g. -0.1 with {decimals,253}, -1.0 with {scientific,249}).
 *  - {scientific,N} with N < 0 is printf's default precision, 6.
 *
 * Badarg cases throw a RangeError whose message starts with "badarg".
 */

const view = new DataView(new ArrayBuffer(8));

interface Decomposed {
  /** The sign bit (so -0.0 is negative). */
  neg: boolean;
  /** |x| = digits * 10^-scale exactly; digits has no meaning when zero is true. */
  digits: bigint;
  scale: number;
  zero: boolean;
}

const pow5Cache: bigint[] = [1n];
function pow5(n: number): bigint {
  for (let i = pow5Cache.length; i <= n; i++) pow5Cache.push(pow5Cache[i - 1]! * 5n);
  return pow5Cache[n]!;
}

const pow10Cache: bigint[] = [1n];
function pow10(n: number): bigint {
  for (let i = pow10Cache.length; i <= n; i++) pow10Cache.push(pow10Cache[i - 1]! * 10n);
  return pow10Cache[n]!;
}

function checkFinite(x: number): void {
  if (!Number.isFinite(x)) throw new RangeError(`badarg: ${x} is not an Erlang float`);
}

/** The exact decimal value of a double: m * 2^e = m * 5^-e / 10^-e for e < 0. */
function decompose(x: number): Decomposed {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const neg = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  if (biased === 0 && frac === 0n) return { neg, digits: 0n, scale: 0, zero: true };
  const mant = biased === 0 ? frac : frac | (1n << 52n);
  const exp = biased === 0 ? -1074 : biased - 1075;
  if (exp >= 0) return { neg, digits: mant << BigInt(exp), scale: 0, zero: false };
  return { neg, digits: mant * pow5(-exp), scale: -exp, zero: false };
}

/** printf("%.*f", d, x) with glibc semantics: exact value, ties to even. */
function printfFixed(x: number, d: number): string {
  const { neg, digits, scale } = decompose(x);
  let r: bigint;
  if (d >= scale) {
    r = digits * pow10(d - scale);
  } else {
    const div = pow10(scale - d);
    r = digits / div;
    const twice = (digits % div) * 2n;
    if (twice > div || (twice === div && (r & 1n) === 1n)) r += 1n;
  }
  let s = r.toString();
  if (s.length <= d) s = '0'.repeat(d + 1 - s.length) + s;
  const int = s.slice(0, s.length - d);
  return (neg ? '-' : '') + int + (d > 0 ? '.' + s.slice(s.length - d) : '');
}

/** printf("%.*e", d, x) with glibc semantics: exact value, ties to even, exponent of at least two digits. */
function printfExp(x: number, d: number): string {
  const dec = decompose(x);
  const sign = dec.neg ? '-' : '';
  let sig: string;
  let e: number;
  if (dec.zero) {
    sig = '0'.repeat(d + 1);
    e = 0;
  } else {
    const all = dec.digits.toString();
    e = all.length - 1 - dec.scale;
    const p = d + 1;
    if (all.length <= p) {
      sig = all + '0'.repeat(p - all.length);
    } else {
      let q = BigInt(all.slice(0, p));
      const first = all.charCodeAt(p);
      let up: boolean;
      if (first > 0x35) up = true;
      else if (first < 0x35) up = false;
      else if (/[1-9]/.test(all.slice(p + 1))) up = true;
      else up = (q & 1n) === 1n; // exact tie
      if (up) q += 1n;
      sig = q.toString();
      if (sig.length > p) {
        // 9.99.. rounded up to 10.0..: one more power of ten
        sig = sig.slice(0, p);
        e += 1;
      }
    }
  }
  const mant = d > 0 ? sig[0] + '.' + sig.slice(1) : sig;
  const ae = Math.abs(e);
  return sign + mant + 'e' + (e < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + ae;
}

/** The VM writes float_to_list/2 results into a 256-byte buffer. */
const BUFFER_SIZE = 256;

function fitBuffer(s: string): string {
  if (s.length >= BUFFER_SIZE) throw new RangeError(`badarg: float_to_list result needs ${s.length + 1} bytes`);
  return s;
}

/** Trailing zeros go; if that reaches the point, one zero stays ("1.0"). Without a point it eats integer zeros. */
function stripTrailingZeros(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x30) end--;
  if (end > 0 && s[end - 1] === '.') end++;
  return s.slice(0, end);
}

/** 10^0 .. 10^18 as doubles (all exact). */
const POW10_DOUBLE = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
];
const TWO_53 = 9007199254740992;

/** Round half away from zero for a non-negative double; y - floor(y) is exact. */
function roundHalfAway(y: number): number {
  const f = Math.floor(y);
  return y - f >= 0.5 ? f + 1 : f;
}

/**
 * The smallest result of {decimals,N} is "0." plus N digits and of {scientific,N}
 * "d." plus N digits plus "e+00", so beyond these N nothing fits the buffer.
 * Checking first also spares building huge numbers for absurd N.
 */
const MAX_DECIMALS = BUFFER_SIZE - 3;
const MAX_SCIENTIFIC = BUFFER_SIZE - 7;

function fixed(x: number, d: number, compact: boolean): string {
  if (d < 0) throw new RangeError('badarg: negative decimals');
  if (d > MAX_DECIMALS) throw new RangeError(`badarg: {decimals,${d}} cannot fit`);
  const af = Math.abs(x);
  if (af > TWO_53 || d >= POW10_DOUBLE.length) {
    const s = fitBuffer(printfFixed(x, d));
    return compact ? stripTrailingZeros(s) : s;
  }
  // The VM's own fast path (see the header comment): double arithmetic, half away from zero.
  const neg = decompose(x).neg;
  let s: string;
  if (d > 0) {
    const intF = Math.floor(af);
    const fracF = roundHalfAway((af - intF) * POW10_DOUBLE[d]!);
    let int = BigInt(intF);
    let frac = BigInt(fracF);
    if (fracF >= POW10_DOUBLE[d]!) {
      int += 1n;
      frac = 0n;
    }
    s = int.toString() + '.' + frac.toString().padStart(d, '0');
    if (compact) s = stripTrailingZeros(s);
  } else {
    s = BigInt(roundHalfAway(af)).toString();
  }
  return (neg ? '-' : '') + s;
}

/** float_to_list(X): "%.20e". */
export function floatToList(x: number): string {
  checkFinite(x);
  return printfExp(x, 20);
}

export interface FloatToListOptions {
  /** [short] */
  short?: boolean;
  /** [{decimals,N}]; N must be >= 0 (OTP accepts up to 253, beyond that the result cannot fit). */
  decimals?: number;
  /** [{scientific,N}]; N up to 249; a negative N means printf's default, 6. */
  scientific?: number;
  /** compact: only has an effect together with decimals. */
  compact?: boolean;
}

/**
 * float_to_list(X, Opts). Erlang lets the last of short/{decimals,N}/{scientific,N}
 * in the list win; an object cannot say which came last, so giving more than one
 * is a TypeError (the caller resolves the order). With none of them it is
 * float_to_list/1 (compact alone changes nothing, as in OTP).
 */
export function floatToListOpts(x: number, opts: FloatToListOptions): string {
  checkFinite(x);
  const given = (opts.short ? 1 : 0) + (opts.decimals !== undefined ? 1 : 0) + (opts.scientific !== undefined ? 1 : 0);
  if (given > 1) throw new TypeError('floatToListOpts: give at most one of short, decimals, scientific');
  if (opts.short) return formatShortFloat(x);
  if (opts.decimals !== undefined) {
    if (!Number.isInteger(opts.decimals)) throw new TypeError('floatToListOpts: decimals must be an integer');
    return fixed(x, opts.decimals, opts.compact === true);
  }
  if (opts.scientific !== undefined) {
    if (!Number.isInteger(opts.scientific)) throw new TypeError('floatToListOpts: scientific must be an integer');
    if (opts.scientific > MAX_SCIENTIFIC) throw new RangeError(`badarg: {scientific,${opts.scientific}} cannot fit`);
    return fitBuffer(printfExp(x, opts.scientific < 0 ? 6 : opts.scientific));
  }
  return printfExp(x, 20);
}

/**
 * The shortest form that reads back as the same float, laid out as OTP 25 does
 * (float_to_list(X, [short]); io_lib:write/1, ~w and ~p print the same):
 * plain notation ("123.0", "0.001", "12.5") unless the exponent form
 * ("1.0e10", "1.5e-7"; a lone digit gets ".0", no "+" in the exponent) is
 * strictly shorter, and always the exponent form when |X| >= 2^53, where
 * neighbouring integers are no longer all representable.
 */
export function formatShortFloat(x: number): string {
  checkFinite(x);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = Math.abs(x);
  // toExponential() with no argument: the shortest digits that round-trip, as "d.ddde+N".
  const js = ax.toExponential();
  const ePos = js.indexOf('e');
  const digits = js.slice(0, ePos).replace('.', '');
  const exp = Number(js.slice(ePos + 1));
  const n = digits.length;
  const sci = digits[0] + '.' + (n > 1 ? digits.slice(1) : '0') + 'e' + exp;
  let plain: string;
  if (exp < 0) plain = '0.' + '0'.repeat(-exp - 1) + digits;
  else if (n <= exp + 1) plain = digits + '0'.repeat(exp + 1 - n) + '.0';
  else plain = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  const body = ax < TWO_53 && plain.length <= sci.length ? plain : sci;
  return x < 0 ? '-' + body : body;
}
