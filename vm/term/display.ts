/**
 * erlang:display/1: the text the emulator's own term printer (OTP 25's
 * erl_printf_term.c) writes for a term in shared memory, without the
 * trailing newline.
 *
 * The printer writes bytes, and not in one encoding: atoms come out as their
 * UTF-8 bytes, list "strings" as one Latin-1 byte per character. So the
 * result is a string of byte values: every character is one output byte
 * (0..255); Buffer.from(text, 'latin1') gives exactly what erl writes.
 *
 * What it prints, checked against erl (test/vm/term/display.test.ts):
 *  - integers in decimal; floats as C's "%.6e" (1.000000e+00, -0.000000e+00);
 *  - atoms quoted unless they start with a Latin-1 lowercase letter and go on
 *    with Latin-1 letters, digits and _ (so '@' needs quotes but reserved
 *    words do not); inside, \' \\ \n \f \t \r \b \v, other control characters
 *    (and U+0080..U+009F) as three octal digits, DEL and everything else raw;
 *  - a non-empty proper list of Latin-1 characters that are not control
 *    characters (space, \n, \t, \r allowed) as "...", escaping only " and \n;
 *    any other list as [a,b|c];
 *  - a binary of printable ASCII (32..126) as <<"...">> (escaping only "),
 *    else <<1,2,3>>; a bitstring ends in Value:Bits, <<1,2:3>>;
 *  - maps of up to 32 keys as #{k=>v,...}; a bigger map shows its HAMT:
 *    #<bitmap>{...} for the head, <bitmap>{...} for inner nodes, bitmaps in
 *    lowercase hex, leaves as the [Key|Value] cells they are (so a leaf whose
 *    value is a list prints as a longer list, [k,1,2]);
 *  - <N.Number.Serial>, #Port<N.Number>, #Ref<N.Id...> (id words most
 *    significant first), fun M:F/A, #Fun<M.OldIndex.OldUniq> (signed).
 *    N is 0 for this node; for another node OTP prints the index of the
 *    node name's atom in its atom table, and so does this (our atom table's
 *    index), unless DisplayOptions.nodeNumber says otherwise.
 *
 * The printer keeps its own stack: 100000 nested tuples or a list of ten
 * million elements print without touching the JS call stack.
 */
import { floatToListOpts } from '../text/float.js';
import { commonAtom } from './atoms.js';
import { binaryBytes, bignumValue, floatValue, hamtChildCount, isHamtNodeHeader, mapEntries } from './build.js';
import type { TermContext } from './heap.js';
import {
  MAP_KIND_FLAT,
  SUB_EXPORT,
  SUB_EXTERNAL_PID,
  SUB_EXTERNAL_PORT,
  SUB_EXTERNAL_REF,
  SUB_FLOAT,
  SUB_FUN,
  SUB_HEAP_BINARY,
  SUB_MAP,
  SUB_MATCH_STATE,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  SUB_REF,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  SUB_TUPLE,
  atomVal,
  headerArity,
  headerSubtag,
  isAtom,
  isBoxed,
  isList,
  isLocalPid,
  isLocalPort,
  isNil,
  isSmall,
  mapHeaderKind,
  mapHeaderVal,
  pidNumber,
  pidSerial,
  portNumber,
  ptrVal,
  smallVal,
  type Term,
} from './tags.js';

export interface DisplayOptions {
  /**
   * The number printed first in a pid, port or ref of the node whose name is
   * this atom term. Default: 0 for 'nonode@nohost' (this node), else the
   * atom's index in the atom table, which is what OTP prints.
   */
  nodeNumber?: (node: Term) => number;
}

const NONODE = commonAtom('nonode@nohost');

// Stack operations, as erl_printf_term.c has them. TERM and ONE_CONS sit on
// top of the term they apply to; ARRAY on top of (address, count).
const OP_BAR = 0;
const OP_COMMA = 1;
const OP_CLOSE_LIST = 2;
const OP_CLOSE_TUPLE = 3;
const OP_ASSOC = 4;
const OP_TERM = 5;
const OP_ONE_CONS = 6;
const OP_ARRAY = 7;

/** Latin-1 lowercase, as the printer's IS_LOWER. */
const isLower = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
const isUpper = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || isLower(c) || isUpper(c);
/** IS_CNTRL && !IS_SPACE: the characters that stop a list from printing as a string. */
const notInString = (c: number): boolean =>
  (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) && c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d;

const octal3 = (c: number): string => '\\' + c.toString(8).padStart(3, '0');

const ATOM_ESCAPES = new Map<number, string>([
  [0x27, "\\'"], [0x5c, '\\\\'], [0x0a, '\\n'], [0x0c, '\\f'], [0x09, '\\t'], [0x0d, '\\r'], [0x08, '\\b'], [0x0b, '\\v'],
]);

