/**
 * `erlang` conversion BIFs: atoms, integers and floats to and from text,
 * rounding, tuples and lists, binaries, bitstrings and iolists. Results and
 * exceptions are the real VM's (OTP 25), checked against erl in
 * test/bifs/erlang_convert.test.ts. term_to_binary & co are in erlang_etf.ts.
 */
import { defineBifs } from './registry.js';
import { intToDouble } from './erlang_arith.js';
import { binaryArg, bitsArg, intArg, internChecked, latin1, listArg, subBits } from './erlang_util.js';
import type { Process } from '../vm/process.js';
import { badarg, systemLimit } from '../vm/errors.js';
import { floatValue } from '../vm/term/build.js';
import { type Int, neg } from '../vm/term/integers.js';
import {
  binaryBytes,
  isBignum,
  isBitstring,
  isFloat,
  isTuple,
  mkBinary,
  mkBitstring,
  mkFloat,
  mkInt,
  mkIntList,
  mkList,
  mkString,
  mkTuple,
  mkTuple2,
  tupleElements,
} from '../vm/term/make.js';
import { floatToList, floatToListOpts, type FloatToListOptions } from '../vm/text/float.js';
import { NIL, type Term, isAtom, isBoxed, isList, isSmall, ptrVal, smallVal } from '../vm/term/tags.js';

const MAX_ATOM_CHARS = 255;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------- atoms

/** The encoding argument of the atom/binary BIFs: true for latin1, false for utf8/unicode; badarg otherwise. */
function latin1Encoding(p: Process, t: Term): boolean {
  if (!isAtom(t)) throw badarg();
  const name = p.atoms.name(t);
  if (name === 'latin1') return true;
  if (name === 'utf8' || name === 'unicode') return false;
  throw badarg();
}

/**
 * The characters of an atom-to-be from a list, with the real VM's order of
 * checks: a 256th cell is system_limit whatever it holds; an element that is
 * not a code point, or an improper tail, is badarg.
 */
function atomNameFromList(p: Process, t: Term, existing: boolean): string {
  const w = p.mem.i32;
  let s = '';
  let n = 0;
  while (isList(t)) {
    if (n === MAX_ATOM_CHARS) {
      if (existing) throw badarg();
      throw systemLimit();
    }
    const c = ptrVal(t);
    const ch = w[c]!;
    if (!isSmall(ch)) throw badarg();
    const v = smallVal(ch);
    if (v < 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw badarg();
    s += String.fromCodePoint(v);
    n++;
    t = w[c + 1]!;
  }
  if (t !== NIL) throw badarg();
  return s;
}

/**
 * An atom's name from binary bytes in an encoding: null for text that is not
 * valid (badarg), 'long' for more than 255 characters (system_limit). UTF-8 is
 * read in order and the first problem decides, as in the real VM: 300 'a's
 * and then a bad byte is too long, a bad byte and then 300 'a's is badarg.
 */
function atomNameFromBytes(bytes: Uint8Array, isLatin1: boolean): string | null | 'long' {
  if (isLatin1) return bytes.length > MAX_ATOM_CHARS ? 'long' : latin1(bytes);
  let chars = 0;
  let ascii = true;
  for (let i = 0; i < bytes.length; ) {
    if (chars === MAX_ATOM_CHARS) return 'long';
    const n = utf8CharLength(bytes, i);
    if (n === 0) return null;
    if (n > 1) ascii = false;
    i += n;
    chars++;
  }
  return ascii ? latin1(bytes) : utf8Decoder.decode(bytes);
}

/** The length of the well-formed UTF-8 character at i (shortest form, no surrogates, <= U+10FFFF), or 0. */
function utf8CharLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 >= 0x90) return 0; // beyond U+10FFFF
    return 4;
  }
  return 0;
}

function atomToBinary(p: Process, a: Term, isLatin1: boolean): Term {
  if (!isAtom(a)) throw badarg();
  if (!isLatin1) return mkBinary(p, p.atoms.utf8(a).slice());
  const name = p.atoms.name(a);
  const out = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff) throw badarg();
    out[i] = c;
  }
  return mkBinary(p, out);
}

function binaryToAtom(p: Process, b: Term, enc: Term, existing: boolean): Term {
  const bytes = binaryArg(p, b);
  const isLatin1 = latin1Encoding(p, enc);
  const name = atomNameFromBytes(bytes, isLatin1);
  if (name === null) throw badarg();
  if (name === 'long') {
    if (existing) throw badarg();
    throw systemLimit();
  }
  if (existing) {
    const a = p.atoms.existing(name);
    if (a === undefined) throw badarg();
    return a;
  }
  return internChecked(p, name);
}

