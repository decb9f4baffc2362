/**
 * writeTerm(T): the text of io_lib:format("~w", [T]) (io_lib:write/1) in OTP 25,
 * flattened to a JS string in which each Erlang character is one code point.
 *
 * Checked against the real erl (test/vm/text/write.test.ts). What OTP does, and
 * so what this does:
 *
 *  - Lists never print as strings: "hi" is [104,105]; improper tails as [1|2].
 *  - Binaries as bytes, <<104,105>>; a bitstring ends in Value:Size, <<1,2:3>>.
 *  - Maps: #{k => v,k2 => v2}, in the EMap's stored order.
 *  - Atoms are quoted by io_lib's rules: quotes unless the name starts with a
 *    latin-1 lowercase letter and goes on with latin-1 letters, digits, _ and @,
 *    and is not a reserved word (OTP 25 does not count maybe/else, whose feature
 *    is off by default). Inside quotes: \' \\ \b \t \n \v \f \r \e \d, other
 *    control characters as three octal digits (\001, \237), latin-1 printable
 *    characters as they are, and anything above 255 as \x{HEX}.
 *  - Pids, ports, refs and funs are printed by the emulator itself
 *    (pid_to_list & co.), which has its own rules:
 *      <0.Id.Serial>, #Port<0.Id>, #Ref<0.W2.W1.W0> (id words most significant
 *      first; a ref of the running node, same creation, always shows three
 *      words, zero-padded in front; any other ref shows the words it has),
 *      fun M:F/A, #Fun<M.OldIndex.OldUniq> (OldUniq as a signed 32-bit number).
 *    In "fun M:F/A" the emulator quotes atoms differently: reserved words are
 *    not quoted, '@' forces quotes, DEL is not escaped, other control
 *    characters are octal (ESC is \033), and characters are emitted as their
 *    UTF-8 BYTES, each byte becoming one character of the result (so
 *    fun 'ß':f/0 prints as "fun Ã\x9F:f/0" in JS terms, which is exactly the
 *    list io_lib returns). The module of a #Fun<...> is written unquoted, as
 *    UTF-8 bytes too.
 *  - Node numbers: erl prints 0 for the local node and, for other nodes, the
 *    number of its internal dist-table entry. Here the local node is
 *    'nonode@nohost' (override with WriteOptions.nodeIndex) and other nodes get
 *    1, 2, 3, ... in the order this module first prints them.
 *
 * The writer keeps its own stack, so depth and length are bounded by memory
 * only (100000 nested tuples, lists of ten million elements).
 */
import {
  Atom,
  Bitstring,
  EMap,
  ExportFun,
  ImproperList,
  LocalFun,
  Pid,
  Port,
  Ref,
  Tuple,
  type ETerm,
} from '../../loader/eterm.js';
import { formatShortFloat } from './float.js';

export interface WriteOptions {
  /**
   * The number printed first in a pid, port or ref of this node: 0 means the
   * local node. Default: defaultNodeIndex.
   */
  nodeIndex?: (node: Atom) => number;
  /**
   * The creation of the running local node (0, the default, when it is not
   * distributed). A ref of the local node with another creation belongs to an
   * earlier incarnation: erl prints its words as they are instead of padding
   * them to three.
   */
  localCreation?: number;
}

const NONODE = Atom.of('nonode@nohost');
const remoteNodes = new Map<Atom, number>();

/** 0 for 'nonode@nohost'; other nodes 1, 2, ... in order of first use (stable for the process). */
export function defaultNodeIndex(node: Atom): number {
  if (node === NONODE) return 0;
  let n = remoteNodes.get(node);
  if (n === undefined) {
    n = remoteNodes.size + 1;
    remoteNodes.set(node, n);
  }
  return n;
}

// ---------------------------------------------------------------- atoms (io_lib)

