/**
 * Bit syntax, construction side: OTP 25's bs_create_bin (createBin, driven
 * by a BinSpec made once per instruction at load time), the older
 * instructions (bs_init2, bs_init_bits, bs_put_*, bs_append,
 * bs_private_append, bs_init_writable — the BitWriter), and the size helpers
 * bs_add, bs_utf8_size, bs_utf16_size. The overview is in vm/term/bits.ts.
 *
 * createBin works as the real VM's bs_create_bin does, which fixes the order
 * in which errors are found:
 *   1. sizes, segment by segment: every size operand must be a non-negative
 *      integer ({Seg, Type, size, Size}); a binary segment of size `all` must
 *      hold a bitstring ({Seg, binary, type, V}); a utf32 value must be a
 *      code point ({Seg, utf32, type, V});
 *   2. an append segment's value: a bitstring ({Seg, binary, type, V}) whose
 *      length is a multiple of the unit ({Seg, binary, unit, V});
 *   3. the result is allocated once, then each segment written in order,
 *      failing on its value: integer/float/utf type, float size not 16/32/64
 *      ({Seg, float, invalid, Bits}), an integer too large for a float
 *      ({Seg, float, no_float, V}), a binary shorter than its size
 *      ({Seg, binary, short, V}) or of a length that is not a multiple of
 *      the unit ({Seg, binary, unit, V}).
 * The error is error:badarg (error:system_limit for a size too large) with
 * error_info #{cause => {Seg, Type, What, Value}, function => format_bs_fail}
 * (the interpreter adds module => erl_erts_errors, as for BIFs).
 */
import { badarg, systemLimit, type ErlangException } from '../errors.js';
import { commonAtom } from './atoms.js';
import type { TermContext } from './heap.js';
import type { Int } from './integers.js';
import { type Builder, mkInt, mkTuple, newOffHeapBlock } from './make.js';
import { bignumValue, floatValue } from './build.js';
import {
  ALL,
  MAX_BITS,
  MAX_WRITABLE_BITS,
  PB_FLAGS,
  PB_WRITABLE,
  POW2,
  binaryDataAddr,
  bitstringParts,
  copyBits,
  integerTermValue,
  isLittle,
  makeWritableFlags,
  parts,
  putBits8,
  scratchBytes,
  writableUsedBits,
} from './bits_match.js';
import {
  FLATMAP_HEADER,
  HEAP_BINARY_LIMIT,
  SUB_FLOAT,
  SUB_HEAP_BINARY,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  type Term,
  fitsSmall,
  headerSubtag,
  isBoxed,
  isSmall,
  makeBoxed,
  makeHeader,
  makeSmall,
  ptrVal,
  smallVal,
} from './tags.js';

// ---------------------------------------------------------------- segment types

export const SEG_INTEGER = 0;
export const SEG_FLOAT = 1;
export const SEG_BINARY = 2;
export const SEG_UTF8 = 3;
export const SEG_UTF16 = 4;
export const SEG_UTF32 = 5;
export const SEG_STRING = 6;
export const SEG_APPEND = 7;
export const SEG_PRIVATE_APPEND = 8;

/** The type atoms of bs_create_bin's segment list, indexed by SEG_*. */
export const SEG_TYPE_NAMES = [
  'integer', 'float', 'binary', 'utf8', 'utf16', 'utf32', 'string', 'append', 'private_append',
] as const;
export type SegTypeName = (typeof SEG_TYPE_NAMES)[number];

