/**
 * Hashes and checksums of the `erlang` module: phash/2, phash2/1,2,
 * md5/1 and the md5_init/update/final context BIFs, crc32/1,2,
 * crc32_combine/3, adler32/1,2, adler32_combine/3. Checked against erl in
 * test/bifs/erlang_hash.test.ts.
 *
 * The MD5 context is the real VM's 88-byte binary: the state (four 32-bit
 * words), the bit count (two words, low first), all little-endian, and the
 * 64-byte input buffer. Every whole block passes through that buffer, and
 * its bytes past the pending input keep what was there, as in the real VM. (md5_init's buffer holds whatever was in
 * the real VM's memory; ours holds zeros.)
 */
import { defineBifs } from './registry.js';
import type { Process } from '../vm/process.js';
import { badarg } from '../vm/errors.js';
import { phash, phash2 } from '../vm/term/phash.js';
import { binaryBytes, intValue, isBitstring, mkBinary, mkInt } from '../vm/term/make.js';
import { NIL, type Term, isList, isSmall, ptrVal, smallVal } from '../vm/term/tags.js';

/**
 * iodata (a binary or an iolist) as the pieces the real VM feeds its
 * checksum functions one call each: every binary alone, every run of bytes
 * within one flat list level alone. Badarg when it is not iodata.
 */
function iodataPieces(p: Process, t: Term): Uint8Array[] {
  if (isBitstring(p, t)) {
    const { bytes, bitLength } = binaryBytes(p, t);
    if ((bitLength & 7) !== 0) throw badarg();
    return [bytes.slice()];
  }
  if (!isList(t) && t !== NIL) throw badarg();
  const w = p.mem.i32;
  const pieces: Uint8Array[] = [];
  const stack: Term[] = [t];
  while (stack.length > 0) {
    let cur = stack.pop()!;
    let run: number[] = [];
    const endRun = (): void => {
      if (run.length > 0) pieces.push(Uint8Array.from(run));
      run = [];
    };
    while (isList(cur)) {
      const c = ptrVal(cur);
      const h = w[c]!;
      cur = w[c + 1]!;
      if (isSmall(h) && smallVal(h) >= 0 && smallVal(h) <= 255) {
        run.push(smallVal(h));
        continue;
      }
      endRun();
      if (h === NIL) continue;
      if (isList(h)) {
        // The sublist goes first, then the rest of this level.
        stack.push(cur, h);
        cur = NIL;
        break;
      }
      if (!isBitstring(p, h)) throw badarg();
      const { bytes, bitLength } = binaryBytes(p, h);
      if ((bitLength & 7) !== 0) throw badarg();
      pieces.push(bytes.slice());
    }
    endRun();
    if (cur === NIL) continue;
    if (!isBitstring(p, cur)) throw badarg();
    const { bytes, bitLength } = binaryBytes(p, cur);
    if ((bitLength & 7) !== 0) throw badarg();
    pieces.push(bytes.slice());
  }
  return pieces;
}

/**
 * Feeds the pieces to `update`, cut where the real VM's budget of bytes per
 * call runs out (it then traps and goes on with a fresh budget): the cuts
 * decide what an MD5 context's buffer holds afterwards.
 */
function feed(pieces: Uint8Array[], budget: number, update: (bytes: Uint8Array) => void): void {
  let left = budget;
  for (const piece of pieces) {
    if (piece.length === 0) update(piece); // an empty binary is still a call (it normalises an Adler-32)
    for (let at = 0; at < piece.length; ) {
      const take = Math.min(piece.length - at, left);
      update(piece.subarray(at, at + take));
      at += take;
      left -= take;
      if (left === 0) left = budget;
    }
  }
}

/** Bytes per call of md5 (OTP's do_chksum budget for MD5) and of crc32/adler32 (10 per reduction, 4000 reductions). */
const MD5_BUDGET = 100;
const CHKSUM_BUDGET = 40000;

/** An integer argument in lo..hi (JS numbers), or badarg. */
function rangeArg(p: Process, t: Term, lo: number, hi: number): number {
  const v = intValue(p, t);
  if (typeof v !== 'number' || v < lo || v > hi) throw badarg();
  return v;
}

const U32_MAX = 0xffffffff;

// ---------------------------------------------------------------- MD5 (RFC 1321)

const MD5_CONTEXT_BYTES = 88;
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

