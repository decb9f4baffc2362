/**
 * Bit syntax, matching side: match states and the reads the BEAM's matching
 * instructions perform (bs_start_match3/4, bs_get_integer2, bs_get_float2,
 * bs_get_binary2, bs_skip_bits2, bs_test_tail2, bs_test_unit,
 * bs_match_string, bs_get/skip_utf8/16/32, bs_get_tail, bs_get_position,
 * bs_set_position, bs_context_to_binary), plus the bit-level copy and read
 * helpers that the construction side (bits_build.ts) shares. The overview and
 * the layouts are in vm/term/bits.ts.
 *
 * Every getter returns undefined when the pattern does not match (the
 * instruction then jumps to its fail label) and leaves the position where it
 * was; on success it advances the position past what it read.
 */
import { bignumValue } from './build.js';
import type { TermContext } from './heap.js';
import { normalize, type Int } from './integers.js';
import { type Builder, mkFloat, mkInt, mkSubBinary } from './make.js';
import {
  SUB_HEAP_BINARY,
  SUB_MATCH_STATE,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  type Term,
  fitsSmall,
  headerArity,
  headerSubtag,
  isBoxed,
  isSmall,
  makeBoxed,
  makeHeader,
  makeSmall,
  ptrVal,
  smallVal,
} from './tags.js';
import { systemLimit } from '../errors.js';

// ---------------------------------------------------------------- flags

/** Segment flags as the compiler encodes them (beam_asm:flag_to_bit). */
export const BSF_ALIGNED = 0x01; // no longer emitted
export const BSF_LITTLE = 0x02;
export const BSF_SIGNED = 0x04;
export const BSF_EXACT = 0x08; // no longer emitted
export const BSF_NATIVE = 0x10;

/** beamjs runs on little-endian hosts only (checked in build.ts): `native` means little. */
export const isLittle = (flags: number): boolean => (flags & (BSF_LITTLE | BSF_NATIVE)) !== 0;

/** The flags word for a list of flag names as they appear in `erlc -S` (`[little, signed]`). */
export function flagsFromNames(names: readonly string[]): number {
  let f = 0;
  for (const n of names) {
    if (n === 'little') f |= BSF_LITTLE;
    else if (n === 'signed') f |= BSF_SIGNED;
    else if (n === 'native') f |= BSF_NATIVE;
    else if (n === 'aligned') f |= BSF_ALIGNED;
  }
  return f;
}

/**
 * The size operand `all` (a binary segment or bs_get_binary2/bs_skip_bits2
 * taking the rest). Distinct from fieldBits' -1 (a bad size), which fails.
 */
export const ALL = -2;

/**
 * The largest bitstring beamjs builds or matches, in bits: positions live in
 * raw 32-bit words of the match state (512 MiB). The real 64-bit VM goes
 * further; beyond this we raise system_limit.
 */
export const MAX_BITS = 0xffffffff;

// ---------------------------------------------------------------- match state layout

/** Match state words: [header][orig][base][position][end][saved positions...]. */
export const MS_ORIG = 1;
export const MS_BASE = 2;
export const MS_POS = 3;
export const MS_END = 4;
export const MS_SAVED = 5;
/** Words of a match state without saved-position slots (OTP 22+ code never uses slots). */
export const MATCH_STATE_WORDS = 5;
/** Only the word after the header (orig) is a term; the rest are raw numbers the GC must skip. */
export const MATCH_STATE_TERM_WORDS = 1;
export const matchStateWords = (slots: number): number => MATCH_STATE_WORDS + slots;

/** The binary (heap binary or ProcBin) a match state reads. */
export const matchStateOrig = (ctx: TermContext, ms: Term): Term => ctx.mem.i32[ptrVal(ms) + MS_ORIG]!;

export function isMatchState(ctx: TermContext, t: Term): boolean {
  return isBoxed(t) && headerSubtag(ctx.mem.i32[ptrVal(t)]!) === SUB_MATCH_STATE;
}