/** The segment type for a type atom's name (undefined for an unknown one: the loader rejects the module). */
export function segType(name: string): number | undefined {
  const i = (SEG_TYPE_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : i;
}

/** What an error's cause calls a segment type (append segments are binaries). */
const CAUSE_TYPE = ['integer', 'float', 'binary', 'utf8', 'utf16', 'utf32', 'string', 'binary', 'binary'] as const;

/** The load-time part of one bs_create_bin segment. */
export interface SegmentDesc {
  type: SegTypeName;
  /** The segment index operand: its position in the source expression, 0 for segments the compiler made. */
  segIndex: number;
  unit: number;
  /** BSF_* flags (flagsFromNames for the literal flag list). */
  flags: number;
  /** Binary and append segments whose size operand is the atom `all`. */
  sizeAll?: boolean;
  /** String segments: the bytes (a slice of the string table). */
  string?: Uint8Array;
}

/**
 * A bs_create_bin segment list, decoded once at load time. The values and
 * sizes come at run time in arrays parallel to the segments (entries of
 * string segments, and sizes of utf segments and `all` sizes, are ignored).
 */
export class BinSpec {
  readonly n: number;
  readonly types: Uint8Array;
  readonly segIndex: Int32Array;
  readonly units: Int32Array;
  readonly flags: Int32Array;
  readonly sizeAll: Uint8Array;
  readonly strings: Array<Uint8Array | undefined>;
  /** True when segment 0 appends to an existing bitstring. */
  readonly appends: boolean;

  constructor(segs: readonly SegmentDesc[]) {
    const n = segs.length;
    this.n = n;
    this.types = new Uint8Array(n);
    this.segIndex = new Int32Array(n);
    this.units = new Int32Array(n);
    this.flags = new Int32Array(n);
    this.sizeAll = new Uint8Array(n);
    this.strings = new Array(n);
    segs.forEach((s, i) => {
      const t = segType(s.type);
      if (t === undefined) throw new Error(`bs_create_bin: unknown segment type ${s.type}`);
      if ((t === SEG_APPEND || t === SEG_PRIVATE_APPEND) && i !== 0) throw new Error(`bs_create_bin: ${s.type} must come first`);
      this.types[i] = t;
      this.segIndex[i] = s.segIndex;
      this.units[i] = s.unit;
      this.flags[i] = s.flags;
      this.sizeAll[i] = s.sizeAll === true || t === SEG_APPEND || t === SEG_PRIVATE_APPEND ? 1 : 0;
      if (t === SEG_STRING) this.strings[i] = s.string ?? new Uint8Array(0);
    });
    this.appends = n > 0 && (this.types[0] === SEG_APPEND || this.types[0] === SEG_PRIVATE_APPEND);
  }
}

// ---------------------------------------------------------------- errors

const ATOM_FUNCTION = commonAtom('function');

/** error_info extras #{cause => Cause, function => format_bs_fail} (keys in map order: cause < function). */
function bsErrorInfo(b: Builder, cause: Term): Term {
  const keys = mkTuple(b, [b.atoms.intern('cause'), ATOM_FUNCTION]);
  const at = b.alloc(5);
  const w = b.mem.i32;
  w[at] = FLATMAP_HEADER;
  w[at + 1] = 2;
  w[at + 2] = keys;
  w[at + 3] = cause;
  w[at + 4] = b.atoms.intern('format_bs_fail');
  return makeBoxed(at);
}

/** The exception for a failed segment: badarg (system_limit) with cause {Seg, Type, What, Value}. */
export function bsCreateError(b: Builder, seg: number, type: string, what: string, value: Term, limit = false): ErlangException {
  const cause = mkTuple(b, [makeSmall(seg), b.atoms.intern(type), b.atoms.intern(what), value]);
  const info = bsErrorInfo(b, cause);
  return limit ? systemLimit(info) : badarg(info);
}

// Result codes of the segment writers.
const OK = 0;
const E_TYPE = 1;
const E_INVALID = 2;
const E_NO_FLOAT = 3;
const E_SHORT = 4;
const E_UNIT = 5;
const WHAT = ['', 'type', 'invalid', 'no_float', 'short', 'unit'] as const;

// ---------------------------------------------------------------- sizes

/** How sizeBits failed: 1 badarg, 2 system_limit. */
let sizeError = 0;

/**
 * Size * Unit in bits for a size operand, or -1 (with sizeError set): not a
 * non-negative integer is badarg; more than MAX_BITS is system_limit.
 */
function sizeBits(ctx: TermContext, size: Term, unit: number): number {
  let s: number;
  if (isSmall(size)) {
    s = smallVal(size);
  } else if (isBoxed(size)) {
    const sub = headerSubtag(ctx.mem.i32[ptrVal(size)]!);
    if (sub === SUB_POS_BIG) {
      const v = bignumValue(ctx, size);
      if (v > BigInt(MAX_BITS)) {
        sizeError = 2;
        return -1;
      }
      s = Number(v);
    } else {
      sizeError = 1;
      return -1;
    }
  } else {
    sizeError = 1;
    return -1;
  }
  if (s < 0) {
    sizeError = 1;
    return -1;
  }
  const bits = s * unit;
  if (bits > MAX_BITS) {
    sizeError = 2;
    return -1;
  }
  return bits;
}

/** Bytes of the UTF-8 encoding of a code point (any other value: 4, as the real VM's bs_utf8_size says). */
export function utf8Length(v: Term): number {
  if (!isSmall(v)) return 4;
  const c = smallVal(v);
  return c < 0 ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/** Bytes of the UTF-16 encoding of a code point. */
export function utf16Length(v: Term): number {
  return isSmall(v) && smallVal(v) >= 0 && smallVal(v) < 0x10000 ? 2 : 4;
}

/** bs_utf8_size: the byte count as a small. */
export const utf8Size = (v: Term): Term => makeSmall(utf8Length(v));
/** bs_utf16_size: the byte count as a small. */
export const utf16Size = (v: Term): Term => makeSmall(utf16Length(v));

/**
 * bs_add: Src1 + Src2 * Unit for non-negative integers (badarg otherwise;
 * system_limit past MAX_BITS).
 */
export function bsAdd(b: Builder, src1: Term, src2: Term, unit: number): Term {
  const w = b.mem.i32;
  const a = integerTermValue(w, b, src1);
  const c = integerTermValue(w, b, src2);
  if (a === undefined || c === undefined || a < 0 || c < 0) throw badarg();
  if (typeof a !== 'number' || typeof c !== 'number') throw systemLimit();
  const r = a + c * unit;
  if (r > MAX_BITS) throw systemLimit();
  return fitsSmall(r) ? makeSmall(r) : mkInt(b, r);
}

// ---------------------------------------------------------------- writing integers

/** Writes the n <= 32 low bits of u (unsigned, < 2^n) at bit `bit` of byte `byte`. */
function writeUint(u8: Uint8Array, byte: number, bit: number, u: number, n: number, little: boolean): void {
  if (bit === 0) {
    if (n === 8) {
      u8[byte] = u;
      return;
    }
    if (n === 16) {
      if (little) {
        u8[byte] = u;
        u8[byte + 1] = u >>> 8;
      } else {
        u8[byte] = u >>> 8;
        u8[byte + 1] = u;
      }
      return;
    }
    if (n === 32) {
      if (little) {
        u8[byte] = u;
        u8[byte + 1] = u >>> 8;
        u8[byte + 2] = u >>> 16;
        u8[byte + 3] = u >>> 24;
      } else {
        u8[byte] = u >>> 24;
        u8[byte + 1] = u >>> 16;
        u8[byte + 2] = u >>> 8;
        u8[byte + 3] = u;
      }
      return;
    }
  }
  if (little) {
    // Whole bytes least significant first, then the top n mod 8 bits.
    const whole = n >>> 3;
    for (let i = 0; i < whole; i++) putBits8(u8, byte + i, bit, 8, (u >>> (8 * i)) & 0xff);
    const rest = n & 7;
    if (rest !== 0) putBits8(u8, byte + whole, bit, rest, (u >>> (8 * whole)) & ((1 << rest) - 1));
    return;
  }
  let left = n;
  let pos = bit;
  let at = byte;
  while (left > 0) {
    const k = left >= 8 ? 8 : left;
    const chunk = (u >>> (left - k)) & ((1 << k) - 1);
    putBits8(u8, at, pos, k, chunk);
    left -= k;
    pos += k;
    at += pos >>> 3;
    pos &= 7;
  }
}

/** Byte i (least significant first) of v's two's complement, for a safe integer v. */
const intByte = (v: number, i: number): number => (i < 8 ? Math.floor(v / POW2[8 * i]!) & 0xff : v < 0 ? 0xff : 0);

/**
 * The n-bit field of integer v (two's complement, truncated) in the scratch
 * buffer, left-aligned in ceil(n/8) bytes, in the order it is written.
 */
function intField(v: Int, n: number, little: boolean): Uint8Array {
  const k = (n + 7) >>> 3;
  const rest = n & 7;
  const buf = scratchBytes(k);
  if (typeof v === 'number') {
    if (little) {
      for (let i = 0; i < k; i++) buf[i] = intByte(v, i);
      if (rest !== 0) buf[k - 1] = (buf[k - 1]! << (8 - rest)) & 0xff;
    } else {
      const x = rest === 0 ? v : v * POW2[8 - rest]!; // exact: a safe integer times 2^(8-rest)
      for (let i = 0; i < k; i++) buf[k - 1 - i] = intByte(x, i);
    }
    return buf;
  }
  let u = BigInt.asUintN(n, v);
  if (!little && rest !== 0) u <<= BigInt(8 - rest);
  const hex = u.toString(16).padStart(2 * k, '0');
  if (little) {
    for (let i = 0; i < k; i++) buf[i] = parseInt(hex.slice(2 * (k - 1 - i), 2 * (k - i)), 16);
    if (rest !== 0) buf[k - 1] = (buf[k - 1]! << (8 - rest)) & 0xff;
  } else {
    for (let i = 0; i < k; i++) buf[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return buf;
}

/** Writes integer term v as n bits at bit position pos of data; E_TYPE if v is not an integer. */
function putInteger(ctx: TermContext, u8: Uint8Array, data: number, pos: number, v: Term, n: number, flags: number): number {
  const byte = data + Math.floor(pos / 8);
  const bit = pos & 7;
  if (isSmall(v)) {
    if (n <= 32) {
      if (n === 0) return OK;
      const x = smallVal(v);
      writeUint(u8, byte, bit, n === 32 ? x >>> 0 : (x & ((1 << n) - 1)) >>> 0, n, isLittle(flags));
      return OK;
    }
    copyBits(intField(smallVal(v), n, isLittle(flags)), 0, 0, u8, byte, bit, n);
    return OK;
  }
  const value = integerTermValue(ctx.mem.i32, ctx, v);
  if (value === undefined) return E_TYPE;
  if (n === 0) return OK;
  if (n <= 32 && typeof value === 'number') {
    // Bitwise operators take any safe integer modulo 2^32: its two's complement low bits.
    writeUint(u8, byte, bit, n === 32 ? value >>> 0 : (value & ((1 << n) - 1)) >>> 0, n, isLittle(flags));
    return OK;
  }
  copyBits(intField(value, n, isLittle(flags)), 0, 0, u8, byte, bit, n);
  return OK;
}

// ---------------------------------------------------------------- writing floats

const fbuf = new Uint8Array(8);
const fview = new DataView(fbuf.buffer);
const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);

/** Rounds to the nearest integer, ties to even (x >= 0). */
function roundEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && (f & 1) === 1) ? f + 1 : f;
}

/** A double as an IEEE half, rounded to nearest even; too large becomes infinity (as the real VM does). */
export function doubleToHalf(x: number): number {
  f64[0] = x;
  const sign = f64w[1]! < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24); // subnormal; 1024 rounds up into the smallest normal
  const e = ((f64w[1]! >>> 20) & 0x7ff) - 1023;
  let m = roundEven((a / 2 ** e - 1) * 1024);
  let ex = e;
  if (m === 1024) {
    m = 0;
    ex++;
  }
  return sign | ((ex + 15) << 10) | m;
}