/** An atom as the emulator prints it, from its UTF-8 bytes. */
export function displayAtomText(utf8: Uint8Array): string {
  const n = utf8.length;
  if (n === 0) return "''";
  const cps = Array.from(new TextDecoder().decode(utf8), (ch) => ch.codePointAt(0)!);
  let quote = !isLower(cps[0]!);
  for (let i = 1; i < cps.length && !quote; i++) if (!isAlnum(cps[i]!) && cps[i] !== 0x5f) quote = true;
  let s = quote ? "'" : '';
  for (let i = 0; i < n; i++) {
    const c = utf8[i]!;
    const esc = ATOM_ESCAPES.get(c);
    if (esc !== undefined) s += esc;
    else if (c < 0x20) s += octal3(c);
    else if (c < 0x80) s += String.fromCharCode(c);
    else if (c === 0xc2 && utf8[i + 1]! < 0xa0) {
      // U+0080..U+009F, the Latin-1 control characters: the code point in octal.
      s += octal3(utf8[++i]!);
    } else {
      const len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      for (let k = 0; k < len; k++) s += String.fromCharCode(utf8[i + k]!);
      i += len - 1;
    }
  }
  return quote ? s + "'" : s;
}

/** Text in chunks, so that very long outputs stay cheap. */
class Out {
  private readonly chunks: string[] = [];
  private cur = '';
  add(s: string): void {
    this.cur += s;
    if (this.cur.length > 1 << 14) {
      this.chunks.push(this.cur);
      this.cur = '';
    }
  }
  done(): string {
    this.chunks.push(this.cur);
    return this.chunks.join('');
  }
}

