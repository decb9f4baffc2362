/**
 * The native functions of `unicode`: characters_to_binary/2,
 * characters_to_list/2 and bin_is_7bit/1 (BIFs of the real VM, in
 * erl_unicode.c). Everything else in unicode.erl (characters_to_binary/1,3,
 * characters_to_list/1, the normalization functions, bom_to_encoding, ...)
 * is Erlang code and runs as such; unicode_util has no native functions.
 *
 * Two paths, as in the real VM:
 *  - latin1, unicode and utf8 input is converted by the C code. Its results
 *    have a precise shape that we reproduce: the data is checked first
 *    (anything but characters, binaries and lists is badarg, wherever it is,
 *    unless an integer too big for a 64-bit small comes first: that stops
 *    the check), then converted; at the first bad character the result is
 *    {error, Converted, Rest} where Rest is the unconverted remainder, built
 *    from the list cells still to be visited. A binary ending in the middle
 *    of a UTF-8 sequence carries its bytes over to the next binary; if the
 *    data ends there the result is {incomplete, Converted, Bytes}.
 *  - Any other encoding makes the real BIF trap to Erlang code in unicode.erl
 *    (characters_to_binary_int/2, characters_to_list_int/2: ml_map, the
 *    i_trans decoders and cbv). We run the same algorithm natively, with the
 *    same results, including its 8192-byte chunking of binaries, which shows
 *    in the shape of Rest.
 *
 * The real BIFs trap when they run out of reductions and resume on the rest
 * of the data; we convert in one go. The results are the same (the tests
 * check inputs long enough to trap several times).
 */
import { defineBifs } from './registry.js';
import { bytesOf, subBinary } from './binary.js';
import { small64Value } from './lists.js';
import type { Process } from '../vm/process.js';
import { badarg } from '../vm/errors.js';
import { ATOM_FALSE, ATOM_TRUE, commonAtom } from '../vm/term/atoms.js';
import {
  intValue,
  isBinary,
  isBitstring,
  isInteger,
  isTuple,
  mkBinary,
  mkCons,
  mkIntList,
  mkTuple3,
  tupleArity,
  tupleElement,
} from '../vm/term/make.js';
import { NIL, type Term, isList, ptrVal } from '../vm/term/tags.js';

// ---------------------------------------------------------------- output buffer

/** A growable byte buffer for the UTF-8 being produced. */
class ByteSink {
  bytes = new Uint8Array(64);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  byte(b: number): void {
    this.room(1);
    this.bytes[this.length++] = b;
  }

  append(src: Uint8Array): void {
    this.room(src.length);
    this.bytes.set(src, this.length);
    this.length += src.length;
  }