/** The float a float segment's value stands for, or a result code. */
let floatOf = 0;
function floatValueOf(ctx: TermContext, v: Term): number {
  if (isSmall(v)) {
    floatOf = smallVal(v);
    return OK;
  }
  if (!isBoxed(v)) return E_TYPE;
  const sub = headerSubtag(ctx.mem.i32[ptrVal(v)]!);
  if (sub === SUB_FLOAT) {
    floatOf = floatValue(ctx, v);
    return OK;
  }
  if (sub === SUB_POS_BIG || sub === SUB_NEG_BIG) {
    floatOf = Number(bignumValue(ctx, v));
    return Number.isFinite(floatOf) ? OK : E_NO_FLOAT;
  }
  return E_TYPE;
}

function putFloat(ctx: TermContext, u8: Uint8Array, data: number, pos: number, v: Term, n: number, flags: number): number {
  if (n !== 16 && n !== 32 && n !== 64) return E_INVALID;
  const r = floatValueOf(ctx, v);
  if (r !== OK) return r;
  const little = isLittle(flags);
  if (n === 64) fview.setFloat64(0, floatOf, little);
  else if (n === 32) fview.setFloat32(0, floatOf, little);
  else fview.setUint16(0, doubleToHalf(floatOf), little);
  const byte = data + Math.floor(pos / 8);
  const bit = pos & 7;
  if (bit === 0) u8.set(n === 64 ? fbuf : fbuf.subarray(0, n >>> 3), byte);
  else copyBits(fbuf, 0, 0, u8, byte, bit, n);
  return OK;
}