/** erl_scan:reserved_word/1 in OTP 25 with default features. */
const RESERVED = new Set([
  'after', 'and', 'andalso', 'band', 'begin', 'bnot', 'bor', 'bsl', 'bsr', 'bxor', 'case', 'catch', 'cond',
  'div', 'end', 'fun', 'if', 'let', 'not', 'of', 'or', 'orelse', 'receive', 'rem', 'try', 'when', 'xor',
]);

/** Latin-1 lowercase: a-z, ß..ÿ except ÷. */
const isLower = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
/** Latin-1 uppercase: A-Z, À..Þ except ×. */
const isUpper = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

function bareOk(cps: number[], nameChar: (c: number) => boolean): boolean {
  if (cps.length === 0 || !isLower(cps[0]!)) return false;
  for (let i = 1; i < cps.length; i++) if (!nameChar(cps[i]!)) return false;
  return true;
}

const octal3 = (c: number): string => '\\' + c.toString(8).padStart(3, '0');

function ioLibAtom(name: string): string {
  const cps = codePoints(name);
  if (bareOk(cps, (c) => isLower(c) || isUpper(c) || isDigit(c) || c === 0x5f || c === 0x40) && !RESERVED.has(name)) {
    return name;
  }
  let s = "'";
  for (const c of cps) {
    if (c === 0x27) s += "\\'";
    else if (c === 0x5c) s += '\\\\';
    else if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff)) s += String.fromCharCode(c);
    else if (c > 0xff) s += '\\x{' + c.toString(16).toUpperCase() + '}';
    else s += IO_LIB_ESCAPES.get(c) ?? octal3(c);
  }
  return s + "'";
}

const IO_LIB_ESCAPES = new Map<number, string>([
  [8, '\\b'], [9, '\\t'], [10, '\\n'], [11, '\\v'], [12, '\\f'], [13, '\\r'], [27, '\\e'], [127, '\\d'],
]);

// ---------------------------------------------------------------- atoms (emulator)

const ERTS_ESCAPES = new Map<number, string>([
  [8, '\\b'], [9, '\\t'], [10, '\\n'], [11, '\\v'], [12, '\\f'], [13, '\\r'],
]);

/** UTF-8 bytes of s, one character per byte. */
const utf8Bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** An atom as the emulator's term printer writes it (used in "fun M:F/A"). */
function ertsAtom(name: string): string {
  const cps = codePoints(name);
  if (bareOk(cps, (c) => isLower(c) || isUpper(c) || isDigit(c) || c === 0x5f)) return utf8Bytes(name);
  let s = "'";
  for (const c of cps) {
    if (c === 0x27) s += "\\'";
    else if (c === 0x5c) s += '\\\\';
    else if (c < 0x20 || (c >= 0x80 && c < 0xa0)) s += ERTS_ESCAPES.get(c) ?? octal3(c);
    else s += utf8Bytes(String.fromCodePoint(c));
  }
  return s + "'";
}

const atomCache = new Map<Atom, string>();

/** An atom as io_lib:write_atom/1 writes it (quoted when needed). */
export function writeAtom(a: Atom): string {
  let s = atomCache.get(a);
  if (s === undefined) {
    s = ioLibAtom(a.name);
    atomCache.set(a, s);
  }
  return s;
}

// ---------------------------------------------------------------- terms

function bitstringText(b: Bitstring): string {
  const full = b.bitLength >>> 3;
  const rest = b.bitLength & 7;
  const parts: string[] = [];
  for (let i = 0; i < full; i++) parts.push(String(b.bytes[i]));
  if (rest > 0) parts.push(`${b.bytes[full]! >>> (8 - rest)}:${rest}`);
  return '<<' + parts.join(',') + '>>';
}

function refText(r: Ref, index: number, localCreation: number): string {
  const words = r.ids.map((w) => String(w >>> 0));
  // A ref of this very node always has three words: the missing high ones print as 0.
  if (index === 0 && r.creation === localCreation) while (words.length < 3) words.push('0');
  return `#Ref<${index}.${words.reverse().join('.')}>`;
}