  /** Appends a code point as UTF-8 (the caller has checked it is encodable). */
  codePoint(c: number): void {
    this.room(4);
    const b = this.bytes;
    if (c < 0x80) b[this.length++] = c;
    else if (c < 0x800) {
      b[this.length++] = 0xc0 | (c >> 6);
      b[this.length++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      b[this.length++] = 0xe0 | (c >> 12);
      b[this.length++] = 0x80 | ((c >> 6) & 0x3f);
      b[this.length++] = 0x80 | (c & 0x3f);
    } else {
      b[this.length++] = 0xf0 | (c >> 18);
      b[this.length++] = 0x80 | ((c >> 12) & 0x3f);
      b[this.length++] = 0x80 | ((c >> 6) & 0x3f);
      b[this.length++] = 0x80 | (c & 0x3f);
    }
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** A code point that can be written as UTF-8 (not a surrogate, not beyond U+10FFFF). */
const encodable = (c: number): boolean => c >= 0 && c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);

/** The code points of well-formed UTF-8. */
function decodeUtf8(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out.push(b);
      i += 1;
    } else if (b < 0xe0) {
      out.push(((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 2;
    } else if (b < 0xf0) {
      out.push(((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 3;
    } else {
      out.push(((b & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f));
      i += 4;
    }
  }
  return out;
}

const isCont = (b: number): boolean => (b & 0xc0) === 0x80;

/** Length of the UTF-8 sequence a lead byte starts (1..4), or 0 for a byte that starts none. */
function seqLength(b: number): number {
  if ((b & 0x80) === 0) return 1;
  if ((b & 0xe0) === 0xc0) return 2;
  if ((b & 0xf0) === 0xe0) return 3;
  if ((b & 0xf8) === 0xf0) return 4;
  return 0;
}

/**
 * Whether a complete sequence of `seqLength(s[at])` bytes at `at` is valid:
 * continuation bytes, no overlong forms, no surrogates, nothing past U+10FFFF.
 */
function validSequence(s: Uint8Array, at: number, n: number): boolean {
  const b0 = s[at]!;
  switch (n) {
    case 1:
      return true;
    case 2:
      return isCont(s[at + 1]!) && b0 >= 0xc2;
    case 3: {
      const b1 = s[at + 1]!;
      if (!isCont(b1) || !isCont(s[at + 2]!) || (b0 === 0xe0 && b1 < 0xa0)) return false;
      return !((b0 & 0x0f) === 0x0d && (b1 & 0x20) !== 0);
    }
    case 4: {
      const b1 = s[at + 1]!;
      if (!isCont(b1) || !isCont(s[at + 2]!) || !isCont(s[at + 3]!) || (b0 === 0xf0 && b1 < 0x90)) return false;
      return !((b0 & 0x07) > 4 || ((b0 & 0x07) === 4 && (b1 & 0x3f) > 0x0f));
    }
    default:
      return false;
  }
}

/**
 * Whether the bytes left over at the very end (a sequence cut short) could
 * still become a character: incomplete rather than an error.
 */
function couldComplete(s: Uint8Array): boolean {
  const b0 = s[0]!;
  const n = s.length;
  if ((b0 & 0xe0) === 0xc0) return true;
  if ((b0 & 0xf0) === 0xe0) return n < 2 || (n < 3 && isCont(s[1]!));
  if ((b0 & 0xf8) === 0xf0) {
    return n < 2 || (n < 3 && isCont(s[1]!)) || (n < 4 && isCont(s[1]!) && isCont(s[2]!));
  }
  return false;
}

// ---------------------------------------------------------------- the C path (latin1, unicode, utf8)

/** A 60-bit integer term (a small of the 64-bit VM), or a big one. */
function isSmall64(p: Process, t: Term): boolean {
  return small64Value(p, t) !== undefined;
}

/**
 * The real VM's check before converting: false (badarg) if the data holds
 * anything but characters, binaries (whole bytes) and lists, or ends in
 * something other than [] or a binary. An integer too big for a 64-bit
 * small ends the check early, successfully (the conversion will stop there).
 */
function dataIsWellFormed(p: Process, t: Term): boolean {
  if (t === NIL) return true;
  if (isBitstring(p, t)) return isBinary(p, t);
  if (!isList(t)) return false;
  const w = p.mem.i32;
  const stack: Term[] = [t];
  while (stack.length > 0) {
    let cur = stack.pop()!;
    while (isList(cur)) {
      const head = w[ptrVal(cur)]!;
      const tail = w[ptrVal(cur) + 1]!;
      if (isInteger(p, head)) {
        if (!isSmall64(p, head)) return true;
      } else if (isList(head)) {
        stack.push(tail);
        cur = head;
        continue;
      } else if (isBitstring(p, head)) {
        if (!isBinary(p, head)) return false;
      } else if (head !== NIL) return false;
      cur = tail;
    }
    if (cur !== NIL && !isBinary(p, cur)) return false;
  }
  return true;
}

/** The conversion state of the C path. */
class Converter {
  readonly out = new ByteSink();
  /** Bytes of a UTF-8 sequence cut at the end of a binary, waiting for the next one. */
  leftover: Uint8Array = new Uint8Array(0);
  failed = false;

  constructor(
    private readonly p: Process,
    private readonly latin1: boolean,
  ) {}

  /**
   * Converts a binary; on an error, returns the unconverted rest (a
   * sub-binary from the bad byte, or the whole binary when the bytes carried
   * over from the previous binary cannot be completed) and sets `failed`.
   */
  private binary(t: Term): Term {
    const p = this.p;
    if (!isBinary(p, t)) {
      this.failed = true;
      return t;
    }
    const src = bytesOf(p, t);
    const size = src.length;
    if (this.latin1) {
      for (let i = 0; i < size; i++) this.out.codePoint(src[i]!);
      return NIL;
    }
    let i = 0;
    if (this.leftover.length > 0) {
      const need = seqLength(this.leftover[0]!);
      const more = need - this.leftover.length;
      if (size < more) {
        this.leftover = concat(this.leftover, src);
        return NIL;
      }
      const seq = concat(this.leftover, src.subarray(0, more));
      if (!validSequence(seq, 0, need)) {
        this.failed = true;
        return t;
      }
      this.out.append(seq);
      this.leftover = new Uint8Array(0);
      i = more;
    }
    while (i < size) {
      const n = seqLength(src[i]!);
      if (n > 1 && size - i < n) {
        this.leftover = src.slice(i);
        return NIL;
      }
      if (n === 0 || !validSequence(src, i, n)) {
        this.failed = true;
        return subBinary(p, t, i, size - i);
      }
      for (let k = 0; k < n; k++) this.out.byte(src[i + k]!);
      i += n;
    }
    return NIL;
  }

  /** Converts one list element that is an integer; false when it cannot be. */
  private char(t: Term): boolean {
    if (this.leftover.length > 0) return false;
    const v = intValue(this.p, t)!;
    if (typeof v !== 'number' || !encodable(v) || (this.latin1 && v > 255)) return false;
    this.out.codePoint(v);
    return true;
  }

  /**
   * Converts the data and returns what is left when it stops at an error
   * ([] when it converted everything): the rest of the innermost list from
   * the bad element on, inside the rests of the lists around it.
   */
  run(data: Term): Term {
    const p = this.p;
    if (data === NIL) return NIL;
    if (!isList(data)) return this.binary(data);
    const w = p.mem.i32;
    const stack: Term[] = [data];
    let cur: Term = NIL;
    done: while (stack.length > 0) {
      cur = stack.pop()!;
      while (isList(cur)) {
        const head = w[ptrVal(cur)]!;
        const tail = w[ptrVal(cur) + 1]!;
        if (isInteger(p, head)) {
          if (!this.char(head)) {
            this.failed = true;
            break done;
          }
        } else if (isList(head)) {
          stack.push(tail);
          cur = head;
          continue;
        } else if (head === NIL) {
          // skip
        } else if (isBitstring(p, head)) {
          const rest = this.binary(head);
          if (this.failed) {
            cur = mkCons(p, rest, tail);
            break done;
          }
        } else {
          this.failed = true;
          break done;
        }
        cur = tail;
      }
      if (cur !== NIL) {
        cur = this.binary(cur);
        if (this.failed) break done;
      }
    }
    // Wrap the rest in the rests of the enclosing lists, innermost first.
    while (stack.length > 0) cur = mkCons(p, cur, stack.pop()!);
    return this.failed ? cur : NIL;
  }

  /**
   * The outcome: the result term made by `wrap` from the converted bytes,
   * or {error, Converted, Rest} / {incomplete, Converted, Bytes}.
   */
  result(rest: Term, wrap: (bytes: Uint8Array) => Term): Term {
    const p = this.p;
    const converted = wrap(this.out.view());
    if (this.failed) {
      if (this.leftover.length > 0) rest = mkCons(p, mkBinary(p, this.leftover), mkCons(p, rest, NIL));
      return mkTuple3(p, commonAtom('error'), converted, rest);
    }
    if (this.leftover.length > 0) {
      const tag = couldComplete(this.leftover) ? p.atoms.intern('incomplete') : commonAtom('error');
      return mkTuple3(p, tag, converted, mkBinary(p, this.leftover));
    }
    return converted;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// ---------------------------------------------------------------- the Erlang path (utf16, utf32)

interface Decoder {
  /** Bytes per code unit (2 or 4). */
  unit: number;
  /** Decodes one character at `at`: [code point, bytes] or undefined where the bit syntax match fails. */
  next(s: Uint8Array, at: number): [number, number] | undefined;
  /** unicode.erl's cbv/2: how many bytes could complete the tail `s`, or 0 (false). */
  missing(s: Uint8Array): number;
}

function utf16Decoder(little: boolean): Decoder {
  const u16 = (s: Uint8Array, at: number): number => (little ? s[at]! | (s[at + 1]! << 8) : (s[at]! << 8) | s[at + 1]!);
  return {
    unit: 2,
    next(s, at) {
      if (at + 2 > s.length) return undefined;
      const w1 = u16(s, at);
      if (w1 < 0xd800 || w1 > 0xdfff) return [w1, 2];
      if (w1 > 0xdbff || at + 4 > s.length) return undefined;
      const w2 = u16(s, at + 2);
      if (w2 < 0xdc00 || w2 > 0xdfff) return undefined;
      return [0x10000 + ((w1 - 0xd800) << 10) + (w2 - 0xdc00), 4];
    },
    missing(s) {
      const n = s.length;
      if (little) {
        if (n === 1) return 1;
        if (n === 2 && s[1]! >> 2 === 54) return 2;
        if (n === 3 && s[1]! >> 2 === 54) return 1;
        return 0;
      }
      if (n === 1) return s[0]! <= 215 || s[0]! >= 224 ? 1 : s[0]! >> 2 === 54 ? 3 : 0;
      if (n === 2 && s[0]! >> 2 === 54) return 2;
      if (n === 3 && s[0]! >> 2 === 54 && s[2]! >> 2 === 55) return 1;
      return 0;
    },
  };
}

function utf32Decoder(little: boolean): Decoder {
  return {
    unit: 4,
    next(s, at) {
      if (at + 4 > s.length) return undefined;
      const c = little
        ? (s[at]! | (s[at + 1]! << 8) | (s[at + 2]! << 16) | (s[at + 3]! << 24)) >>> 0
        : ((s[at]! << 24) | (s[at + 1]! << 16) | (s[at + 2]! << 8) | s[at + 3]!) >>> 0;
      return encodable(c) ? [c, 4] : undefined;
    },
    missing(s) {
      const n = s.length;
      // The first clauses that match in unicode.erl's cbv/2, in order.
      const ok3 = (x: number, y: number): boolean => x <= 16 && (x > 0 || y <= 215 || y >= 224);
      if (little) {
        if (n === 1) return 3;
        if (n === 2) return 2;
        if (n === 3) {
          if ((s[0] === 254 || s[0] === 255) && s[1] === 255 && s[2] === 0) return 0;
          return ok3(s[2]!, s[1]!) ? 1 : 0;
        }
        return 0;
      }
      if (n === 1) return s[0] === 0 ? 3 : 0;
      if (n === 2) return s[0] === 0 && s[1]! <= 16 ? 2 : 0;
      if (n === 3) return s[0] === 0 && ok3(s[1]!, s[2]!) ? 1 : 0;
      return 0;
    },
  };
}

/** The decoder for an encoding term other than latin1/unicode/utf8, or undefined (badarg). */
function decoderFor(p: Process, enc: Term): Decoder | undefined {
  const atoms = p.atoms;
  if (enc === atoms.intern('utf16')) return utf16Decoder(false);
  if (enc === atoms.intern('utf32')) return utf32Decoder(false);
  if (!isTuple(p, enc) || tupleArity(p, enc) !== 2) return undefined;
  const kind = tupleElement(p, enc, 1);
  const endian = tupleElement(p, enc, 2);
  const little = endian === atoms.intern('little');
  if (!little && endian !== atoms.intern('big')) return undefined;
  if (kind === atoms.intern('utf16')) return utf16Decoder(little);
  if (kind === atoms.intern('utf32')) return utf32Decoder(little);
  return undefined;
}

/** The chunk size ml_map splits big binaries into. */
const CHUNK = 8192;

/** A list still to be walked: items taken apart already (in order), then a list term. */
interface Level {
  items: Term[];
  tail: Term;
}

/** The term of a level's remaining items: [Items... | Tail]. */
function levelTerm(p: Process, items: readonly Term[], tail: Term): Term {
  let t = tail;
  for (let i = items.length - 1; i >= 0; i--) t = mkCons(p, items[i]!, t);
  return t;
}

type ErlPathResult = { kind: 'ok' } | { kind: 'error'; rest: Term } | { kind: 'incomplete'; rest: Uint8Array };

/**
 * unicode.erl's characters_to_binary_int/3 for a utf16/utf32 input and
 * UTF-8 output: ml_map over the data with the i_trans decoder, written as a
 * loop with an explicit stack of the enclosing lists. Throws badarg where
 * the Erlang code has no matching clause.
 */
function convertViaErlangPath(p: Process, data: Term, dec: Decoder, out: ByteSink): ErlPathResult {
  /** Bytes of a character cut short, and how many more it needs (ml_map's {Incomplete, Missing}). */
  let inc: Uint8Array | undefined;
  let missing = 0;
  const parents: Level[] = [];

  /** An error: the rest at the current level, wrapped in the rests of the enclosing lists. */
  const fail = (rest: Term): ErlPathResult => {
    for (let i = parents.length - 1; i >= 0; i--) rest = mkCons(p, rest, levelTerm(p, parents[i]!.items, parents[i]!.tail));
    return { kind: 'error', rest };
  };

  /**
   * Fun(Part, Accum) of characters_to_binary_int/3 for a binary part: decodes
   * it, appending the characters; returns the undecoded rest on an error.
   */
  const decodePart = (bytes: Uint8Array, part: Term): Term | undefined => {
    let i = 0;
    while (i < bytes.length) {
      const r = dec.next(bytes, i);
      if (r === undefined) break;
      out.codePoint(r[0]);
      i += r[1];
    }
    if (i === bytes.length) return undefined;
    const tail = bytes.subarray(i);
    const need = dec.missing(tail);
    if (need > 0) {
      inc = tail.slice();
      missing = need;
      return undefined;
    }
    return subBinary(p, part, i, bytes.length - i);
  };

  // The top level is the data itself: a list, or a bare binary (handled as a level's tail).
  let level: Level = { items: [], tail: data };

  for (;;) {
    const hasItem = level.items.length > 0 || isList(level.tail);
    if (hasItem) {
      const part = level.items.length > 0 ? level.items[0]! : p.mem.i32[ptrVal(level.tail)]!;
      const consume = (): void => {
        if (level.items.length > 0) level.items.shift();
        else level.tail = p.mem.i32[ptrVal(level.tail) + 1]!;
      };
      if (isInteger(p, part)) {
        if (inc !== undefined) return fail(mkCons(p, mkBinary(p, inc), levelTerm(p, level.items, level.tail)));
        consume();
        const v = intValue(p, part)!;
        if (typeof v !== 'number' || !encodable(v)) return fail(mkCons(p, mkCons(p, part, NIL), levelTerm(p, level.items, level.tail)));
        out.codePoint(v);
      } else if (isBinary(p, part)) {
        consume();
        const bytes = bytesOf(p, part);
        if (inc !== undefined) {
          if (bytes.length >= missing) {
            // The binary completes the cut character: decode the joined bytes, then the rest of the binary.
            const joined = mkBinary(p, concat(inc, bytes.subarray(0, missing)));
            const trailing = subBinary(p, part, missing, bytes.length - missing);
            level.items.unshift(joined, trailing);
            inc = undefined;
          } else {
            inc = concat(inc, bytes);
            missing -= bytes.length;
          }
        } else if (bytes.length > CHUNK) {
          level.items.unshift(subBinary(p, part, 0, CHUNK), subBinary(p, part, CHUNK, bytes.length - CHUNK));
        } else {
          const rest = decodePart(bytes, part);
          if (rest !== undefined) return fail(mkCons(p, rest, levelTerm(p, level.items, level.tail)));
        }
      } else if (isList(part) || part === NIL) {
        consume();
        parents.push(level);
        level = { items: [], tail: part };
      } else throw badarg();
      continue;
    }
    // The level's items are used up: what is left is its tail, [] or a binary (ml_map(Bin, Fun, Accum)).
    const tail = level.tail;
    if (tail !== NIL) {
      if (!isBinary(p, tail)) throw badarg();
      const bytes = bytesOf(p, tail);
      level.tail = NIL;
      if (inc !== undefined) {
        if (bytes.length >= missing) {
          level.items.push(mkBinary(p, inc), tail);
          inc = undefined;
        } else {
          inc = concat(inc, bytes);
          missing -= bytes.length;
        }
        continue;
      }
      if (bytes.length > CHUNK) {
        level.items.push(subBinary(p, tail, 0, CHUNK), subBinary(p, tail, CHUNK, bytes.length - CHUNK));
        continue;
      }
      // A bare binary's error is this level's answer: no [Rest | T] at this level.
      const rest = decodePart(bytes, tail);
      if (rest !== undefined) return fail(rest);
    }
    const parent = parents.pop();
    if (parent === undefined) return inc !== undefined ? { kind: 'incomplete', rest: inc } : { kind: 'ok' };
    level = parent;
  }
}

// ---------------------------------------------------------------- the BIFs

function encodingKind(p: Process, enc: Term): 'latin1' | 'utf8' | 'other' {
  if (enc === p.atoms.intern('latin1')) return 'latin1';
  if (enc === p.atoms.intern('unicode') || enc === p.atoms.intern('utf8')) return 'utf8';
  return 'other';
}

/** characters_to_binary/2 and characters_to_list/2 share everything but the shape of Converted. */
function convert(p: Process, data: Term, enc: Term, wrap: (bytes: Uint8Array) => Term, toBinary: boolean): Term {
  const kind = encodingKind(p, enc);
  if (kind === 'other') {
    const dec = decoderFor(p, enc);
    if (dec === undefined) throw badarg();
    const out = new ByteSink();
    const r = convertViaErlangPath(p, data, dec, out);
    const converted = wrap(out.view());
    if (r.kind === 'ok') return converted;
    if (r.kind === 'error') return mkTuple3(p, commonAtom('error'), converted, r.rest);
    return mkTuple3(p, p.atoms.intern('incomplete'), converted, mkBinary(p, r.rest));
  }
  const latin1 = kind === 'latin1';
  // characters_to_binary looks through a list holding just one binary.
  let subject = data;
  if (toBinary && isList(data)) {
    const w = p.mem.i32;
    const head = w[ptrVal(data)]!;
    if (isBitstring(p, head) && w[ptrVal(data) + 1] === NIL) subject = head;
  }
  if (!dataIsWellFormed(p, subject)) throw badarg();
  if (toBinary && isBinary(p, subject) && alreadyConverted(p, subject, latin1)) return subject;
  const c = new Converter(p, latin1);
  const rest = c.run(subject);
  return c.result(rest, wrap);
}

/** A binary that characters_to_binary would return unchanged: 7-bit for latin1, valid UTF-8 otherwise. */
function alreadyConverted(p: Process, t: Term, latin1: boolean): boolean {
  const s = bytesOf(p, t);
  if (latin1) return s.every((b) => b < 0x80);
  for (let i = 0; i < s.length; ) {
    const n = seqLength(s[i]!);
    if (n === 0 || i + n > s.length || !validSequence(s, i, n)) return false;
    i += n;
  }
  return true;
}

function charactersToBinary(p: Process, args: Term[]): Term {
  return convert(p, args[0]!, args[1]!, (bytes) => mkBinary(p, bytes), true);
}

function charactersToList(p: Process, args: Term[]): Term {
  return convert(p, args[0]!, args[1]!, (bytes) => mkIntList(p, decodeUtf8(bytes)), false);
}

function binIs7bit(p: Process, args: Term[]): Term {
  const t = args[0]!;
  if (!isBinary(p, t)) return ATOM_FALSE;
  return bytesOf(p, t).every((b) => b < 0x80) ? ATOM_TRUE : ATOM_FALSE;
}

defineBifs('unicode', 'nif', {
  'characters_to_binary/2': charactersToBinary,
  'characters_to_list/2': charactersToList,
  'bin_is_7bit/1': binIs7bit,
});