// ---------------------------------------------------------------- writing binaries and text

/** Copies `bits` bits of bitstring v (ALL: all of it, a multiple of unit) to pos. */
function putBinary(w: Int32Array, u8: Uint8Array, data: number, pos: number, v: Term, bits: number, unit: number): number {
  if (!bitstringParts(w, v)) return E_TYPE;
  if (bits === ALL) {
    if (parts.bits % unit !== 0) return E_UNIT;
    bits = parts.bits;
  } else if (parts.bits < bits) return E_SHORT;
  const src = binaryDataAddr(w, ptrVal(parts.orig)) + Math.floor(parts.offset / 8);
  copyBits(u8, src, parts.offset & 7, u8, data + Math.floor(pos / 8), pos & 7, bits);
  return OK;
}

const isCodePoint = (v: Term): boolean => {
  if (!isSmall(v)) return false;
  const c = smallVal(v);
  return c >= 0 && c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
};

function putByte(u8: Uint8Array, byte: number, bit: number, x: number): void {
  if (bit === 0) u8[byte] = x;
  else putBits8(u8, byte, bit, 8, x);
}

/** Writes code point v as UTF-8/16/32; returns the bits written, or -1 for an invalid code point. */
function putUtf(u8: Uint8Array, data: number, pos: number, v: Term, type: number, flags: number): number {
  if (!isCodePoint(v)) return -1;
  const c = smallVal(v);
  const byte = data + Math.floor(pos / 8);
  const bit = pos & 7;
  if (type === SEG_UTF8) {
    if (c < 0x80) {
      putByte(u8, byte, bit, c);
      return 8;
    }
    if (c < 0x800) {
      putByte(u8, byte, bit, 0xc0 | (c >>> 6));
      putByte(u8, byte + 1, bit, 0x80 | (c & 0x3f));
      return 16;
    }
    if (c < 0x10000) {
      putByte(u8, byte, bit, 0xe0 | (c >>> 12));
      putByte(u8, byte + 1, bit, 0x80 | ((c >>> 6) & 0x3f));
      putByte(u8, byte + 2, bit, 0x80 | (c & 0x3f));
      return 24;
    }
    putByte(u8, byte, bit, 0xf0 | (c >>> 18));
    putByte(u8, byte + 1, bit, 0x80 | ((c >>> 12) & 0x3f));
    putByte(u8, byte + 2, bit, 0x80 | ((c >>> 6) & 0x3f));
    putByte(u8, byte + 3, bit, 0x80 | (c & 0x3f));
    return 32;
  }
  const little = isLittle(flags);
  if (type === SEG_UTF16) {
    if (c < 0x10000) {
      writeUint(u8, byte, bit, c, 16, little);
      return 16;
    }
    const d = c - 0x10000;
    writeUint(u8, byte, bit, 0xd800 | (d >>> 10), 16, little);
    writeUint(u8, byte + 2, bit, 0xdc00 | (d & 0x3ff), 16, little);
    return 32;
  }
  writeUint(u8, byte, bit, c, 32, little);
  return 32;
}