// ---------------------------------------------------------------- integers and text

/** The base argument: a small integer 2..36, or badarg. */
function baseArg(t: Term): number {
  if (!isSmall(t)) throw badarg();
  const b = smallVal(t);
  if (b < 2 || b > 36) throw badarg();
  return b;
}

function integerText(p: Process, t: Term, base: number): string {
  if (!isSmall(t) && !isBignum(p, t)) throw badarg();
  return intArg(p, t).toString(base).toUpperCase();
}

const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) DIGIT_VALUE[0x30 + i] = i;
for (let i = 0; i < 26; i++) {
  DIGIT_VALUE[0x41 + i] = 10 + i;
  DIGIT_VALUE[0x61 + i] = 10 + i;
}

/** list_to_integer's syntax: an optional sign, then at least one digit of the base. undefined when not. */
export function parseInteger(s: string, base: number): Int | undefined {
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  if (i >= s.length) return undefined;
  for (let k = i; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const d = c < 128 ? DIGIT_VALUE[c]! : -1;
    if (d < 0 || d >= base) return undefined;
  }
  const digits = s.slice(i);
  let v: bigint;
  if (digits.length <= 10) {
    const n = parseInt(digits, base);
    return neg ? 0 - n : n;
  }
  if (base === 10) v = BigInt(digits);
  else if (base === 16) v = BigInt('0x' + digits);
  else if (base === 8) v = BigInt('0o' + digits);
  else if (base === 2) v = BigInt('0b' + digits);
  else {
    // Chunks of digits that stay exact in a double, folded in as bigints.
    const k = Math.floor(52 / Math.log2(base));
    const bk = BigInt(base) ** BigInt(k);
    v = 0n;
    let at = 0;
    const first = digits.length % k || k;
    for (let len = first; at < digits.length; at += len, len = k) {
      const chunk = digits.slice(at, at + len);
      v = v * (len === k ? bk : BigInt(base) ** BigInt(len)) + BigInt(parseInt(chunk, base));
    }
  }
  if (neg) v = -v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** The characters of a flat list of bytes-sized code points as a latin-1 string, or badarg. */
function charListArg(p: Process, t: Term): string {
  const w = p.mem.i32;
  let s = '';
  while (isList(t)) {
    const c = ptrVal(t);
    const ch = w[c]!;
    if (!isSmall(ch)) throw badarg();
    const v = smallVal(ch);
    if (v < 0 || v > 0x10ffff) throw badarg();
    // Characters beyond latin-1 are never digits: keep them as a character that is not one.
    s += v < 0x100 ? String.fromCharCode(v) : '\uffff';
    t = w[c + 1]!;
  }
  if (t !== NIL) throw badarg();
  return s;
}

function textToInteger(p: Process, s: string, base: number): Term {
  const v = parseInteger(s, base);
  if (v === undefined) throw badarg();
  return mkInt(p, v);
}

// ---------------------------------------------------------------- floats and text

/** float_to_list/binary's options, with the real VM's rule that the last format option wins. */
function floatOptions(p: Process, opts: Term): FloatToListOptions {
  const items = listArg(p, opts);
  const out: FloatToListOptions = {};
  let format: 'short' | 'decimals' | 'scientific' | undefined;
  let n = 0;
  for (const o of items) {
    if (isAtom(o)) {
      const name = p.atoms.name(o);
      if (name === 'compact') out.compact = true;
      else if (name === 'short') format = 'short';
      else throw badarg();
      continue;
    }
    if (!isTuple(p, o)) throw badarg();
    const el = tupleElements(p, o);
    if (el.length !== 2 || !isAtom(el[0]!) || !isSmall(el[1]!)) throw badarg();
    const name = p.atoms.name(el[0]!);
    if (name !== 'decimals' && name !== 'scientific') throw badarg();
    format = name;
    n = smallVal(el[1]!);
  }
  if (format === 'short') out.short = true;
  else if (format === 'decimals') out.decimals = n;
  else if (format === 'scientific') out.scientific = n;
  return out;
}

function floatText(p: Process, f: Term, opts?: Term): string {
  if (!isFloat(p, f)) throw badarg();
  const x = floatValue(p, f);
  if (opts === undefined) return floatToList(x);
  const o = floatOptions(p, opts);
  try {
    return floatToListOpts(x, o);
  } catch (e) {
    if (e instanceof RangeError) throw badarg();
    throw e;
  }
}

/** The float syntax of list_to_float: digits, a point (or a comma), digits, an optional exponent. */
const FLOAT_SYNTAX = /^[+-]?[0-9]+[.,][0-9]+(?:[eE][+-]?[0-9]+)?$/;

function textToFloat(p: Process, s: string): Term {
  if (!FLOAT_SYNTAX.test(s)) throw badarg();
  const x = Number(s.replace(',', '.'));
  if (!Number.isFinite(x)) throw badarg();
  return mkFloat(p, x);
}

/** A float's integral value as an Int (exact: every double beyond 2^53 is an integer). */
function floatToInt(x: number): Int {
  return Number.isSafeInteger(x) ? x + 0 : BigInt(x);
}

/** round/1: half away from zero, as C's round(). */
function roundHalfAway(x: number): number {
  const t = Math.trunc(x);
  const frac = x - t; // exact for doubles
  if (frac >= 0.5) return t + 1;
  if (frac <= -0.5) return t - 1;
  return t;
}

/** A number argument's rounding: integers are returned as they are. */
function rounding(p: Process, t: Term, f: (x: number) => number): Term {
  if (isSmall(t) || isBignum(p, t)) return t;
  if (!isFloat(p, t)) throw badarg();
  return mkInt(p, floatToInt(f(floatValue(p, t))));
}

// ---------------------------------------------------------------- iolists and bitstrings

/**
 * Walks an iolist (bytes, binaries, nested lists, binaries or [] as tails):
 * calls onByte / onBinary in order. Returns false when it is not an iolist
 * (a bitstring that is not whole bytes included). Explicit stack.
 */
function walkIolist(
  p: Process,
  t: Term,
  onByte: (b: number) => void,
  onBinary: (bytes: Uint8Array) => void,
): boolean {
  const w = p.mem.i32;
  const stack: Term[] = [t];
  while (stack.length > 0) {
    let cur = stack.pop()!;
    for (;;) {
      if (isList(cur)) {
        const c = ptrVal(cur);
        const h = w[c]!;
        const tl = w[c + 1]!;
        if (isSmall(h)) {
          const v = smallVal(h);
          if (v < 0 || v > 255) return false;
          onByte(v);
          cur = tl;
          continue;
        }
        if (isList(h) || h === NIL || isBoxed(h)) {
          stack.push(tl);
          cur = h;
          continue;
        }
        return false;
      }
      if (cur === NIL) break;
      if (isBitstring(p, cur)) {
        const { bytes, bitLength } = binaryBytes(p, cur);
        if ((bitLength & 7) !== 0) return false;
        onBinary(bytes);
        break;
      }
      return false;
    }
  }
  return true;
}

/** The bytes of an iolist whose top is a list (list_to_binary), or badarg. */
function iolistBytes(p: Process, t: Term): Uint8Array {
  let size = 0;
  if (!walkIolist(p, t, () => size++, (b) => (size += b.length))) throw badarg();
  const out = new Uint8Array(size);
  let at = 0;
  walkIolist(
    p,
    t,
    (b) => (out[at++] = b),
    (b) => {
      out.set(b, at);
      at += b.length;
    },
  );
  return out;
}

/** Appends bits to a growing byte buffer (list_to_bitstring). */
class BitWriter {
  buf = new Uint8Array(64);
  bits = 0;

  private ensure(moreBits: number): void {
    const need = (this.bits + moreBits + 7) >>> 3;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf);
    this.buf = b;
  }

  byte(v: number): void {
    this.bits7(v, 8);
  }

  /** The top `n` (1..8) bits of v (given as a byte, most significant first). */
  bits7(v: number, n: number): void {
    this.ensure(n);
    const off = this.bits & 7;
    const at = this.bits >>> 3;
    const val = (v >>> (8 - n)) << (8 - n); // keep the n top bits
    this.buf[at]! |= val >>> off;
    if (off + n > 8) this.buf[at + 1]! |= (val << (8 - off)) & 0xff;
    this.bits += n;
  }

  bitstring(bytes: Uint8Array, bitLength: number): void {
    this.ensure(bitLength);
    const whole = bitLength >>> 3;
    if ((this.bits & 7) === 0) {
      this.buf.set(bytes.subarray(0, whole), this.bits >>> 3);
      this.bits += whole * 8;
    } else {
      for (let i = 0; i < whole; i++) this.bits7(bytes[i]!, 8);
    }
    const rest = bitLength & 7;
    if (rest !== 0) this.bits7(bytes[whole]!, rest);
  }
}