/** A list, or a tuple, being written: items[i] is next. */
class SeqFrame {
  first = true;
  i = 0;
  constructor(
    public items: ETerm[],
    public tail: ETerm | undefined,
    readonly close: string,
  ) {}
}

/** A map being written: entry i is next. */
class MapFrame {
  i = 0;
  constructor(readonly map: EMap) {}
}

/** A term still to be written (pushed after the text that follows it). */
class Pending {
  constructor(readonly term: ETerm) {}
}

type Task = SeqFrame | MapFrame | Pending | string;

/** Accumulates text in chunks so that very long outputs stay cheap. */
class Out {
  private chunks: string[] = [];
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

/** io_lib:format("~w", [T]) as a JS string. */
export function writeTerm(t: ETerm, opts: WriteOptions = {}): string {
  const nodeIndex = opts.nodeIndex ?? defaultNodeIndex;
  const localCreation = opts.localCreation ?? 0;
  const out = new Out();
  const stack: Task[] = [];

  // Writes a term that has no parts, or opens a frame for one that has.
  const start = (t: ETerm): void => {
    if (typeof t === 'bigint') out.add(t.toString());
    else if (typeof t === 'number') out.add(formatShortFloat(t));
    else if (t instanceof Atom) out.add(writeAtom(t));
    else if (Array.isArray(t)) {
      out.add('[');
      stack.push(new SeqFrame(t, undefined, ']'));
    } else if (t instanceof Tuple) {
      out.add('{');
      stack.push(new SeqFrame(t.elements, undefined, '}'));
    } else if (t instanceof ImproperList) {
      out.add('[');
      stack.push(new SeqFrame(t.items, t.tail, ']'));
    } else if (t instanceof EMap) {
      out.add('#{');
      stack.push(new MapFrame(t));
    } else if (t instanceof Bitstring) out.add(bitstringText(t));
    else if (t instanceof Pid) out.add(`<${nodeIndex(t.node)}.${t.id}.${t.serial}>`);
    else if (t instanceof Port) out.add(`#Port<${nodeIndex(t.node)}.${t.id}>`);
    else if (t instanceof Ref) out.add(refText(t, nodeIndex(t.node), localCreation));
    else if (t instanceof ExportFun) out.add(`fun ${ertsAtom(t.module.name)}:${ertsAtom(t.name.name)}/${t.arity}`);
    else if (t instanceof LocalFun) out.add(`#Fun<${utf8Bytes(t.module.name)}.${t.oldIndex}.${t.oldUniq | 0}>`);
    else throw new TypeError(`writeTerm: not a term: ${String(t)}`);
  };

  start(t);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (typeof top === 'string') {
      stack.pop();
      out.add(top);
    } else if (top instanceof Pending) {
      stack.pop();
      start(top.term);
    } else if (top instanceof SeqFrame) {
      if (top.i < top.items.length) {
        if (!top.first) out.add(',');
        top.first = false;
        start(top.items[top.i++]!);
        continue;
      }
      // Items done: a tail that is itself a list just continues the list.
      const tail = top.tail;
      if (Array.isArray(tail) && tail.length > 0) {
        top.items = tail;
        top.i = 0;
        top.tail = undefined;
      } else if (tail instanceof ImproperList) {
        top.items = tail.items;
        top.i = 0;
        top.tail = tail.tail;
      } else {
        stack.pop();
        if (tail === undefined || (Array.isArray(tail) && tail.length === 0)) {
          out.add(top.close);
        } else {
          out.add('|');
          stack.push(top.close);
          start(tail);
        }
      }
    } else {
      const m = top.map;
      if (top.i < m.keys.length) {
        const i = top.i++;
        if (i > 0) out.add(',');
        stack.push(new Pending(m.values[i]!), ' => ');
        start(m.keys[i]!);
      } else {
        stack.pop();
        out.add('}');
      }
    }
  }
  return out.done();
}