// ---------------------------------------------------------------- allocating results

/** Data address of the result being written (set by allocBits / beginAppend). */
let outData = 0;
/** Word index of the writable ProcBin an append writes into (0: none). */
let outWritable = 0;

/**
 * A bitstring of `bits` bits, contents to be written at outData: a heap
 * binary up to 64 bytes, else a ProcBin; under a sub-binary when bits is not
 * a whole number of bytes.
 */
function allocBits(b: Builder, bits: number): Term {
  const n = Math.ceil(bits / 8);
  const sub = (bits & 7) !== 0 ? 6 : 0;
  let orig: number;
  let at: number;
  if (n <= HEAP_BINARY_LIMIT) {
    const words = (n + 3) >>> 2;
    at = b.alloc(2 + words + sub);
    const w = b.mem.i32;
    w[at] = makeHeader(1 + words, SUB_HEAP_BINARY);
    w[at + 1] = n;
    if (words > 0) w[at + 1 + words] = 0;
    orig = at;
    outData = (at + 2) * 4;
    at += 2 + words;
  } else {
    const block = newOffHeapBlock(b.mem, n);
    at = b.alloc(5 + sub);
    const w = b.mem.i32;
    w[at] = makeHeader(4, SUB_REFC_BINARY);
    w[at + 1] = n;
    w[at + 2] = block;
    w[at + 3] = 0;
    w[at + 4] = 0;
    b.linkOffHeap?.(at);
    orig = at;
    outData = (block + 2) * 4;
    at += 5;
  }
  outWritable = 0;
  if (sub === 0) return makeBoxed(orig);
  writeSubBinary(b.mem.i32, at, makeBoxed(orig), 0, bits);
  return makeBoxed(at);
}

function writeSubBinary(w: Int32Array, at: number, orig: Term, offset: number, bits: number): void {
  w[at] = makeHeader(5, SUB_SUB_BINARY);
  w[at + 1] = Math.floor(bits / 8);
  w[at + 2] = bits & 7;
  w[at + 3] = Math.floor(offset / 8);
  w[at + 4] = offset & 7;
  w[at + 5] = orig;
}

/** Room an append buffer gets: twice what is needed, at least 256 bytes (as the real VM). */
const appendCapacity = (bits: number): number => Math.max(256, 2 * Math.ceil(bits / 8));