/** list_to_bitstring's walk: like an iolist, with bitstrings of any length. */
function bitstringListBits(p: Process, t: Term): BitWriter | undefined {
  const w = p.mem.i32;
  const out = new BitWriter();
  const stack: Term[] = [t];
  while (stack.length > 0) {
    let cur = stack.pop()!;
    for (;;) {
      if (isList(cur)) {
        const c = ptrVal(cur);
        const h = w[c]!;
        const tl = w[c + 1]!;
        if (isSmall(h)) {
          const v = smallVal(h);
          if (v < 0 || v > 255) return undefined;
          out.byte(v);
          cur = tl;
          continue;
        }
        if (isList(h) || h === NIL || isBoxed(h)) {
          stack.push(tl);
          cur = h;
          continue;
        }
        return undefined;
      }
      if (cur === NIL) break;
      if (isBitstring(p, cur)) {
        const { bytes, bitLength } = binaryBytes(p, cur);
        out.bitstring(bytes, bitLength);
        break;
      }
      return undefined;
    }
  }
  return out;
}

/** binary_part's range check on a bitstring's whole bytes: [start, start + len) or, for len < 0, [start + len, start). */
function binaryPart(p: Process, b: Term, startT: Term, lenT: Term): Term {
  const { bitLength } = bitsArg(p, b);
  // Bignum positions are never inside a binary: badarg like any other non-small.
  if (!isSmall(startT) || !isSmall(lenT)) throw badarg();
  let start = smallVal(startT);
  let len = smallVal(lenT);
  if (len < 0) {
    start += len;
    len = -len;
  }
  const size = bitLength >>> 3;
  if (start < 0 || start + len > size) throw badarg();
  return subBits(p, b, start * 8, len * 8);
}

