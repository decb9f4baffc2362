/**
 * The native functions of the `binary` module: every function of binary.erl
 * that is an `erlang:nif_error` stub (the real VM implements them in C,
 * erl_bif_binary.c). bin_to_list/1,2,3, replace/3,4, encode_hex/1,2 and
 * decode_hex/1 are Erlang code in binary.erl and run as such.
 *
 * Compiled patterns: the real VM returns `{bm, Ref}` (one pattern) or
 * `{ac, Ref}` (several) where Ref is a magic reference to the compiled
 * search structure. We return the same shape with a binary in place of the
 * reference: a marker followed by each pattern (4-byte big-endian length,
 * then the bytes). match/matches/split accept it; anything else in that
 * shape is badarg, as the real VM says of a forged tuple.
 *
 * Parts of a subject (part/2,3, split) are copied into a heap binary when
 * they are at most 64 bytes and are sub-binaries of the subject otherwise,
 * as in the real VM (referenced_byte_size/1 can tell the difference).
 *
 * Search semantics: among the patterns, the match that starts first wins;
 * of those starting there, the longest. matches/split continue after the
 * end of each match (no overlaps).
 */
import { defineBifs } from './registry.js';
import type { Process } from '../vm/process.js';
import { badarg, systemLimit } from '../vm/errors.js';
import type { TermContext } from '../vm/term/heap.js';
import {
  bignumValue,
  intValue,
  iolistToBytes,
  isBignum,
  isBinary,
  isBitstring,
  isTuple,
  mkBinary,
  mkInt,
  mkList,
  mkSubBinary,
  mkTuple2,
  newOffHeapBlock,
  mkProcBin,
  tupleArity,
  tupleElement,
} from '../vm/term/make.js';
import {
  HEAP_BINARY_LIMIT,
  NIL,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  type Term,
  headerSubtag,
  isList,
  isSmall,
  makeSmall,
  ptrVal,
  smallVal,
} from '../vm/term/tags.js';

// ---------------------------------------------------------------- binaries in memory

/**
 * Where the bytes of a binary term are: the heap binary or ProcBin holding
 * them (`orig`), the position of the first bit within that object's data,
 * and the size. Shared with bifs/unicode.ts.
 */
export interface BinaryRef {
  orig: Term;
  /** Bit offset of the first bit in orig's data (a multiple of 8 unless the term is an unaligned sub-binary). */
  bitOffset: number;
  byteSize: number;
  /** Bits past the whole bytes (0 for a binary). */
  extraBits: number;
}

export function binaryRef(ctx: TermContext, t: Term): BinaryRef {
  const w = ctx.mem.i32;
  const at = ptrVal(t);
  const hdr = w[at]!;
  if (headerSubtag(hdr) === SUB_SUB_BINARY) {
    return { orig: w[at + 5]!, bitOffset: w[at + 3]! * 8 + w[at + 4]!, byteSize: w[at + 1]!, extraBits: w[at + 2]! };
  }
  return { orig: t, bitOffset: 0, byteSize: w[at + 1]!, extraBits: 0 };
}

/** Byte index in memory of the data of a heap binary or ProcBin. */
function dataStart(ctx: TermContext, orig: Term): number {
  const w = ctx.mem.i32;
  const at = ptrVal(orig);
  return headerSubtag(w[at]!) === SUB_REFC_BINARY ? (w[at + 2]! + 2) * 4 : (at + 2) * 4;
}

/**
 * The bytes of a binary (byte-aligned) term: a view into shared memory when
 * the data starts on a byte boundary, a copy otherwise. Do not write through
 * it, and read it before anything allocates on the heap (a view stays valid
 * but callers should not rely on that across a memory refresh).
 */
export function bytesOf(ctx: TermContext, t: Term): Uint8Array {
  const ref = binaryRef(ctx, t);
  const start = dataStart(ctx, ref.orig);
  if ((ref.bitOffset & 7) === 0) {
    const from = start + (ref.bitOffset >>> 3);
    return ctx.mem.u8.subarray(from, from + ref.byteSize);
  }
  const u8 = ctx.mem.u8;
  const shift = ref.bitOffset & 7;
  const from = start + (ref.bitOffset >>> 3);
  const out = new Uint8Array(ref.byteSize);
  for (let i = 0; i < out.length; i++) out[i] = ((u8[from + i]! << shift) | (u8[from + i + 1]! >>> (8 - shift))) & 0xff;
  return out;
}

/**
 * Bytes [start, start + len) of a binary term as a new term: a heap binary
 * copy up to 64 bytes, a sub-binary of the same data beyond.
 */