/**
 * Starts appending `addBits` bits to bitstring v (of vBits bits, checked by
 * the caller): in place when v is the whole used part of a writable buffer
 * with room, else into a new writable buffer holding a copy of v. The result
 * is a sub-binary over the buffer; writing continues at bit vBits of outData.
 */
function beginAppend(b: Builder, v: Term, vBits: number, addBits: number): Term {
  let w = b.mem.i32;
  bitstringParts(w, v);
  const orig = parts.orig;
  const offset = parts.offset;
  const total = vBits + addBits;
  if (total > MAX_WRITABLE_BITS) {
    // Too large to track in a flags word: a plain copy.
    const t = allocBits(b, total);
    w = b.mem.i32;
    const u8 = b.mem.u8;
    copyBits(u8, binaryDataAddr(w, ptrVal(orig)) + Math.floor(offset / 8), offset & 7, u8, outData, 0, vBits);
    return t;
  }
  const op = ptrVal(orig);
  if (offset === 0 && headerSubtag(w[op]!) === SUB_REFC_BINARY) {
    const flags = w[op + PB_FLAGS]!;
    const block = w[op + 2]!;
    if ((flags & PB_WRITABLE) !== 0 && writableUsedBits(flags) === vBits && total <= w[block + 1]! * 8) {
      const at = b.alloc(6);
      writeSubBinary(b.mem.i32, at, orig, 0, total);
      outData = (block + 2) * 4;
      outWritable = op;
      return makeBoxed(at);
    }
  }
  const block = newOffHeapBlock(b.mem, appendCapacity(total));
  const at = b.alloc(5 + 6);
  w = b.mem.i32;
  w[at] = makeHeader(4, SUB_REFC_BINARY);
  w[at + 1] = 0; // a writable ProcBin is never a value itself (see PB_WRITABLE)
  w[at + 2] = block;
  w[at + 3] = 0;
  w[at + 4] = makeWritableFlags(0);
  b.linkOffHeap?.(at);
  writeSubBinary(w, at + 5, makeBoxed(at), 0, total);
  outData = (block + 2) * 4;
  outWritable = at;
  const u8 = b.mem.u8;
  copyBits(u8, binaryDataAddr(w, op) + Math.floor(offset / 8), offset & 7, u8, outData, 0, vBits);
  return makeBoxed(at + 5);
}

/** Clears the bits past the end in the last byte, and marks an append buffer's new length. */
function finish(b: Builder, bits: number): void {
  const rest = bits & 7;
  if (rest !== 0) {
    const u8 = b.mem.u8;
    const last = outData + Math.floor(bits / 8);
    u8[last] = u8[last]! & (0xff00 >>> rest);
  }
  if (outWritable !== 0) b.mem.i32[outWritable + PB_FLAGS] = makeWritableFlags(bits);
}

// ---------------------------------------------------------------- bs_create_bin

let segBits = new Float64Array(16);

/**
 * bs_create_bin: the bitstring of the segments, with run-time values and
 * sizes (size terms: integers; ignored for `all`, utf and string segments).
 * Throws the real VM's exception (see the top of this file).
 */