// ---------------------------------------------------------------- registration

defineBifs('erlang', 'bif', {
  'atom_to_list/1': (p, [a]) => {
    if (!isAtom(a!)) throw badarg();
    return mkString(p, p.atoms.name(a!));
  },
  'list_to_atom/1': (p, [l]) => internChecked(p, atomNameFromList(p, l!, false)),
  'list_to_existing_atom/1': (p, [l]) => {
    const a = p.atoms.existing(atomNameFromList(p, l!, true));
    if (a === undefined) throw badarg();
    return a;
  },
  'atom_to_binary/1': (p, [a]) => atomToBinary(p, a!, false),
  'atom_to_binary/2': (p, [a, enc]) => {
    if (!isAtom(a!)) throw badarg();
    return atomToBinary(p, a!, latin1Encoding(p, enc!));
  },
  'binary_to_atom/1': (p, [b]) => binaryToAtom(p, b!, p.atoms.intern('utf8'), false),
  'binary_to_atom/2': (p, [b, enc]) => binaryToAtom(p, b!, enc!, false),
  'binary_to_existing_atom/1': (p, [b]) => binaryToAtom(p, b!, p.atoms.intern('utf8'), true),
  'binary_to_existing_atom/2': (p, [b, enc]) => binaryToAtom(p, b!, enc!, true),

  'integer_to_list/1': (p, [i]) => mkString(p, integerText(p, i!, 10)),
  'integer_to_list/2': (p, [i, b]) => mkString(p, integerText(p, i!, baseArg(b!))),
  'integer_to_binary/1': (p, [i]) => mkBinary(p, utf8Encoder.encode(integerText(p, i!, 10))),
  'integer_to_binary/2': (p, [i, b]) => mkBinary(p, utf8Encoder.encode(integerText(p, i!, baseArg(b!)))),
  'list_to_integer/1': (p, [l]) => textToInteger(p, charListArg(p, l!), 10),
  'list_to_integer/2': (p, [l, b]) => {
    const s = charListArg(p, l!);
    return textToInteger(p, s, baseArg(b!));
  },
  'binary_to_integer/1': (p, [b]) => textToInteger(p, latin1(binaryArg(p, b!)), 10),
  'binary_to_integer/2': (p, [b, base]) => {
    const s = latin1(binaryArg(p, b!));
    return textToInteger(p, s, baseArg(base!));
  },

  'float_to_list/1': (p, [f]) => mkString(p, floatText(p, f!)),
  'float_to_list/2': (p, [f, o]) => mkString(p, floatText(p, f!, o!)),
  'float_to_binary/1': (p, [f]) => mkBinary(p, utf8Encoder.encode(floatText(p, f!))),
  'float_to_binary/2': (p, [f, o]) => mkBinary(p, utf8Encoder.encode(floatText(p, f!, o!))),
  'list_to_float/1': (p, [l]) => textToFloat(p, charListArg(p, l!)),
  'binary_to_float/1': (p, [b]) => textToFloat(p, latin1(binaryArg(p, b!))),

  'tuple_to_list/1': (p, [t]) => {
    if (!isTuple(p, t!)) throw badarg();
    return mkList(p, tupleElements(p, t!));
  },
  'list_to_tuple/1': (p, [l]) => mkTuple(p, listArg(p, l!)),

  'binary_to_list/1': (p, [b]) => mkIntList(p, binaryArg(p, b!).slice()),
  'binary_to_list/3': (p, [b, startT, stopT]) => {
    const { bytes, bitLength } = bitsArg(p, b!);
    if (!isSmall(startT!) || !isSmall(stopT!)) throw badarg();
    const start = smallVal(startT!);
    const stop = smallVal(stopT!);
    if (start < 1 || stop < start || stop > bitLength >>> 3) throw badarg();
    return mkIntList(p, bytes.slice(start - 1, stop));
  },
  'list_to_binary/1': (p, [l]) => {
    if (!isList(l!) && l !== NIL) throw badarg();
    return mkBinary(p, iolistBytes(p, l!));
  },
  'iolist_to_binary/1': (p, [l]) => {
    if (isBitstring(p, l!)) {
      if ((binaryBytes(p, l!).bitLength & 7) !== 0) throw badarg();
      return l!;
    }
    if (!isList(l!) && l !== NIL) throw badarg();
    return mkBinary(p, iolistBytes(p, l!));
  },
  'iolist_size/1': (p, [l]) => {
    let size = 0;
    if (!walkIolist(p, l!, () => size++, (b) => (size += b.length))) throw badarg();
    return mkInt(p, size);
  },
  'bitstring_to_list/1': (p, [b]) => {
    const { bytes, bitLength } = bitsArg(p, b!);
    const whole = bitLength >>> 3;
    const copy = bytes.slice(0, whole);
    const tail = (bitLength & 7) === 0 ? NIL : mkList(p, [subBits(p, b!, whole * 8, bitLength & 7)]);
    return mkIntList(p, copy, tail);
  },
  'list_to_bitstring/1': (p, [l]) => {
    if (!isList(l!) && l !== NIL) throw badarg();
    const bits = bitstringListBits(p, l!);
    if (bits === undefined) throw badarg();
    return mkBitstring(p, bits.buf.subarray(0, (bits.bits + 7) >>> 3), bits.bits);
  },
  'split_binary/2': (p, [b, posT]) => {
    const { bitLength } = bitsArg(p, b!);
    if (!isSmall(posT!)) throw badarg();
    const pos = smallVal(posT!);
    if (pos < 0 || pos > bitLength >>> 3) throw badarg();
    return mkTuple2(p, subBits(p, b!, 0, pos * 8), subBits(p, b!, pos * 8, bitLength - pos * 8));
  },
});