/** What erlang:display(T) writes, minus the newline, one character per byte. */
export function displayText(ctx: TermContext, t: Term, opts: DisplayOptions = {}): string {
  ctx.mem.refresh();
  const w = ctx.mem.i32;
  const out = new Out();
  const atomTexts = new Map<Term, string>();
  const atomText = (a: Term): string => {
    let s = atomTexts.get(a);
    if (s === undefined) atomTexts.set(a, (s = displayAtomText(ctx.atoms.utf8(a))));
    return s;
  };
  const nodeNumber = opts.nodeNumber ?? ((node: Term) => (node === NONODE ? 0 : atomVal(node)));
  const stack: number[] = [];

  /** A cons: its head now (pushed as a term), then the rest of the list. */
  const oneCons = (cons: Term): void => {
    const c = ptrVal(cons);
    const tail = w[c + 1]!;
    if (!isNil(tail)) {
      if (isList(tail)) stack.push(tail, OP_ONE_CONS, OP_COMMA);
      else stack.push(tail, OP_TERM, OP_BAR);
    }
    stack.push(w[c]!, OP_TERM);
  };

  const printableString = (list: Term): boolean => {
    let x = list;
    while (isList(x)) {
      const c = ptrVal(x);
      const hd = w[c]!;
      if (!isSmall(hd)) return false;
      const v = smallVal(hd);
      if (v < 0 || v > 255 || notInString(v)) return false;
      x = w[c + 1]!;
    }
    return isNil(x);
  };

  const printString = (list: Term): void => {
    let s = '"';
    let x = list;
    while (isList(x)) {
      const c = ptrVal(x);
      const ch = smallVal(w[c]!);
      s += ch === 0x0a ? '\\n' : ch === 0x22 ? '\\"' : String.fromCharCode(ch);
      if (s.length > 1 << 14) {
        out.add(s);
        s = '';
      }
      x = w[c + 1]!;
    }
    out.add(s + '"');
  };

  const printBinary = (x: Term): void => {
    const { bytes, bitLength } = binaryBytes(ctx, x);
    const size = bitLength >>> 3;
    const bits = bitLength & 7;
    let printable = bits === 0 && size > 0;
    for (let i = 0; i < size && printable; i++) if (bytes[i]! < 0x20 || bytes[i]! >= 0x7f) printable = false;
    if (printable) {
      let s = '<<"';
      for (let i = 0; i < size; i++) s += bytes[i] === 0x22 ? '\\"' : String.fromCharCode(bytes[i]!);
      out.add(s + '">>');
      return;
    }
    const parts: string[] = [];
    for (let i = 0; i < size; i++) parts.push(String(bytes[i]));
    if (bits > 0) parts.push(`${bytes[size]! >>> (8 - bits)}:${bits}`);
    out.add('<<' + parts.join(',') + '>>');
  };

  const refWords = (from: number, count: number): string => {
    let s = '';
    for (let i = count - 1; i >= 0; i--) s += '.' + (w[from + i]! >>> 0);
    return s;
  };

  const print = (x: Term): void => {
    if (isNil(x)) out.add('[]');
    else if (isAtom(x)) out.add(atomText(x));
    else if (isSmall(x)) out.add(String(smallVal(x)));
    else if (isList(x)) {
      if (printableString(x)) printString(x);
      else {
        out.add('[');
        stack.push(OP_CLOSE_LIST);
        oneCons(x);
      }
    } else if (isLocalPid(x)) out.add(`<0.${pidNumber(x)}.${pidSerial(x)}>`);
    else if (isLocalPort(x)) out.add(`#Port<0.${portNumber(x)}>`);
    else if (isBoxed(x)) {
      const p = ptrVal(x);
      const hdr = w[p]!;
      switch (headerSubtag(hdr)) {
        case SUB_TUPLE: {
          const n = headerArity(hdr);
          out.add('{');
          stack.push(OP_CLOSE_TUPLE);
          if (n > 0) stack.push(p + 1, n, OP_ARRAY);
          break;
        }
        case SUB_POS_BIG:
        case SUB_NEG_BIG:
          out.add(bignumValue(ctx, x).toString());
          break;
        case SUB_FLOAT:
          out.add(floatToListOpts(floatValue(ctx, x), { scientific: 6 }));
          break;
        case SUB_REF:
          out.add(`#Ref<0${refWords(p + 1, headerArity(hdr))}>`);
          break;
        case SUB_EXTERNAL_REF:
          out.add(`#Ref<${nodeNumber(w[p + 1]!)}${refWords(p + 3, headerArity(hdr) - 2)}>`);
          break;
        case SUB_EXTERNAL_PID:
          out.add(`<${nodeNumber(w[p + 1]!)}.${w[p + 3]! >>> 0}.${w[p + 4]! >>> 0}>`);
          break;
        case SUB_EXTERNAL_PORT: {
          const id = (BigInt(w[p + 4]! >>> 0) << 32n) | BigInt(w[p + 3]! >>> 0);
          out.add(`#Port<${nodeNumber(w[p + 1]!)}.${id}>`);
          break;
        }
        case SUB_EXPORT:
          out.add(`fun ${atomText(w[p + 1]!)}:${atomText(w[p + 2]!)}/${smallVal(w[p + 3]!)}`);
          break;
        case SUB_FUN: {
          // The module's name goes out as its bytes, never quoted.
          const name = ctx.atoms.utf8(w[p + 1]!);
          let m = '';
          for (let i = 0; i < name.length; i++) m += String.fromCharCode(name[i]!);
          out.add(`#Fun<${m}.${w[p + 3]! | 0}.${w[p + 4]! | 0}>`);
          break;
        }
        case SUB_HEAP_BINARY:
        case SUB_REFC_BINARY:
        case SUB_SUB_BINARY:
          printBinary(x);
          break;
        case SUB_MAP: {
          const kind = mapHeaderKind(hdr);
          if (kind === MAP_KIND_FLAT) {
            const entries = mapEntries(ctx, x);
            out.add('#{');
            stack.push(OP_CLOSE_TUPLE);
            for (let i = entries.length - 1; i >= 0; i--) {
              const [k, v] = entries[i]!;
              // Pushed last to first; the comma on top of each entry but the first prints before it.
              stack.push(v, OP_TERM, OP_ASSOC, k, OP_TERM);
              if (i > 0) stack.push(OP_COMMA);
            }
          } else {
            const bitmap = mapHeaderVal(hdr);
            const node = isHamtNodeHeader(hdr);
            out.add(`${node ? '' : '#'}<${bitmap.toString(16)}>{`);
            stack.push(OP_CLOSE_TUPLE);
            const n = hamtChildCount(hdr);
            if (n > 0) stack.push(node ? p + 1 : p + 2, n, OP_ARRAY);
          }
          break;
        }
        case SUB_MATCH_STATE:
          out.add('#MatchState');
          break;
        default:
          out.add(`<unknown:0x${(x >>> 0).toString(16)}>`);
      }
    } else {
      out.add(`<unknown:0x${(x >>> 0).toString(16)}>`);
    }
  };

  print(t);
  while (stack.length > 0) {
    const op = stack.pop()!;
    switch (op) {
      case OP_BAR:
        out.add('|');
        break;
      case OP_COMMA:
        out.add(',');
        break;
      case OP_CLOSE_LIST:
        out.add(']');
        break;
      case OP_CLOSE_TUPLE:
        out.add('}');
        break;
      case OP_ASSOC:
        out.add('=>');
        break;
      case OP_TERM:
        print(stack.pop()!);
        break;
      case OP_ONE_CONS:
        oneCons(stack.pop()!);
        break;
      case OP_ARRAY: {
        const n = stack.pop()!;
        const at = stack.pop()!;
        if (n > 1) stack.push(at + 1, n - 1, OP_ARRAY, OP_COMMA);
        print(w[at]!);
        break;
      }
      default:
        throw new Error(`displayText: bad stack operation ${op}`);
    }
  }
  return out.done();
}