export function createBin(b: Builder, spec: BinSpec, values: ArrayLike<Term>, sizes: ArrayLike<Term>): Term {
  const n = spec.n;
  if (segBits.length < n) segBits = new Float64Array(Math.max(n, 2 * segBits.length));
  const bitsOf = segBits;
  const types = spec.types;
  const w = b.mem.i32;

  // 1. Sizes.
  let total = 0;
  for (let i = spec.appends ? 1 : 0; i < n; i++) {
    const type = types[i]!;
    let bits: number;
    switch (type) {
      case SEG_INTEGER:
      case SEG_FLOAT:
      case SEG_BINARY:
        if (spec.sizeAll[i] === 1) {
          if (!bitstringParts(w, values[i]!)) throw bsCreateError(b, spec.segIndex[i]!, 'binary', 'type', values[i]!);
          bits = parts.bits; // the unit is checked when writing
        } else {
          bits = sizeBits(b, sizes[i]!, spec.units[i]!);
          if (bits < 0) throw bsCreateError(b, spec.segIndex[i]!, CAUSE_TYPE[type]!, 'size', sizes[i]!, sizeError === 2);
        }
        break;
      case SEG_UTF8:
        bits = 8 * utf8Length(values[i]!);
        break;
      case SEG_UTF16:
        bits = 8 * utf16Length(values[i]!);
        break;
      case SEG_UTF32:
        // The real VM checks utf32 values with the sizes (utf8/utf16 ones when writing).
        if (!isCodePoint(values[i]!)) throw bsCreateError(b, spec.segIndex[i]!, 'utf32', 'type', values[i]!);
        bits = 32;
        break;
      default: // SEG_STRING
        bits = spec.strings[i]!.length * 8;
    }
    bitsOf[i] = bits;
    total += bits;
    if (total > MAX_BITS) {
      const limitSize = spec.sizeAll[i] === 1 || type >= SEG_UTF8 ? makeSmall(0) : sizes[i]!;
      throw bsCreateError(b, spec.segIndex[i]!, CAUSE_TYPE[type]!, 'size', limitSize, true);
    }
  }

  // 2. The value appended to, then 3. allocation.
  let result: Term;
  let pos = 0;
  if (spec.appends) {
    const v = values[0]!;
    if (!bitstringParts(w, v)) throw bsCreateError(b, spec.segIndex[0]!, 'binary', 'type', v);
    const vBits = parts.bits;
    if (vBits % spec.units[0]! !== 0) throw bsCreateError(b, spec.segIndex[0]!, 'binary', 'unit', v);
    if (vBits + total > MAX_BITS) throw bsCreateError(b, spec.segIndex[0]!, 'binary', 'size', makeSmall(0), true);
    result = beginAppend(b, v, vBits, total);
    pos = vBits;
    total += vBits;
  } else {
    result = allocBits(b, total);
  }

  // 4. Writing, in order.
  const data = outData;
  const writable = outWritable;
  const mw = b.mem.i32;
  const u8 = b.mem.u8;
  for (let i = spec.appends ? 1 : 0; i < n; i++) {
    const type = types[i]!;
    const bits = bitsOf[i]!;
    let r = OK;
    switch (type) {
      case SEG_INTEGER:
        r = putInteger(b, u8, data, pos, values[i]!, bits, spec.flags[i]!);
        break;
      case SEG_FLOAT:
        r = putFloat(b, u8, data, pos, values[i]!, bits, spec.flags[i]!);
        if (r === E_INVALID) throw bsCreateError(b, spec.segIndex[i]!, 'float', 'invalid', mkInt(b, bits));
        break;
      case SEG_BINARY:
        r = putBinary(mw, u8, data, pos, values[i]!, spec.sizeAll[i] === 1 ? ALL : bits, spec.units[i]!);
        break;
      case SEG_UTF8:
      case SEG_UTF16:
      case SEG_UTF32:
        if (putUtf(u8, data, pos, values[i]!, type, spec.flags[i]!) < 0) r = E_TYPE;
        break;
      default: {
        const s = spec.strings[i]!;
        if ((pos & 7) === 0) u8.set(s, data + pos / 8);
        else copyBits(s, 0, 0, u8, data + Math.floor(pos / 8), pos & 7, bits);
      }
    }
    if (r !== OK) throw bsCreateError(b, spec.segIndex[i]!, CAUSE_TYPE[type]!, WHAT[r]!, values[i]!);
    pos += bits;
  }
  outData = data;
  outWritable = writable;
  finish(b, total);
  return result;
}

/** One segment with its value, for createBinOf (tests, cold paths). */
export interface BinSegment extends SegmentDesc {
  value?: Term;
  size?: Term;
}

/** bs_create_bin from a self-contained segment list (allocates a BinSpec: not for hot paths). */
export function createBinOf(b: Builder, segs: readonly BinSegment[]): Term {
  const spec = new BinSpec(segs);
  const nil = makeSmall(0);
  return createBin(
    b,
    spec,
    segs.map((s) => s.value ?? nil),
    segs.map((s) => s.size ?? nil),
  );
}

/**
 * bs_init_writable: an empty bitstring with room to append `size` bytes
 * (at least 256) in place; binary comprehensions start from it and grow it
 * with private_append.
 */
export function initWritable(b: Builder, size: Term): Term {
  const hint = isSmall(size) && smallVal(size) > 0 ? Math.min(smallVal(size), MAX_WRITABLE_BITS >>> 3) : 0;
  const block = newOffHeapBlock(b.mem, Math.max(256, hint));
  const at = b.alloc(5 + 6);
  const w = b.mem.i32;
  w[at] = makeHeader(4, SUB_REFC_BINARY);
  w[at + 1] = 0;
  w[at + 2] = block;
  w[at + 3] = 0;
  w[at + 4] = makeWritableFlags(0);
  b.linkOffHeap?.(at);
  writeSubBinary(w, at + 5, makeBoxed(at), 0, 0);
  return makeBoxed(at + 5);
}

// ---------------------------------------------------------------- the old instructions