export function subBinary(p: Process, t: Term, start: number, len: number): Term {
  if (len <= HEAP_BINARY_LIMIT) return mkBinary(p, bytesOf(p, t).slice(start, start + len));
  const ref = binaryRef(p, t);
  return mkSubBinary(p, ref.orig, ref.bitOffset + start * 8, len * 8);
}

/** A binary term of these bytes (copied). */
export function newBinary(p: Process, bytes: Uint8Array): Term {
  return mkBinary(p, bytes);
}

/** The byte size of a binary term. */
export const byteSizeOf = (ctx: TermContext, t: Term): number => binaryRef(ctx, t).byteSize;

// ---------------------------------------------------------------- integers as the C code reads them

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** term_to_Sint: an integer that fits a signed 64-bit word, else undefined. */
function toSint(ctx: TermContext, t: Term): number | bigint | undefined {
  const v = intValue(ctx, t);
  if (v === undefined || typeof v === 'number') return v;
  return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

/** term_to_Uint: a non-negative integer that fits an unsigned 64-bit word, else undefined. */
function toUint(ctx: TermContext, t: Term): number | bigint | undefined {
  const v = intValue(ctx, t);
  if (v === undefined || v < 0) return undefined;
  if (typeof v === 'number') return v;
  return v <= UINT64_MAX ? v : undefined;
}

// ---------------------------------------------------------------- patterns

const PATTERN_MARK = new TextEncoder().encode('\u0000beamjs:compiled-pattern\u0000');
const ATOM_BM = 'bm';
const ATOM_AC = 'ac';

/** A pattern argument: a non-empty binary, a non-empty list of them, or a compiled pattern. */
function patternsOf(p: Process, t: Term): Uint8Array[] {
  if (isBinary(p, t)) {
    const bytes = bytesOf(p, t);
    if (bytes.length === 0) throw badarg();
    return [bytes.slice()];
  }
  if (isList(t)) {
    const out: Uint8Array[] = [];
    const w = p.mem.i32;
    while (isList(t)) {
      const el = w[ptrVal(t)]!;
      if (!isBinary(p, el)) throw badarg();
      const bytes = bytesOf(p, el);
      if (bytes.length === 0) throw badarg();
      out.push(bytes.slice());
      t = w[ptrVal(t) + 1]!;
    }
    if (t !== NIL) throw badarg();
    return out;
  }
  const compiled = decodeCompiled(p, t);
  if (compiled === undefined) throw badarg();
  return compiled;
}

function decodeCompiled(p: Process, t: Term): Uint8Array[] | undefined {
  if (!isTuple(p, t) || tupleArity(p, t) !== 2) return undefined;
  const tag = tupleElement(p, t, 1);
  const data = tupleElement(p, t, 2);
  if ((tag !== p.atoms.intern(ATOM_BM) && tag !== p.atoms.intern(ATOM_AC)) || !isBinary(p, data)) return undefined;
  const bytes = bytesOf(p, data);
  if (bytes.length < PATTERN_MARK.length) return undefined;
  for (let i = 0; i < PATTERN_MARK.length; i++) if (bytes[i] !== PATTERN_MARK[i]) return undefined;
  const out: Uint8Array[] = [];
  let at = PATTERN_MARK.length;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) return undefined;
    const n = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
    at += 4;
    if (n === 0 || at + n > bytes.length) return undefined;
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  if (out.length === 0 || (out.length === 1) !== (tag === p.atoms.intern(ATOM_BM))) return undefined;
  return out;
}

function compilePattern(p: Process, args: Term[]): Term {
  const pats = patternsOf(p, args[0]!);
  if (decodeCompiled(p, args[0]!) !== undefined) throw badarg(); // the real VM does not accept a cp here
  let size = PATTERN_MARK.length;
  for (const pat of pats) size += 4 + pat.length;
  const data = new Uint8Array(size);
  data.set(PATTERN_MARK, 0);
  let at = PATTERN_MARK.length;
  for (const pat of pats) {
    data[at] = pat.length >>> 24;
    data[at + 1] = (pat.length >>> 16) & 0xff;
    data[at + 2] = (pat.length >>> 8) & 0xff;
    data[at + 3] = pat.length & 0xff;
    data.set(pat, at + 4);
    at += 4 + pat.length;
  }
  return mkTuple2(p, p.atoms.intern(pats.length === 1 ? ATOM_BM : ATOM_AC), mkBinary(p, data));
}

/** A searcher over one subject: the first (then longest) match starting in [from, end). */
class Searcher {
  private readonly single: Buffer | undefined;
  constructor(
    private readonly subject: Uint8Array,
    private readonly pats: Uint8Array[],
  ) {
    this.single = pats.length === 1 ? Buffer.from(pats[0]!) : undefined;
  }

