/**
 * Erlang terms as the embedding API (vm/api.ts) hands them to JavaScript and
 * takes them back. The mapping is lossless from Erlang to JS and back: every
 * term comes out as exactly one JS value, and that value goes back in as the
 * same term.
 *
 *   Erlang                    JavaScript (out of the VM, and back in)
 *   integer                   number when within Number.MIN_SAFE_INTEGER..MAX_SAFE_INTEGER, else bigint
 *   float                     number when it has a fractional part; Float when integral (1.0, -0.0, 1.0e300)
 *   true, false               true, false
 *   any other atom            Atom (interned: atom('ok') === atom('ok'))
 *   binary                    Uint8Array (text(bin) decodes UTF-8, binary('...') encodes)
 *   bitstring (not bytes)     Bitstring (bytes + bitLength)
 *   proper list, []           Array ([] for nil); a string is a list of code points: charlist/fromCharlist
 *   improper list             ImproperList (items + tail)
 *   tuple                     Tuple (tuple(a, b, c) builds one)
 *   map                       Map, in the order the VM iterates the map
 *   pid, port, reference      Pid, Port, Ref: opaque handles (send to them, compare their fields)
 *   fun                       ExportFun (fun M:F/A), LocalFun (a closure): opaque handles
 *
 * Going in, JS also accepts: any number (an integral one is an integer, so
 * `1` is the integer 1 and `new Float(1)` the float 1.0; `-0` is the integer 0),
 * a string (a UTF-8 binary, the way Elixir strings are), and Atom('true') for true.
 * NaN, Infinity, undefined, null, symbols and other objects are refused with a TypeError.
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
} from '../loader/eterm.js';

export { Atom, atom, Bitstring, ExportFun, ImproperList, LocalFun, Pid, Port, Ref, Tuple } from '../loader/eterm.js';

/** An Erlang float whose value is integral (1.0, -0.0, 2.0e20): a plain number would read as an integer. */
export class Float {
  constructor(readonly value: number) {
    if (!Number.isFinite(value)) throw new TypeError(`an Erlang float is finite, not ${value}`);
  }

  valueOf(): number {
    return this.value;
  }

  toString(): string {
    return Number.isInteger(this.value) && !Object.is(this.value, -0) ? `${this.value}.0` : Object.is(this.value, -0) ? '-0.0' : String(this.value);
  }
}

/** A JS value standing for an Erlang term (see the table at the top of this file). */
export type Value =
  | number
  | bigint
  | Float
  | boolean
  | Atom
  | string
  | Uint8Array
  | Bitstring
  | Value[]
  | ImproperList<Value>
  | Tuple<Value>
  | Map<Value, Value>
  | Pid
  | Port
  | Ref
  | ExportFun
  | LocalFun;

// ---------------------------------------------------------------- helpers

/** `{a, b, ...}` */
export const tuple = (...elements: Value[]): Tuple<Value> => new Tuple<Value>(elements);

/** The float x, also when x is integral: `float(1)` is 1.0. */
export const float = (x: number): Float => new Float(x);

/** `[items... | tail]` (tail not a list). */
export const improperList = (items: Value[], tail: Value): ImproperList<Value> => new ImproperList<Value>(items, tail);

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** A string's UTF-8 bytes: the binary `<<"...">>` (Elixir's strings). */
export const binary = (s: string): Uint8Array => utf8Encoder.encode(s);

/** A UTF-8 binary's text (TypeError if it is not valid UTF-8). */
export function text(bin: Uint8Array): string {
  try {
    return utf8Decoder.decode(bin);
  } catch {
    throw new TypeError('not a UTF-8 binary');
  }
}

/** A string as Erlang's list of code points: charlist('héllo') is "héllo" in Erlang source. */
export const charlist = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);

/** A list of code points back to a string (TypeError when an element is not a character). */
export function fromCharlist(list: Value): string {
  if (!Array.isArray(list)) throw new TypeError('not a list');
  let out = '';
  for (const c of list) {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 0x10ffff) throw new TypeError('not a list of characters');
    out += String.fromCodePoint(c);
  }
  return out;
}

const ATOM_TRUE = Atom.of('true');
const ATOM_FALSE = Atom.of('false');

// ---------------------------------------------------------------- conversions

/**
 * The JS value of a term read from the VM (loader/eterm.ts's model, which
 * vm/term/build.ts's toETerm produces).
 */
export function fromETermValue(t: ETerm): Value {
  if (typeof t === 'bigint') return t >= BigInt(Number.MIN_SAFE_INTEGER) && t <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : t;
  if (typeof t === 'number') return Number.isInteger(t) ? new Float(t) : t;
  if (t instanceof Atom) return t === ATOM_TRUE ? true : t === ATOM_FALSE ? false : t;
  if (Array.isArray(t)) {
    const out: Value[] = new Array(t.length);
    for (let i = 0; i < t.length; i++) out[i] = fromETermValue(t[i]!);
    return out;
  }
  if (t instanceof Tuple) return new Tuple<Value>(t.elements.map(fromETermValue));
  if (t instanceof Bitstring) return t.isBinary ? t.bytes : t;
  if (t instanceof EMap) {
    const m = new Map<Value, Value>();
    for (let i = 0; i < t.keys.length; i++) m.set(fromETermValue(t.keys[i]!), fromETermValue(t.values[i]!));
    return m;
  }
  if (t instanceof ImproperList) return new ImproperList<Value>(t.items.map(fromETermValue), fromETermValue(t.tail));
  return t; // Pid, Port, Ref, ExportFun, LocalFun
}

/** The term model (ETerm) of a JS value going into the VM; TypeError for what is not a term. */
export function toETermValue(v: Value): ETerm {
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`${v} is not an Erlang term (floats are finite)`);
      return Number.isInteger(v) ? BigInt(v) : v;
    case 'bigint':
      return v;
    case 'boolean':
      return v ? ATOM_TRUE : ATOM_FALSE;
    case 'string':
      return new Bitstring(utf8Encoder.encode(v));
    case 'object':
      if (v === null) break;
      if (Array.isArray(v)) {
        const out: ETerm[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) out[i] = toETermValue(v[i]!);
        return out;
      }
      if (v instanceof Atom) return v;
      if (v instanceof Float) return v.value;
      if (v instanceof Uint8Array) return new Bitstring(v);
      if (v instanceof Tuple) return new Tuple(v.elements.map(toETermValue));
      if (v instanceof Map) {
        const keys: ETerm[] = [];
        const values: ETerm[] = [];
        for (const [k, x] of v) {
          keys.push(toETermValue(k));
          values.push(toETermValue(x));
        }
        return new EMap(keys, values);
      }
      if (v instanceof ImproperList) return new ImproperList(v.items.map(toETermValue), toETermValue(v.tail));
      if (v instanceof Bitstring || v instanceof Pid || v instanceof Port || v instanceof Ref || v instanceof ExportFun || v instanceof LocalFun) return v;
      break;
  }
  throw new TypeError(`${describe(v)} is not an Erlang term`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object of class ${(v as object).constructor?.name ?? 'Object'}`;
  return typeof v === 'symbol' || typeof v === 'function' || v === undefined ? String(typeof v) : String(v);
}