/** One 64-byte block into the state. */
function md5Block(state: Uint32Array, block: Uint8Array, at: number): void {
  const x = new Uint32Array(16);
  for (let i = 0; i < 16; i++) {
    const o = at + 4 * i;
    x[i] = (block[o]! | (block[o + 1]! << 8) | (block[o + 2]! << 16) | (block[o + 3]! << 24)) >>> 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 64; i++) {
    const round = i >>> 4;
    let f: number;
    let g: number;
    if (round === 0) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (round === 1) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (round === 2) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const s = S[round * 4 + (i & 3)]!;
    const sum = (a + f + K[i]! + x[g]!) | 0;
    const next = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    a = d;
    d = c;
    c = b;
    b = next;
  }
  state[0] = (state[0]! + a) >>> 0;
  state[1] = (state[1]! + b) >>> 0;
  state[2] = (state[2]! + c) >>> 0;
  state[3] = (state[3]! + d) >>> 0;
}

/** An MD5 context: state, bit count (low, high), buffer, over one 88-byte array in the VM's layout. */
class Md5 {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(ctx?: Uint8Array) {
    this.bytes = new Uint8Array(MD5_CONTEXT_BYTES);
    this.view = new DataView(this.bytes.buffer);
    if (ctx !== undefined) {
      this.bytes.set(ctx);
    } else {
      const init = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
      init.forEach((v, i) => this.view.setUint32(4 * i, v, true));
    }
  }

  private get state(): Uint32Array {
    const s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) s[i] = this.view.getUint32(4 * i, true);
    return s;
  }

  private set state(s: Uint32Array) {
    for (let i = 0; i < 4; i++) this.view.setUint32(4 * i, s[i]!, true);
  }

  update(data: Uint8Array): void {
    const lo = this.view.getUint32(16, true);
    const index = (lo >>> 3) & 63;
    // The bit count, modulo 2^64.
    const bits = BigInt(lo) + (BigInt(this.view.getUint32(20, true)) << 32n) + BigInt(data.length) * 8n;
    this.view.setUint32(16, Number(bits & 0xffffffffn), true);
    this.view.setUint32(20, Number((bits >> 32n) & 0xffffffffn), true);
    const buffer = this.bytes.subarray(24);
    const partLen = 64 - index;
    let i = 0;
    let at = index;
    if (data.length >= partLen) {
      const state = this.state;
      buffer.set(data.subarray(0, partLen), index);
      md5Block(state, buffer, 0);
      for (i = partLen; i + 63 < data.length; i += 64) md5Block(state, data, i);
      this.state = state;
      at = 0;
    }
    buffer.set(data.subarray(i), at);
  }

  final(): Uint8Array {
    const lengthBytes = this.bytes.slice(16, 24);
    const index = (this.view.getUint32(16, true) >>> 3) & 63;
    const padLen = index < 56 ? 56 - index : 120 - index;
    const pad = new Uint8Array(padLen);
    pad[0] = 0x80;
    this.update(pad);
    this.update(lengthBytes);
    return this.bytes.slice(0, 16);
  }
}

function md5ContextArg(p: Process, t: Term): Uint8Array {
  if (!isBitstring(p, t)) throw badarg();
  const { bytes, bitLength } = binaryBytes(p, t);
  if (bitLength !== MD5_CONTEXT_BYTES * 8) throw badarg();
  return bytes;
}

// ---------------------------------------------------------------- CRC-32 and Adler-32

const CRC_POLY = 0xedb88320;
const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC_POLY : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}