  /** [pos, len] of the next match lying within [from, end), or undefined. */
  next(from: number, end: number): [number, number] | undefined {
    const s = this.subject;
    if (this.single !== undefined) {
      const pat = this.single;
      if (end - from < pat.length) return undefined;
      const hay = Buffer.from(s.buffer, s.byteOffset + from, end - from);
      const i = hay.indexOf(pat);
      return i < 0 ? undefined : [from + i, pat.length];
    }
    for (let i = from; i < end; i++) {
      let best = 0;
      for (const pat of this.pats) {
        const n = pat.length;
        if (n <= best || i + n > end || s[i] !== pat[0]) continue;
        let k = 1;
        while (k < n && s[i + k] === pat[k]) k++;
        if (k === n) best = n;
      }
      if (best > 0) return [i, best];
    }
    return undefined;
  }
}

interface SearchOptions {
  start: number;
  end: number;
  global: boolean;
  trim: boolean;
  trimAll: boolean;
}

/** Parses match/matches ({scope, ...} only) or split options (also global, trim, trim_all). */
function searchOptions(p: Process, opts: Term, size: number, forSplit: boolean): SearchOptions {
  const o: SearchOptions = { start: 0, end: size, global: false, trim: false, trimAll: false };
  if (opts !== NIL && !isList(opts)) throw badarg();
  const w = p.mem.i32;
  const scope = p.atoms.intern('scope');
  while (isList(opts)) {
    const opt = w[ptrVal(opts)]!;
    opts = w[ptrVal(opts) + 1]!;
    if (forSplit && opt === p.atoms.intern('global')) o.global = true;
    else if (forSplit && opt === p.atoms.intern('trim')) o.trim = true;
    else if (forSplit && opt === p.atoms.intern('trim_all')) o.trimAll = true;
    else if (isTuple(p, opt) && tupleArity(p, opt) === 2 && tupleElement(p, opt, 1) === scope) {
      const part = tupleElement(p, opt, 2);
      if (!isTuple(p, part) || tupleArity(p, part) !== 2) throw badarg();
      const range = partRange(p, size, tupleElement(p, part, 1), tupleElement(p, part, 2));
      o.start = range[0];
      o.end = range[0] + range[1];
    } else throw badarg();
  }
  // The real VM stops at the first non-cons and never looks at an improper tail.
  return o;
}

/** {Pos, Len} of binary_part semantics checked against a subject of `size` bytes: [start, length]. */
function partRange(p: Process, size: number, posTerm: Term, lenTerm: Term): [number, number] {
  const pos = toSint(p, posTerm);
  const len = toSint(p, lenTerm);
  if (pos === undefined || len === undefined) throw badarg();
  // Beyond 2^53 (a bigint) nothing is within a binary, whichever the sign.
  if (typeof pos === 'bigint' || typeof len === 'bigint') throw badarg();
  let start = pos;
  let n = len;
  if (n < 0) {
    start += n;
    n = -n;
  }
  if (start < 0 || start > size || n > size - start) throw badarg();
  return [start, n];
}

function subjectBytes(p: Process, t: Term): Uint8Array {
  if (!isBinary(p, t)) throw badarg();
  return bytesOf(p, t);
}

function matchN(p: Process, subjectT: Term, patternT: Term, optsT: Term): Term {
  const subject = subjectBytes(p, subjectT);
  const o = searchOptions(p, optsT, subject.length, false);
  // An empty search range answers before the pattern is even looked at.
  if (o.end === 0) return p.atoms.intern('nomatch');
  const pats = patternsOf(p, patternT);
  const m = new Searcher(subject, pats).next(o.start, o.end);
  return m === undefined ? p.atoms.intern('nomatch') : mkTuple2(p, makeSmall(m[0]), makeSmall(m[1]));
}

function allMatches(subject: Uint8Array, pats: Uint8Array[], o: SearchOptions): Array<[number, number]> {
  const searcher = new Searcher(subject, pats);
  const out: Array<[number, number]> = [];
  for (let from = o.start; ; ) {
    const m = searcher.next(from, o.end);
    if (m === undefined) break;
    out.push(m);
    from = m[0] + m[1];
  }
  return out;
}

function matchesN(p: Process, subjectT: Term, patternT: Term, optsT: Term): Term {
  const subject = subjectBytes(p, subjectT);
  const o = searchOptions(p, optsT, subject.length, false);
  if (o.end === 0) return NIL;
  const pats = patternsOf(p, patternT);
  const found = allMatches(subject, pats, o);
  return mkList(p, found.map(([pos, len]) => mkTuple2(p, makeSmall(pos), makeSmall(len))));
}

