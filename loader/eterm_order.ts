/**
 * Erlang's term order, as OTP 25's erts_cmp() implements it.
 *
 *   number < atom < reference < fun < port < pid < tuple < map < [] < list < bitstring
 *
 * compareTerms is the order of <, == and lists:sort/1: an integer and a float
 * are compared by value, so 1 == 1.0 compares equal. compareMapKeys is the
 * exact order (=:=) that sorts the keys of a small map: there every integer
 * comes before every float, so 1 and 1.0 are two keys and 1 is first.
 *
 * Both keep their own stack: deep terms cost memory, not JS stack.
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
  ListCursor,
  listFrom,
  type ETerm,
} from './eterm.js';

export type Order = -1 | 0 | 1;

/** A non-empty list from item i on: how a list's tail is walked without copying. */
type Item = ETerm | ListCursor;


/** Rank of each kind in the standard term order (number < atom < ... < bitstring); shared with vm/term/compare.ts. */
export const R_NUMBER = 0;
export const R_ATOM = 1;
export const R_REF = 2;
export const R_FUN = 3;
export const R_PORT = 4;
export const R_PID = 5;
export const R_TUPLE = 6;
export const R_MAP = 7;
export const R_NIL = 8;
export const R_LIST = 9;
export const R_BITS = 10;

function rank(t: Item): number {
  if (typeof t === 'bigint' || typeof t === 'number') return R_NUMBER;
  if (t instanceof Atom) return R_ATOM;
  if (Array.isArray(t)) return t.length === 0 ? R_NIL : R_LIST;
  if (t instanceof ListCursor || t instanceof ImproperList) return R_LIST;
  if (t instanceof Tuple) return R_TUPLE;
  if (t instanceof EMap) return R_MAP;
  if (t instanceof Bitstring) return R_BITS;
  if (t instanceof Ref) return R_REF;
  if (t instanceof LocalFun || t instanceof ExportFun) return R_FUN;
  if (t instanceof Port) return R_PORT;
  if (t instanceof Pid) return R_PID;
  throw new TypeError(`compareTerms: not a term: ${String(t)}`);
}

const sign = (d: number | bigint): Order => (d < 0 ? -1 : d > 0 ? 1 : 0);

/** The sign of a - b computed in 32-bit C ints (wrapping). */
const wrapped = (a: number, b: number): Order => sign((a - b) | 0);

/** Code point order of two strings (UTF-16 code unit order differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): Order {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates stand for code points above every BMP character.
    if (x >= 0xd800 && x <= 0xdfff) x += 0x2000;
    else if (x >= 0xe000) x -= 0x800;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x2000;
    else if (y >= 0xe000) y -= 0x800;
    return x < y ? -1 : 1;
  }
  return sign(a.length - b.length);
}

const compareAtoms = (a: Atom, b: Atom): Order => (a === b ? 0 : compareCodePoints(a.name, b.name));

/** A node is identified by its name, then its creation. */
function compareNodes(an: Atom, ac: number, bn: Atom, bc: number): Order {
  return compareAtoms(an, bn) || sign(ac - bc);
}

/** Integer against float by exact value (OTP never loses precision here). */
export function compareIntFloat(i: bigint, f: number): Order {
  if (Number.isInteger(f)) return sign(i - BigInt(f));
  const fl = BigInt(Math.floor(f));
  return i <= fl ? -1 : 1;
}