/** zlib's crc32(crc, bytes). */
export function crc32(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** a(x) * b(x) modulo the CRC polynomial, bit-reflected as CRCs are. */
function mulModPoly(a: number, b: number): number {
  let prod = 0;
  for (let m = 0x80000000; m !== 0; m >>>= 1) {
    if (a & m) prod ^= b;
    b = b & 1 ? (b >>> 1) ^ CRC_POLY : b >>> 1;
  }
  return prod >>> 0;
}

/** x^(2^k) modulo the polynomial, for k = 0..63. */
const X_POW_2K: number[] = [];
{
  let p = 0x40000000; // x^1
  for (let k = 0; k < 64; k++) {
    X_POW_2K.push(p);
    p = mulModPoly(p, p);
  }
}

/**
 * The CRC of A ++ B from crc(A), crc(B) and the length of B: crc(A) moves
 * past len2 zero bytes (a multiplication by x^(8 len2)), then B's CRC is
 * added in (what zlib's crc32_combine computes).
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  let xn = 0x80000000; // x^0
  let k = 3; // 8 = 2^3 bits per byte
  for (let n = len2; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) xn = mulModPoly(X_POW_2K[k & 63]!, xn);
  }
  return (mulModPoly(xn, crc1) ^ crc2) >>> 0;
}

const ADLER_BASE = 65521;

/**
 * zlib's adler32(adler, bytes), with its three paths kept apart because they
 * reduce a starting value that is out of range (a sum >= 65521) differently.
 */
export function adler32(adler: number, bytes: Uint8Array): number {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  const n = bytes.length;
  if (n === 1) {
    a += bytes[0]!;
    if (a >= ADLER_BASE) a -= ADLER_BASE;
    b += a;
    if (b >= ADLER_BASE) b -= ADLER_BASE;
  } else if (n < 16) {
    for (let i = 0; i < n; i++) {
      a += bytes[i]!;
      b += a;
    }
    if (a >= ADLER_BASE) a -= ADLER_BASE;
    b %= ADLER_BASE;
  } else {
    // 5552 bytes keep the sums below 2^32 before reducing (zlib's NMAX).
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + 5552);
      for (; i < end; i++) {
        a += bytes[i]!;
        b += a;
      }
      a %= ADLER_BASE;
      b %= ADLER_BASE;
    }
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * The Adler-32 of A ++ B from adler(A), adler(B) and B's length, with
 * zlib's adler32_combine arithmetic (which also fixes its result for
 * checksums out of the canonical range, as the real VM passes them through).
 */
export function adler32Combine(adler1: number, adler2: number, len2: number): number {
  if (len2 === 0) return adler1; // the real VM returns the first checksum as it is
  const rem = len2 % ADLER_BASE;
  let sum1 = adler1 & 0xffff;
  let sum2 = (rem * sum1) % ADLER_BASE;
  sum1 += (adler2 & 0xffff) + ADLER_BASE - 1;
  sum2 += (adler1 >>> 16) + (adler2 >>> 16) + ADLER_BASE - rem;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum2 >= ADLER_BASE * 2) sum2 -= ADLER_BASE * 2;
  if (sum2 >= ADLER_BASE) sum2 -= ADLER_BASE;
  return ((sum2 << 16) | sum1) >>> 0;
}

/** A running checksum over iodata, fed piece by piece as the real VM feeds zlib. */
function checksum(p: Process, data: Term, start: number, f: (sum: number, bytes: Uint8Array) => number): number {
  let sum = start;
  feed(iodataPieces(p, data), CHKSUM_BUDGET, (b) => (sum = f(sum, b)));
  return sum;
}

// ---------------------------------------------------------------- registration

defineBifs('erlang', 'bif', {
  'phash/2': (p, [t, r]) => mkInt(p, phash(p, t!, rangeArg(p, r!, 1, 2 ** 32))),
  'phash2/1': (p, [t]) => mkInt(p, phash2(p, t!)),
  'phash2/2': (p, [t, r]) => mkInt(p, phash2(p, t!, rangeArg(p, r!, 1, 2 ** 32))),

  'md5/1': (p, [d]) => {
    const m = new Md5();
    feed(iodataPieces(p, d!), MD5_BUDGET, (b) => m.update(b));
    return mkBinary(p, m.final());
  },
  'md5_init/0': (p) => mkBinary(p, new Md5().bytes),
  'md5_update/2': (p, [c, d]) => {
    const m = new Md5(md5ContextArg(p, c!));
    feed(iodataPieces(p, d!), MD5_BUDGET, (b) => m.update(b));
    return mkBinary(p, m.bytes);
  },
  'md5_final/1': (p, [c]) => mkBinary(p, new Md5(md5ContextArg(p, c!)).final()),

  'crc32/1': (p, [d]) => mkInt(p, checksum(p, d!, 0, crc32)),
  'crc32/2': (p, [c, d]) => mkInt(p, checksum(p, d!, rangeArg(p, c!, 0, U32_MAX), crc32)),
  'crc32_combine/3': (p, [c1, c2, n]) =>
    mkInt(p, crc32Combine(rangeArg(p, c1!, 0, U32_MAX), rangeArg(p, c2!, 0, U32_MAX), rangeArg(p, n!, 0, U32_MAX))),
  'adler32/1': (p, [d]) => mkInt(p, checksum(p, d!, 1, adler32)),
  'adler32/2': (p, [a, d]) => mkInt(p, checksum(p, d!, rangeArg(p, a!, 0, U32_MAX), adler32)),
  'adler32_combine/3': (p, [a1, a2, n]) =>
    mkInt(p, adler32Combine(rangeArg(p, a1!, 0, U32_MAX), rangeArg(p, a2!, 0, U32_MAX), rangeArg(p, n!, 0, U32_MAX))),
});