function splitN(p: Process, subjectT: Term, patternT: Term, optsT: Term): Term {
  const subject = subjectBytes(p, subjectT);
  const o = searchOptions(p, optsT, subject.length, true);
  const size = subject.length;
  let found: Array<[number, number]>;
  if (o.end === 0) found = [];
  else if (o.global) found = allMatches(subject, patternsOf(p, patternT), o);
  else {
    const m = new Searcher(subject, patternsOf(p, patternT)).next(o.start, o.end);
    found = m === undefined ? [] : [m];
  }
  // Part boundaries: [start, end) pairs covering the subject around the matches.
  const ranges: Array<[number, number]> = [];
  let at = 0;
  for (const [pos, len] of found) {
    ranges.push([at, pos]);
    at = pos + len;
  }
  ranges.push([at, size]);
  let kept = ranges;
  if (o.trimAll) kept = ranges.filter(([a, b]) => b > a);
  else if (o.trim) {
    let n = ranges.length;
    while (n > 0 && ranges[n - 1]![1] === ranges[n - 1]![0]) n--;
    kept = ranges.slice(0, n);
  }
  return mkList(p, kept.map(([a, b]) => subBinary(p, subjectT, a, b - a)));
}

// ---------------------------------------------------------------- the rest

function longestCommon(p: Process, listT: Term, fromEnd: boolean): Term {
  const bins: Uint8Array[] = [];
  const w = p.mem.i32;
  let t = listT;
  while (isList(t)) {
    const el = w[ptrVal(t)]!;
    if (!isBinary(p, el)) throw badarg();
    bins.push(bytesOf(p, el));
    t = w[ptrVal(t) + 1]!;
  }
  if (t !== NIL || bins.length === 0) throw badarg();
  let n = Math.min(...bins.map((b) => b.length));
  const first = bins[0]!;
  for (let k = 1; k < bins.length && n > 0; k++) {
    const b = bins[k]!;
    let i = 0;
    if (fromEnd) while (i < n && b[b.length - 1 - i] === first[first.length - 1 - i]) i++;
    else while (i < n && b[i] === first[i]) i++;
    n = i;
  }
  return makeSmall(n);
}

function part(p: Process, subjectT: Term, posT: Term, lenT: Term): Term {
  if (!isBinary(p, subjectT)) throw badarg();
  const [start, n] = partRange(p, byteSizeOf(p, subjectT), posT, lenT);
  return subBinary(p, subjectT, start, n);
}

function at(p: Process, args: Term[]): Term {
  const [subjectT, posT] = args as [Term, Term];
  if (!isBinary(p, subjectT)) throw badarg();
  const pos = toUint(p, posT);
  const bytes = bytesOf(p, subjectT);
  if (pos === undefined || Number(pos) >= bytes.length) throw badarg();
  return makeSmall(bytes[Number(pos)]!);
}

function firstOrLast(p: Process, t: Term, last: boolean): Term {
  if (!isBinary(p, t)) throw badarg();
  const bytes = bytesOf(p, t);
  if (bytes.length === 0) throw badarg();
  return makeSmall(bytes[last ? bytes.length - 1 : 0]!);
}

function listToBin(p: Process, args: Term[]): Term {
  const t = args[0]!;
  if (!isList(t) && t !== NIL) throw badarg();
  const bytes = iolistToBytes(p, t);
  if (bytes === undefined) throw badarg();
  return mkBinary(p, bytes);
}

/** Largest binary we build, in bytes (what a ProcBin's size word can say). */
const MAX_BINARY_BYTES = 2 ** 31 - 1;

function copy(p: Process, subjectT: Term, countT: Term): Term {
  if (!isBitstring(p, subjectT)) throw badarg();
  const count = toUint(p, countT);
  if (count === undefined) throw badarg();
  // Zero copies of anything, even of a bitstring, is <<>>; otherwise whole bytes only.
  if (count === 0) return mkBinary(p, new Uint8Array(0));
  if (!isBinary(p, subjectT)) throw badarg();
  const src = bytesOf(p, subjectT);
  const size = src.length;
  if (size === 0 || count === 0) return mkBinary(p, new Uint8Array(0));
  const total = size * Number(count);
  if (total > MAX_BINARY_BYTES) throw systemLimit();
  if (total <= HEAP_BINARY_LIMIT) {
    const out = new Uint8Array(total);
    for (let i = 0; i < total; i += size) out.set(src, i);
    return mkBinary(p, out);
  }
  // Fill the off-heap block in place, doubling the copied prefix each round.
  const source = src.slice();
  const block = newOffHeapBlock(p.mem, total);
  const u8 = p.mem.u8;
  const base = (block + 2) * 4;
  u8.set(source, base);
  for (let filled = size; filled < total; filled *= 2) u8.copyWithin(base + filled, base, base + Math.min(filled, total - filled));
  return mkProcBin(p, block, total);
}