// GC BIFs: allowed in guards, may build a result.
defineBifs('erlang', 'gc', {
  'float/1': (p, [x]) => {
    if (isFloat(p, x!)) return x!;
    if (!isSmall(x!) && !isBignum(p, x!)) throw badarg();
    const d = intToDouble(intArg(p, x!));
    if (!Number.isFinite(d)) throw badarg();
    return mkFloat(p, d);
  },
  'trunc/1': (p, [x]) => rounding(p, x!, Math.trunc),
  'round/1': (p, [x]) => rounding(p, x!, roundHalfAway),
  'ceil/1': (p, [x]) => rounding(p, x!, Math.ceil),
  'floor/1': (p, [x]) => rounding(p, x!, Math.floor),
  'abs/1': (p, [x]) => {
    if (isSmall(x!)) {
      const v = smallVal(x!);
      return v >= 0 ? x! : mkInt(p, -v);
    }
    if (isBignum(p, x!)) {
      const v = intArg(p, x!);
      return v < 0 ? mkInt(p, neg(v)) : x!;
    }
    if (isFloat(p, x!)) {
      // Only a negative value flips: abs(-0.0) is -0.0 on the real VM.
      const f = floatValue(p, x!);
      return f < 0 ? mkFloat(p, -f) : x!;
    }
    throw badarg();
  },
  'binary_part/2': (p, [b, posLen]) => {
    if (!isTuple(p, posLen!)) throw badarg();
    const el = tupleElements(p, posLen!);
    if (el.length !== 2) throw badarg();
    return binaryPart(p, b!, el[0]!, el[1]!);
  },
  'binary_part/3': (p, [b, s, l]) => binaryPart(p, b!, s!, l!),
});