// ---------------------------------------------------------------- ProcBin flags

/**
 * ProcBin flags word (word 4). A writable ProcBin is the growable buffer
 * behind `<<Acc/binary, ...>>` appends: bit 0 set, bits 1..31 the number of
 * bits in use; its size word is 0 and it is only ever reached through
 * sub-binaries, so no value changes when the buffer grows. Whoever copies a
 * ProcBin to another heap (messages, ETS) must clear the flags word.
 */
export const PB_WRITABLE = 1;
export const PB_FLAGS = 4;
export const writableUsedBits = (flagsWord: number): number => flagsWord >>> 1;
export const makeWritableFlags = (usedBits: number): number => (usedBits * 2 + PB_WRITABLE) | 0;
/** Largest number of bits a writable ProcBin can track in its flags word. */
export const MAX_WRITABLE_BITS = 0x7fffffff;

// ---------------------------------------------------------------- bitstrings in memory

/** Byte address in mem.u8 of the data of a heap binary or ProcBin at word `p`. */
export function binaryDataAddr(w: Int32Array, p: number): number {
  return headerSubtag(w[p]!) === SUB_HEAP_BINARY ? (p + 2) * 4 : (w[p + 2]! + 2) * 4;
}

/**
 * Where a bitstring's bits are: set by `bitstringParts` (no allocation).
 * orig: the heap binary or ProcBin term; offset: bit offset into its data; bits: length.
 */
export const parts = { orig: 0 as Term, offset: 0, bits: 0 };