function referencedByteSize(p: Process, args: Term[]): Term {
  const t = args[0]!;
  if (!isBitstring(p, t)) throw badarg();
  const w = p.mem.i32;
  const orig = binaryRef(p, t).orig;
  const at = ptrVal(orig);
  // A ProcBin refers to the whole off-heap block, whose own size word counts.
  const size = headerSubtag(w[at]!) === SUB_REFC_BINARY ? w[w[at + 2]! + 1]! : w[at + 1]!;
  return mkInt(p, size);
}

function endianness(p: Process, t: Term): boolean {
  if (t === p.atoms.intern('big')) return false;
  if (t === p.atoms.intern('little')) return true;
  throw badarg();
}

function encodeUnsigned(p: Process, nT: Term, endianT: Term): Term {
  const little = endianness(p, endianT);
  let bytes: Uint8Array;
  if (isSmall(nT)) {
    let v = smallVal(nT);
    if (v < 0) throw badarg();
    const out: number[] = [];
    do {
      out.push(v & 0xff);
      v >>>= 8;
    } while (v > 0);
    bytes = Uint8Array.from(out); // least significant first
  } else if (isBignum(p, nT)) {
    const v = bignumValue(p, nT);
    if (v < 0n) throw badarg();
    let hex = v.toString(16);
    if (hex.length & 1) hex = '0' + hex;
    bytes = Uint8Array.from(Buffer.from(hex, 'hex')).reverse();
  } else throw badarg();
  if (!little) bytes.reverse();
  return mkBinary(p, bytes);
}

function decodeUnsigned(p: Process, subjectT: Term, endianT: Term): Term {
  if (!isBinary(p, subjectT)) throw badarg();
  const little = endianness(p, endianT);
  const bytes = bytesOf(p, subjectT);
  const n = bytes.length;
  if (n <= 6) {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + bytes[little ? n - 1 - i : i]!;
    return mkInt(p, v);
  }
  const ordered = little ? bytes.slice().reverse() : bytes;
  return mkInt(p, BigInt('0x' + (Buffer.from(ordered.buffer, ordered.byteOffset, n).toString('hex') || '0')));
}

const atomBig = (p: Process): Term => p.atoms.intern('big');

defineBifs('binary', 'nif', {
  'compile_pattern/1': compilePattern,
  'match/2': (p, a) => matchN(p, a[0]!, a[1]!, NIL),
  'match/3': (p, a) => matchN(p, a[0]!, a[1]!, a[2]!),
  'matches/2': (p, a) => matchesN(p, a[0]!, a[1]!, NIL),
  'matches/3': (p, a) => matchesN(p, a[0]!, a[1]!, a[2]!),
  'split/2': (p, a) => splitN(p, a[0]!, a[1]!, NIL),
  'split/3': (p, a) => splitN(p, a[0]!, a[1]!, a[2]!),
  'longest_common_prefix/1': (p, a) => longestCommon(p, a[0]!, false),
  'longest_common_suffix/1': (p, a) => longestCommon(p, a[0]!, true),
  'first/1': (p, a) => firstOrLast(p, a[0]!, false),
  'last/1': (p, a) => firstOrLast(p, a[0]!, true),
  'at/2': at,
  'part/2': (p, a) => {
    const posLen = a[1]!;
    if (!isTuple(p, posLen) || tupleArity(p, posLen) !== 2) throw badarg();
    return part(p, a[0]!, tupleElement(p, posLen, 1), tupleElement(p, posLen, 2));
  },
  'part/3': (p, a) => part(p, a[0]!, a[1]!, a[2]!),
  'list_to_bin/1': listToBin,
  'copy/1': (p, a) => copy(p, a[0]!, makeSmall(1)),
  'copy/2': (p, a) => copy(p, a[0]!, a[1]!),
  'referenced_byte_size/1': referencedByteSize,
  'encode_unsigned/1': (p, a) => encodeUnsigned(p, a[0]!, atomBig(p)),
  'encode_unsigned/2': (p, a) => encodeUnsigned(p, a[0]!, a[1]!),
  'decode_unsigned/1': (p, a) => decodeUnsigned(p, a[0]!, atomBig(p)),
  'decode_unsigned/2': (p, a) => decodeUnsigned(p, a[0]!, a[1]!),
});