/**
 * The binary under construction for the instructions before OTP 25:
 * bs_init2/bs_init_bits/bs_append/bs_private_append start it, the bs_put_*
 * that follow fill it in (no garbage collection happens in between, as in
 * the real VM). Errors are plain badarg / system_limit, as the real VM
 * raises them for this code. One writer per interpreter thread.
 */
export class BitWriter {
  /** Byte address in mem.u8 of the data being written. */
  private data = 0;
  /** Next bit to write. */
  private pos = 0;

  /** bs_init2: a binary of `size` bytes (a size term). */
  initBytes(b: Builder, size: Term): Term {
    const bits = sizeBits(b, size, 8);
    if (bits < 0) throw sizeError === 2 ? systemLimit() : badarg();
    return this.init(b, bits);
  }

  /** bs_init_bits: a bitstring of `size` bits (a size term). */
  initBits(b: Builder, size: Term): Term {
    const bits = sizeBits(b, size, 1);
    if (bits < 0) throw sizeError === 2 ? systemLimit() : badarg();
    return this.init(b, bits);
  }

  private init(b: Builder, bits: number): Term {
    const t = allocBits(b, bits);
    this.data = outData;
    this.pos = 0;
    if ((bits & 7) !== 0) b.mem.u8[outData + Math.floor(bits / 8)] = 0;
    return t;
  }

  /**
   * bs_append / bs_private_append: bitstring `bin` (its length a multiple of
   * unit) followed by room for `size` more bits, which the bs_put_* after it write.
   */
  append(b: Builder, size: Term, unit: number, bin: Term): Term {
    const add = sizeBits(b, size, 1);
    if (add < 0) throw sizeError === 2 ? systemLimit() : badarg();
    if (!bitstringParts(b.mem.i32, bin) || parts.bits % unit !== 0) throw badarg();
    const vBits = parts.bits;
    if (vBits + add > MAX_BITS) throw systemLimit();
    const t = beginAppend(b, bin, vBits, add);
    this.data = outData;
    this.pos = vBits;
    finish(b, vBits + add);
    return t;
  }

  /** bs_init_writable (see initWritable). */
  initWritable(b: Builder, size: Term): Term {
    return initWritable(b, size);
  }

  /** bs_put_integer: `bits` bits (Size * Unit, from fieldBits; negative = bad size). */
  putInteger(ctx: TermContext, v: Term, bits: number, flags: number): void {
    if (bits < 0 || putInteger(ctx, ctx.mem.u8, this.data, this.pos, v, bits, flags) !== OK) throw badarg();
    this.pos += bits;
  }

  /** bs_put_float. */
  putFloat(ctx: TermContext, v: Term, bits: number, flags: number): void {
    if (bits < 0 || putFloat(ctx, ctx.mem.u8, this.data, this.pos, v, bits, flags) !== OK) throw badarg();
    this.pos += bits;
  }

  /** bs_put_binary: `bits` bits of v, or all of it (ALL, a multiple of unit). */
  putBinary(ctx: TermContext, v: Term, bits: number, unit: number): void {
    const w = ctx.mem.i32;
    if (bits !== ALL && bits < 0) throw badarg();
    if (bits === ALL) {
      if (!bitstringParts(w, v)) throw badarg();
      bits = parts.bits;
      if (bits % unit !== 0) throw badarg();
    }
    if (putBinary(w, ctx.mem.u8, this.data, this.pos, v, bits, unit) !== OK) throw badarg();
    this.pos += bits;
  }

  /** bs_put_string. */
  putString(ctx: TermContext, bytes: Uint8Array): void {
    const u8 = ctx.mem.u8;
    if ((this.pos & 7) === 0) u8.set(bytes, this.data + this.pos / 8);
    else copyBits(bytes, 0, 0, u8, this.data + Math.floor(this.pos / 8), this.pos & 7, bytes.length * 8);
    this.pos += bytes.length * 8;
  }

  /** bs_put_utf8 / bs_put_utf16 / bs_put_utf32. */
  putUtf8(ctx: TermContext, v: Term): void {
    this.putUtf(ctx, v, SEG_UTF8, 0);
  }
  putUtf16(ctx: TermContext, v: Term, flags: number): void {
    this.putUtf(ctx, v, SEG_UTF16, flags);
  }
  putUtf32(ctx: TermContext, v: Term, flags: number): void {
    this.putUtf(ctx, v, SEG_UTF32, flags);
  }
  private putUtf(ctx: TermContext, v: Term, type: number, flags: number): void {
    const bits = putUtf(ctx.mem.u8, this.data, this.pos, v, type, flags);
    if (bits < 0) throw badarg();
    this.pos += bits;
  }
}