/** Fills `parts` for a bitstring term; false for anything else. */
export function bitstringParts(w: Int32Array, t: Term): boolean {
  if (!isBoxed(t)) return false;
  const p = ptrVal(t);
  const sub = headerSubtag(w[p]!);
  if (sub === SUB_HEAP_BINARY || sub === SUB_REFC_BINARY) {
    parts.orig = t;
    parts.offset = 0;
    parts.bits = w[p + 1]! * 8;
    return true;
  }
  if (sub === SUB_SUB_BINARY) {
    parts.orig = w[p + 5]!;
    parts.offset = w[p + 3]! * 8 + w[p + 4]!;
    parts.bits = w[p + 1]! * 8 + w[p + 2]!;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- bit helpers

/** 2^k for k = 0..64, exact. */
export const POW2: readonly number[] = Array.from({ length: 65 }, (_, k) => 2 ** k);

/** k (<= 8) bits at bit `bit` of byte `byte`, right-aligned. Reads the next byte only when the field spills into it. */
export function getBits8(u8: Uint8Array, byte: number, bit: number, k: number): number {
  const span = bit + k;
  if (span <= 8) return (u8[byte]! >>> (8 - span)) & ((1 << k) - 1);
  return (((u8[byte]! << 8) | u8[byte + 1]!) >>> (16 - span)) & ((1 << k) - 1);
}

/** Writes the k (<= 8) low bits of v at bit `bit` of byte `byte`, keeping the bits around them. */
export function putBits8(u8: Uint8Array, byte: number, bit: number, k: number, v: number): void {
  const span = bit + k;
  if (span <= 8) {
    const sh = 8 - span;
    const mask = ((1 << k) - 1) << sh;
    u8[byte] = (u8[byte]! & ~mask) | ((v << sh) & mask);
    return;
  }
  const k2 = span - 8; // bits that go into the next byte
  const lowMask = (1 << (8 - bit)) - 1;
  u8[byte] = (u8[byte]! & ~lowMask) | ((v >>> k2) & lowMask);
  const sh = 8 - k2;
  u8[byte + 1] = (u8[byte + 1]! & ((1 << sh) - 1)) | ((v << sh) & 0xff);
}

/**
 * Copies n bits from (src, sByte, sBit) to (dst, dByte, dBit); the bits of
 * dst around the destination field are kept. src and dst may be the same
 * array when the destination lies after the source (appending).
 */
export function copyBits(
  src: Uint8Array,
  sByte: number,
  sBit: number,
  dst: Uint8Array,
  dByte: number,
  dBit: number,
  n: number,
): void {
  if (n <= 0) return;
  if (dBit !== 0) {
    // Fill the destination up to its next byte boundary first.
    const k = Math.min(8 - dBit, n);
    putBits8(dst, dByte, dBit, k, getBits8(src, sByte, sBit, k));
    n -= k;
    if (n === 0) return;
    const s = sBit + k;
    sByte += s >>> 3;
    sBit = s & 7;
    dByte++;
  }
  const whole = n >>> 3;
  const rest = n & 7;
  if (sBit === 0) {
    if (src === dst) dst.copyWithin(dByte, sByte, sByte + whole);
    else dst.set(src.subarray(sByte, sByte + whole), dByte);
  } else {
    const back = 8 - sBit;
    for (let i = 0; i < whole; i++) dst[dByte + i] = (src[sByte + i]! << sBit) | (src[sByte + i + 1]! >>> back);
  }
  if (rest !== 0) putBits8(dst, dByte + whole, 0, rest, getBits8(src, sByte + whole, sBit, rest));
}

/** The byte (8 bits) at bit `bit` of byte `byte`; the field must lie inside the data. */
const getByte = (u8: Uint8Array, byte: number, bit: number): number =>
  bit === 0 ? u8[byte]! : ((u8[byte]! << bit) | (u8[byte + 1]! >>> (8 - bit))) & 0xff;

/** An unsigned big-endian field of n <= 32 bits. */
export function readUintBE(u8: Uint8Array, byte: number, bit: number, n: number): number {
  if (n === 0) return 0;
  if (bit === 0) {
    switch (n) {
      case 8:
        return u8[byte]!;
      case 16:
        return (u8[byte]! << 8) | u8[byte + 1]!;
      case 24:
        return (u8[byte]! << 16) | (u8[byte + 1]! << 8) | u8[byte + 2]!;
      case 32:
        return ((u8[byte]! << 24) | (u8[byte + 1]! << 16) | (u8[byte + 2]! << 8) | u8[byte + 3]!) >>> 0;
    }
  }
  const span = bit + n;
  if (span <= 8) return (u8[byte]! >>> (8 - span)) & ((1 << n) - 1);
  const k = (span + 7) >>> 3; // at most 5 bytes: the accumulator stays below 2^40, exact
  let acc = 0;
  for (let i = 0; i < k; i++) acc = acc * 256 + u8[byte + i]!;
  return Math.floor(acc / POW2[k * 8 - span]!) % POW2[n]!;
}

/**
 * An unsigned little-endian field of n <= 32 bits: whole bytes least
 * significant first, then the n mod 8 most significant bits.
 */
export function readUintLE(u8: Uint8Array, byte: number, bit: number, n: number): number {
  if (bit === 0) {
    switch (n) {
      case 8:
        return u8[byte]!;
      case 16:
        return u8[byte]! | (u8[byte + 1]! << 8);
      case 32:
        return (u8[byte]! | (u8[byte + 1]! << 8) | (u8[byte + 2]! << 16) | (u8[byte + 3]! << 24)) >>> 0;
    }
  }
  const whole = n >>> 3;
  let u = 0;
  let mult = 1;
  for (let i = 0; i < whole; i++) {
    u += getByte(u8, byte + i, bit) * mult;
    mult *= 256;
  }
  const rest = n & 7;
  if (rest !== 0) u += getBits8(u8, byte + whole, bit, rest) * mult;
  return u;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let scratch = new Uint8Array(256);
/** A module-level buffer of at least n bytes (contents undefined). */
export function scratchBytes(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/** An integer field of any size, as the real VM reads it (two's complement when signed). */
export function readInt(u8: Uint8Array, byte: number, bit: number, n: number, flags: number): Int {
  const little = isLittle(flags);
  const signed = (flags & BSF_SIGNED) !== 0;
  if (n <= 32) {
    const u = little ? readUintLE(u8, byte, bit, n) : readUintBE(u8, byte, bit, n);
    return signed && n > 0 && u >= POW2[n - 1]! ? u - POW2[n]! : u;
  }
  if (n <= 53) {
    let u: number;
    if (little) {
      const lo = readUintLE(u8, byte, bit, 32);
      u = readUintLE(u8, byte + 4, bit, n - 32) * 4294967296 + lo;
    } else {
      const hiBits = n - 32;
      const s = bit + hiBits;
      u = readUintBE(u8, byte, bit, hiBits) * 4294967296 + readUintBE(u8, byte + (s >>> 3), s & 7, 32);
    }
    return signed && u >= POW2[n - 1]! ? u - POW2[n]! : u;
  }
  // Bignum: gather the field's bytes left-aligned, then read them as hex.
  const k = (n + 7) >>> 3;
  const buf = scratchBytes(k);
  buf[k - 1] = 0;
  copyBits(u8, byte, bit, buf, 0, 0, n);
  const rest = n & 7;
  const hex: string[] = new Array(k);
  let v: bigint;
  if (little) {
    hex[0] = (rest === 0 ? buf[k - 1]! : buf[k - 1]! >>> (8 - rest)).toString(16);
    for (let i = k - 2, j = 1; i >= 0; i--, j++) hex[j] = HEX[buf[i]!]!;
    v = BigInt('0x' + hex.join(''));
  } else {
    for (let i = 0; i < k; i++) hex[i] = HEX[buf[i]!]!;
    v = BigInt('0x' + hex.join(''));
    if (rest !== 0) v >>= BigInt(8 - rest);
  }
  if (signed) v = BigInt.asIntN(n, v);
  return normalize(v);
}

// Scratch for floats.
const fbuf = new Uint8Array(8);
const fview = new DataView(fbuf.buffer);

/** An IEEE half (16 bits) to a double; NaN and infinities come back as non-finite. */
export function halfToDouble(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** A float field of 16, 32 or 64 bits; NaN for any other size (never a valid Erlang float). */
export function readFloat(u8: Uint8Array, byte: number, bit: number, n: number, little: boolean): number {
  if (n !== 16 && n !== 32 && n !== 64) return NaN;
  copyBits(u8, byte, bit, fbuf, 0, 0, n);
  if (n === 64) return fview.getFloat64(0, little);
  if (n === 32) return fview.getFloat32(0, little);
  return halfToDouble(fview.getUint16(0, little));
}

// ---------------------------------------------------------------- sizes

/**
 * The number of bits of a size operand times its unit (`Size * Unit`), or
 * -1 when the size is not a non-negative integer, or the result exceeds
 * MAX_BITS (nothing that large can match).
 */
export function fieldBits(ctx: TermContext, size: Term, unit: number): number {
  let s: number;
  if (isSmall(size)) s = smallVal(size);
  else if (isBoxed(size) && headerSubtag(ctx.mem.i32[ptrVal(size)]!) === SUB_POS_BIG) {
    const v = bignumValue(ctx, size);
    if (v > BigInt(MAX_BITS)) return -1;
    s = Number(v);
  } else return -1;
  if (s < 0) return -1;
  const bits = s * unit;
  return bits > MAX_BITS ? -1 : bits;
}

// ---------------------------------------------------------------- starting a match

/**
 * bs_start_match3/4: a match state over bitstring t (undefined when t is not
 * a bitstring). A match state given again is returned as is (OTP 22+ reuses it).
 * `slots` saved positions (old bs_start_match2 code only) start at 0.
 */
export function startMatch(b: Builder, t: Term, slots = 0): Term | undefined {
  if (!isBoxed(t)) return undefined;
  let w = b.mem.i32;
  if (headerSubtag(w[ptrVal(t)]!) === SUB_MATCH_STATE) return t;
  if (!bitstringParts(w, t)) return undefined;
  const { orig, offset, bits } = parts;
  if (offset + bits > MAX_BITS) throw systemLimit();
  const at = b.alloc(MATCH_STATE_WORDS + slots);
  w = b.mem.i32;
  w[at] = makeHeader(MATCH_STATE_WORDS - 1 + slots, SUB_MATCH_STATE);
  w[at + MS_ORIG] = orig;
  w[at + MS_BASE] = offset | 0;
  w[at + MS_POS] = 0;
  w[at + MS_END] = bits | 0;
  for (let i = 0; i < slots; i++) w[at + MS_SAVED + i] = 0;
  return makeBoxed(at);
}

// A match state as `load` read it: its word index, position, end, and the bit within the current byte.
let msP = 0;
let msPos = 0;
let msEnd = 0;
let msBit = 0;

/** Reads a match state into msP/msPos/msEnd/msBit; returns the byte address in mem.u8 of the current position. */
function load(w: Int32Array, ms: Term): number {
  const p = ptrVal(ms);
  msP = p;
  msPos = w[p + MS_POS]! >>> 0;
  msEnd = w[p + MS_END]! >>> 0;
  const abs = (w[p + MS_BASE]! >>> 0) + msPos; // < 2^32: startMatch checks base + end <= MAX_BITS
  msBit = abs & 7;
  return binaryDataAddr(w, ptrVal(w[p + MS_ORIG]!)) + (abs >>> 3);
}

const setPos = (w: Int32Array, p: number, pos: number): void => {
  w[p + MS_POS] = pos | 0;
};

// ---------------------------------------------------------------- reads

/** bs_get_integer2: `bits` bits (from fieldBits) as an integer. */
export function getInteger(b: Builder, ms: Term, bits: number, flags: number): Term | undefined {
  // Written out with locals: this is the hottest matching instruction.
  const w = b.mem.i32;
  const p = ptrVal(ms);
  const pos = w[p + MS_POS]! >>> 0;
  if (bits < 0 || bits > (w[p + MS_END]! >>> 0) - pos) return undefined; // bits < 0: a bad size (fieldBits)
  w[p + MS_POS] = (pos + bits) | 0;
  const abs = (w[p + MS_BASE]! >>> 0) + pos;
  const byte = binaryDataAddr(w, ptrVal(w[p + MS_ORIG]!)) + (abs >>> 3);
  const bit = abs & 7;
  const u8 = b.mem.u8;
  if (bits <= 27) {
    // Up to 27 bits always make a small.
    let u: number;
    if (bit === 0 && bits === 8) u = u8[byte]!;
    else u = (flags & (BSF_LITTLE | BSF_NATIVE)) !== 0 ? readUintLE(u8, byte, bit, bits) : readUintBE(u8, byte, bit, bits);
    if ((flags & BSF_SIGNED) !== 0 && bits > 0 && u >= POW2[bits - 1]!) u -= POW2[bits]!;
    return makeSmall(u);
  }
  const v = readInt(u8, byte, bit, bits, flags);
  return typeof v === 'number' && fitsSmall(v) ? makeSmall(v) : mkInt(b, v);
}

/**
 * bs_get_float2: a 16, 32 or 64-bit float; no match for other sizes, NaN or
 * infinity. Size 0 matches nothing and gives 0.0, as in the real VM.
 */
export function getFloat(b: Builder, ms: Term, bits: number, flags: number): Term | undefined {
  const w = b.mem.i32;
  const byte = load(w, ms);
  if (bits < 0 || bits > msEnd - msPos) return undefined;
  const x = bits === 0 ? 0 : readFloat(b.mem.u8, byte, msBit, bits, isLittle(flags));
  if (!Number.isFinite(x)) return undefined;
  setPos(w, msP, msPos + bits);
  return mkFloat(b, x);
}

/** Whole-byte slices up to this size are copied into a heap binary rather than referenced. */
const COPY_SLICE_BYTES = 16;

/**
 * A bitstring term for `bits` bits at bit `offset` of orig's data: orig itself
 * when that is all of it, a small heap binary copy, or a sub-binary.
 */
export function sliceBits(b: Builder, orig: Term, offset: number, bits: number): Term {
  let w = b.mem.i32;
  const op = ptrVal(orig);
  const whole = headerSubtag(w[op]!) === SUB_HEAP_BINARY || w[op + PB_FLAGS]! === 0;
  if (offset === 0 && whole && bits === w[op + 1]! * 8) return orig;
  if ((bits & 7) === 0 && bits <= COPY_SLICE_BYTES * 8) {
    const n = bits >>> 3;
    const words = (n + 3) >>> 2;
    const at = b.alloc(2 + words);
    w = b.mem.i32;
    w[at] = makeHeader(1 + words, SUB_HEAP_BINARY);
    w[at + 1] = n;
    if (words > 0) w[at + 1 + words] = 0;
    const u8 = b.mem.u8;
    copyBits(u8, binaryDataAddr(w, op) + Math.floor(offset / 8), offset & 7, u8, (at + 2) * 4, 0, bits);
    return makeBoxed(at);
  }
  return mkSubBinary(b, orig, offset, bits);
}

/**
 * bs_get_binary2: `bits` bits as a bitstring, or with bits = ALL the rest,
 * which must be a multiple of `unit` bits.
 */
export function getBinary(b: Builder, ms: Term, bits: number, unit = 1): Term | undefined {
  const w = b.mem.i32;
  load(w, ms);
  const left = msEnd - msPos;
  if (bits === ALL) {
    if (left % unit !== 0) return undefined;
    bits = left;
  } else if (bits < 0 || bits > left) return undefined;
  const p = msP;
  const start = (w[p + MS_BASE]! >>> 0) + msPos;
  setPos(w, p, msPos + bits);
  return sliceBits(b, w[p + MS_ORIG]!, start, bits);
}

/** bs_skip_bits2 (bits = ALL: the rest, a multiple of unit). */
export function skipBits(ctx: TermContext, ms: Term, bits: number, unit = 1): boolean {
  const w = ctx.mem.i32;
  const p = ptrVal(ms);
  const pos = w[p + MS_POS]! >>> 0;
  const left = (w[p + MS_END]! >>> 0) - pos;
  if (bits === ALL) {
    if (left % unit !== 0) return false;
    bits = left;
  } else if (bits < 0 || bits > left) return false;
  setPos(w, p, pos + bits);
  return true;
}

/** bs_test_tail2: exactly `bits` bits are left. */
export function testTail(ctx: TermContext, ms: Term, bits: number): boolean {
  const w = ctx.mem.i32;
  const p = ptrVal(ms);
  return (w[p + MS_END]! >>> 0) - (w[p + MS_POS]! >>> 0) === bits;
}

/** bs_test_unit: the bits left are a multiple of `unit`. */
export function testUnit(ctx: TermContext, ms: Term, unit: number): boolean {
  const w = ctx.mem.i32;
  const p = ptrVal(ms);
  return ((w[p + MS_END]! >>> 0) - (w[p + MS_POS]! >>> 0)) % unit === 0;
}

/** The number of bits left to match. */
export function bitsLeft(ctx: TermContext, ms: Term): number {
  const w = ctx.mem.i32;
  const p = ptrVal(ms);
  return (w[p + MS_END]! >>> 0) - (w[p + MS_POS]! >>> 0);
}

/** bs_match_string: the next `bits` bits equal the first `bits` bits of `bytes` (a string table slice). */
export function matchString(ctx: TermContext, ms: Term, bytes: Uint8Array, bits: number): boolean {
  const w = ctx.mem.i32;
  const byte = load(w, ms);
  if (bits < 0 || bits > msEnd - msPos) return false;
  const u8 = ctx.mem.u8;
  const bit = msBit;
  const whole = bits >>> 3;
  if (bit === 0) {
    for (let i = 0; i < whole; i++) if (u8[byte + i] !== bytes[i]) return false;
  } else {
    for (let i = 0; i < whole; i++) if (getByte(u8, byte + i, bit) !== bytes[i]) return false;
  }
  const rest = bits & 7;
  if (rest !== 0 && getBits8(u8, byte + whole, bit, rest) !== bytes[whole]! >>> (8 - rest)) return false;
  setPos(w, msP, msPos + bits);
  return true;
}

// ---------------------------------------------------------------- unicode

const validCodePoint = (c: number): boolean => c >= 0 && c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);

/** Bits consumed by the last successful utf read (set by decodeUtf8/16). */
let utfBits = 0;

/** A UTF-8 character at (byte, bit) with `left` bits available, or -1. Strict: no overlongs, surrogates or > 0x10FFFF. */
function decodeUtf8(u8: Uint8Array, byte: number, bit: number, left: number): number {
  if (left < 8) return -1;
  const b0 = getByte(u8, byte, bit);
  if (b0 < 0x80) {
    utfBits = 8;
    return b0;
  }
  let len: number;
  let cp: number;
  if (b0 < 0xc2) return -1; // a continuation byte, or an overlong 2-byte form
  if (b0 < 0xe0) {
    len = 2;
    cp = b0 & 0x1f;
  } else if (b0 < 0xf0) {
    len = 3;
    cp = b0 & 0x0f;
  } else if (b0 < 0xf5) {
    len = 4;
    cp = b0 & 0x07;
  } else return -1;
  if (left < len * 8) return -1;
  for (let i = 1; i < len; i++) {
    const c = getByte(u8, byte + i, bit);
    if ((c & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (len === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return -1;
  if (len === 4 && (cp < 0x10000 || cp > 0x10ffff)) return -1;
  utfBits = len * 8;
  return cp;
}

function decodeUtf16(u8: Uint8Array, byte: number, bit: number, left: number, little: boolean): number {
  if (left < 16) return -1;
  const u1 = little ? readUintLE(u8, byte, bit, 16) : readUintBE(u8, byte, bit, 16);
  if (u1 < 0xd800 || u1 > 0xdfff) {
    utfBits = 16;
    return u1;
  }
  if (u1 > 0xdbff || left < 32) return -1;
  const u2 = little ? readUintLE(u8, byte + 2, bit, 16) : readUintBE(u8, byte + 2, bit, 16);
  if (u2 < 0xdc00 || u2 > 0xdfff) return -1;
  utfBits = 32;
  return 0x10000 + ((u1 - 0xd800) << 10) + (u2 - 0xdc00);
}

function decodeUtf32(u8: Uint8Array, byte: number, bit: number, left: number, little: boolean): number {
  if (left < 32) return -1;
  const c = little ? readUintLE(u8, byte, bit, 32) : readUintBE(u8, byte, bit, 32);
  if (!validCodePoint(c)) return -1;
  utfBits = 32;
  return c;
}

function getUtf(ctx: TermContext, ms: Term, kind: 8 | 16 | 32, flags: number): Term | undefined {
  const w = ctx.mem.i32;
  const byte = load(w, ms);
  const left = msEnd - msPos;
  const u8 = ctx.mem.u8;
  const cp =
    kind === 8
      ? decodeUtf8(u8, byte, msBit, left)
      : kind === 16
        ? decodeUtf16(u8, byte, msBit, left, isLittle(flags))
        : decodeUtf32(u8, byte, msBit, left, isLittle(flags));
  if (cp < 0) return undefined;
  setPos(w, msP, msPos + utfBits);
  return makeSmall(cp);
}

/** bs_get_utf8: a code point, or undefined. bs_skip_utf8 is the same, ignoring the value. */
export const getUtf8 = (ctx: TermContext, ms: Term): Term | undefined => getUtf(ctx, ms, 8, 0);
export const getUtf16 = (ctx: TermContext, ms: Term, flags: number): Term | undefined => getUtf(ctx, ms, 16, flags);
export const getUtf32 = (ctx: TermContext, ms: Term, flags: number): Term | undefined => getUtf(ctx, ms, 32, flags);
export const skipUtf8 = (ctx: TermContext, ms: Term): boolean => getUtf(ctx, ms, 8, 0) !== undefined;
export const skipUtf16 = (ctx: TermContext, ms: Term, flags: number): boolean => getUtf(ctx, ms, 16, flags) !== undefined;
export const skipUtf32 = (ctx: TermContext, ms: Term, flags: number): boolean => getUtf(ctx, ms, 32, flags) !== undefined;

// ---------------------------------------------------------------- positions and the rest

/** bs_get_tail: the bits left, as a bitstring (the position does not move). */
export function getTail(b: Builder, ms: Term): Term {
  const w = b.mem.i32;
  const p = ptrVal(ms);
  const pos = w[p + MS_POS]! >>> 0;
  const end = w[p + MS_END]! >>> 0;
  return sliceBits(b, w[p + MS_ORIG]!, (w[p + MS_BASE]! >>> 0) + pos, end - pos);
}

/** bs_get_position: the position as an integer term (a bignum past 2^27 bits). */
export function getPosition(b: Builder, ms: Term): Term {
  const pos = b.mem.i32[ptrVal(ms) + MS_POS]! >>> 0;
  return fitsSmall(pos) ? makeSmall(pos) : mkInt(b, pos);
}

/** bs_set_position: back to a position from getPosition. */
export function setPosition(ctx: TermContext, ms: Term, pos: Term): void {
  const v = isSmall(pos) ? smallVal(pos) : Number(bignumValue(ctx, pos));
  setPos(ctx.mem.i32, ptrVal(ms), v);
}

/** The position as a number (for the interpreter's own use, e.g. a position kept in a register as raw bits). */
export const matchPosition = (ctx: TermContext, ms: Term): number => ctx.mem.i32[ptrVal(ms) + MS_POS]! >>> 0;

/** Old bs_save2/bs_restore2 (slot i of a match state started with slots). */
export function savePosition(ctx: TermContext, ms: Term, slot: number): void {
  const w = ctx.mem.i32;
  const p = ptrVal(ms);
  w[p + MS_SAVED + slot] = w[p + MS_POS]!;
}
export function restorePosition(ctx: TermContext, ms: Term, slot: number): void {
  const w = ctx.mem.i32;
  const p = ptrVal(ms);
  w[p + MS_POS] = w[p + MS_SAVED + slot]!;
}

/**
 * bs_context_to_binary: a match state becomes the bitstring its match
 * started on (from saved slot 0 when it has slots, as the pre-OTP 22 VM
 * did); any other term is returned unchanged.
 */
export function contextToBinary(b: Builder, t: Term): Term {
  if (!isMatchState(b, t)) return t;
  const w = b.mem.i32;
  const p = ptrVal(t);
  const slots = headerArity(w[p]!) - (MATCH_STATE_WORDS - 1);
  const from = slots > 0 ? w[p + MS_SAVED]! >>> 0 : 0;
  return sliceBits(b, w[p + MS_ORIG]!, (w[p + MS_BASE]! >>> 0) + from, (w[p + MS_END]! >>> 0) - from);
}

/** An integer term's value, for the construction side: a number when safe, else a bigint; undefined for a non-integer. */
export function integerTermValue(w: Int32Array, ctx: TermContext, t: Term): Int | undefined {
  if (isSmall(t)) return smallVal(t);
  if (!isBoxed(t)) return undefined;
  const s = headerSubtag(w[ptrVal(t)]!);
  if (s !== SUB_POS_BIG && s !== SUB_NEG_BIG) return undefined;
  return normalize(bignumValue(ctx, t));
}