function compareNumbers(a: bigint | number, b: bigint | number, exact: boolean): Order {
  if (typeof a === 'bigint') {
    if (typeof b === 'bigint') return sign(a - b);
    return exact ? -1 : compareIntFloat(a, b);
  }
  if (typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  return exact ? 1 : (-compareIntFloat(b, a) as Order);
}

/** Ref id words, most significant first; a longer ref is greater if its extra words are not 0. */
function compareRefWords(a: number[], b: number[]): Order {
  let al = a.length;
  let bl = b.length;
  while (al > bl) if (a[--al] !== 0) return 1;
  while (bl > al) if (b[--bl] !== 0) return -1;
  for (let i = al - 1; i >= 0; i--) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

function compareBits(a: Bitstring, b: Bitstring): Order {
  const n = Math.min(a.bitLength, b.bitLength);
  const full = n >>> 3;
  const x = a.bytes;
  const y = b.bytes;
  for (let i = 0; i < full; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  const rest = n & 7;
  if (rest > 0) {
    const d = (x[full]! >>> (8 - rest)) - (y[full]! >>> (8 - rest));
    if (d !== 0) return sign(d);
  }
  return sign(a.bitLength - b.bitLength);
}

/** Each map's key indices in map-key order, computed once per map object. */
const sortedKeys = new WeakMap<EMap, number[]>();

/**
 * Sorts the keys of `root` and of every map inside it, innermost first, so
 * that sorting one map never needs to sort another (which would recurse).
 */
function prepareMaps(root: EMap): void {
  const pending: ETerm[] = [root];
  const post: EMap[] = [];
  // Shared parts are walked once.
  const seen = new Set<object>();
  while (pending.length > 0) {
    const t = pending.pop()!;
    if (typeof t !== 'object' || seen.has(t)) continue;
    seen.add(t);
    if (t instanceof EMap) {
      if (sortedKeys.has(t)) continue;
      post.push(t);
      for (const k of t.keys) pending.push(k);
      for (const v of t.values) pending.push(v);
    } else if (t instanceof Tuple) {
      for (const e of t.elements) pending.push(e);
    } else if (Array.isArray(t)) {
      for (const e of t) pending.push(e);
    } else if (t instanceof ImproperList) {
      for (const e of t.items) pending.push(e);
      pending.push(t.tail);
    } else if (t instanceof LocalFun) {
      for (const e of t.freeVars) pending.push(e);
    }
  }
  for (let i = post.length - 1; i >= 0; i--) {
    const m = post[i]!;
    if (sortedKeys.has(m)) continue;
    const keys = m.keys;
    const order = Array.from({ length: keys.length }, (_, j) => j);
    if (keys.length > 1) order.sort((x, y) => compare(keys[x]!, keys[y]!, true));
    sortedKeys.set(m, order);
  }
}

/** The indices of m's keys in map-key order (computed once per EMap object: do not mutate its keys). */
export function mapKeyOrder(m: EMap): number[] {
  let o = sortedKeys.get(m);
  if (o === undefined) {
    prepareMaps(m);
    o = sortedKeys.get(m)!;
  }
  return o;
}

function compare(a0: ETerm, b0: ETerm, exact0: boolean): Order {
  const as: Item[] = [a0];
  const bs: Item[] = [b0];
  const ex: boolean[] = [exact0];
  while (as.length > 0) {
    const a = as.pop()!;
    const b = bs.pop()!;
    const exact = ex.pop()!;
    if (a === b) continue;
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra < rb ? -1 : 1;
    let r: Order = 0;
    switch (ra) {
      case R_NUMBER:
        r = compareNumbers(a as bigint | number, b as bigint | number, exact);
        break;
      case R_ATOM:
        r = compareAtoms(a as Atom, b as Atom);
        break;
      case R_NIL:
        break;
      case R_BITS:
        r = compareBits(a as Bitstring, b as Bitstring);
        break;
      case R_REF: {
        const x = a as Ref;
        const y = b as Ref;
        r = compareNodes(x.node, x.creation, y.node, y.creation) || compareRefWords(x.ids, y.ids);
        break;
      }
      case R_PORT: {
        const x = a as Port;
        const y = b as Port;
        r = compareNodes(x.node, x.creation, y.node, y.creation) || sign(x.id - y.id);
        break;
      }
      case R_PID: {
        // Serial and number first: the node only breaks ties.
        const x = a as Pid;
        const y = b as Pid;
        r = sign(x.serial - y.serial) || sign(x.id - y.id) || compareNodes(x.node, x.creation, y.node, y.creation);
        break;
      }
      case R_FUN: {
        if (a instanceof ExportFun) {
          if (!(b instanceof ExportFun)) return 1;
          r = compareAtoms(a.module, b.module) || compareAtoms(a.name, b.name) || sign(a.arity - b.arity);
          break;
        }
        if (b instanceof ExportFun) return -1;
        // OTP 25 ignores OldIndex, Uniq and the arity, and takes the sign
        // of the 32-bit wrapped difference of Index and of OldUniq.
        const x = a as LocalFun;
        const y = b as LocalFun;
        r =
          compareAtoms(x.module, y.module) ||
          wrapped(x.index, y.index) ||
          wrapped(x.oldUniq, y.oldUniq) ||
          sign(x.freeVars.length - y.freeVars.length);
        if (r === 0) {
          for (let i = x.freeVars.length - 1; i >= 0; i--) {
            as.push(x.freeVars[i]!);
            bs.push(y.freeVars[i]!);
            ex.push(exact);
          }
        }
        break;
      }
      case R_TUPLE: {
        const x = (a as Tuple).elements;
        const y = (b as Tuple).elements;
        r = sign(x.length - y.length);
        if (r === 0) {
          for (let i = x.length - 1; i >= 0; i--) {
            as.push(x[i]!);
            bs.push(y[i]!);
            ex.push(exact);
          }
        }
        break;
      }
      case R_MAP: {
        const x = a as EMap;
        const y = b as EMap;
        r = sign(x.size - y.size);
        if (r === 0) {
          const ox = mapKeyOrder(x);
          const oy = mapKeyOrder(y);
          // Popped in order: every key (exactly), then the values in key order.
          for (let i = ox.length - 1; i >= 0; i--) {
            as.push(x.values[ox[i]!]!);
            bs.push(y.values[oy[i]!]!);
            ex.push(exact);
          }
          for (let i = ox.length - 1; i >= 0; i--) {
            as.push(x.keys[ox[i]!]!);
            bs.push(y.keys[oy[i]!]!);
            ex.push(true);
          }
        }
        break;
      }
      default: {
        // Two non-empty lists: heads, then what follows them.
        const x = a instanceof ListCursor ? a : listFrom(...listParts(a as ETerm[] | ImproperList));
        const y = b instanceof ListCursor ? b : listFrom(...listParts(b as ETerm[] | ImproperList));
        if (!(x instanceof ListCursor) || !(y instanceof ListCursor)) {
          // An ImproperList with no items: compare what it really is.
          as.push(x);
          bs.push(y);
          ex.push(exact);
          break;
        }
        as.push(listFrom(x.items, x.i + 1, x.tail), x.items[x.i]!);
        bs.push(listFrom(y.items, y.i + 1, y.tail), y.items[y.i]!);
        ex.push(exact, exact);
        break;
      }
    }
    if (r !== 0) return r;
  }
  return 0;
}

function listParts(t: ETerm[] | ImproperList): [ETerm[], number, ETerm] {
  return Array.isArray(t) ? [t, 0, []] : [t.items, 0, t.tail];
}

/** Erlang's standard term order (lists:sort/1, <, ==): 1 and 1.0 compare equal. */
export function compareTerms(a: ETerm, b: ETerm): Order {
  return compare(a, b, false);
}

/** The exact order (=:=) in which a small map keeps its keys: integers before floats. */
export function compareMapKeys(a: ETerm, b: ETerm): Order {
  return compare(a, b, true);
}

/** True when a and b are the same map key (=:=). */
export function exactlyEqual(a: ETerm, b: ETerm): boolean {
  return compare(a, b, true) === 0;
}
