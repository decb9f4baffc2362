/**
 * OTP 25's internal term hash, make_internal_hash(Term, Salt) on a 64-bit
 * VM, and the order it gives the entries of a map.
 *
 * Entry order (checked against erl by test/loader/map_order.test.ts):
 *  - up to 32 keys (a "flatmap") the keys are sorted in map-key order
 *    (compareMapKeys: every integer before every float), whatever the API;
 *  - above 32 keys the map is a HAMT on the 32-bit hash, 4 bits a level from
 *    the low end. maps:iterator/1 + maps:next/1, maps:fold/3 and
 *    io_lib:format("~w") walk it with children in ascending nibble order
 *    (mapIterationOrder); maps:to_list/1, maps:keys/1 and term_to_binary/1
 *    give exactly the reverse (mapOrder). Keys equal in all 32 bits go on
 *    from level 8 with another salt (mapHashSalt), from level 16 another...
 *    OTP 25 has no collision nodes.
 *
 * What the hash takes from the running VM rather than from the term:
 *  - an immediate is hashed as its raw word. An atom's word holds its index
 *    in the atom table, so it depends on the order that VM created its
 *    atoms in; a local pid's or port's word holds its slot in the process
 *    or port table, whose layout depends on the +P / +Q limits;
 *  - an export fun is hashed by the address of its export entry, and a pid,
 *    port or ref of another node by the address of that node's entry.
 * HashEnv supplies these; without them internalHash throws VmDependentHash.
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
import { compareMapKeys, mapKeyOrder } from './eterm_order.js';

/** What the hash needs to know about the running VM. */
export interface HashEnv {
  /** The atom's index in the VM's atom table. */
  atomIndex?: (a: Atom) => number;
  /** The address of the fun's export entry (OTP hashes the pointer). */
  exportAddress?: (f: ExportFun) => bigint;
  /** The address of the VM's entry for a node other than the local one. */
  nodeAddress?: (node: Atom, creation: number) => bigint;
  /** The local node: pids/ports/refs of it are immediates or internal refs. Default 'nonode@nohost'. */
  thisNode?: Atom;
  /** Creation of the local node. Default 0 (not distributed). */
  thisCreation?: number;
  /** erlang:system_info(process_limit), a power of 2. Default 262144. */
  processLimit?: number;
  /** erlang:system_info(port_limit), a power of 2. Default 65536. */
  portLimit?: number;
}

/** Thrown when a hash depends on VM state that HashEnv does not provide. */
export class VmDependentHash extends Error {
  constructor(what: string) {
    super(`the internal hash of ${what} depends on the running VM`);
    this.name = 'VmDependentHash';
  }
}

/** Maps of more keys than this are HAMTs (MAP_SMALL_MAP_LIMIT). */
export const FLATMAP_LIMIT = 32;

// The golden ratio, and its multiples that tag each kind of data.
const HCONST = 0x9e3779b9;
const hc = (n: number): number => Math.imul(HCONST, n) >>> 0;
const HCONST_4 = hc(4);
const HCONST_5 = hc(5);
const HCONST_6 = hc(6);
const HCONST_7 = hc(7);
const HCONST_8 = hc(8);
const HCONST_9 = hc(9);
const HCONST_10 = hc(10);
const HCONST_11 = hc(11);
const HCONST_12 = hc(12);
const HCONST_13 = hc(13);
const HCONST_14 = hc(14);
const HCONST_15 = hc(15);
const HCONST_16 = hc(16);
const HCONST_17 = hc(17);
const HCONST_18 = hc(18);
const HCONST_20 = hc(20);
const HCONST_21 = hc(21);
const HCONST_22 = hc(22);
/** Mixed into the salt so that the hash differs from phash2's. */
const INTERNAL_HASH_SALT = 3432918353;

const NONODE = Atom.of('nonode@nohost');
const MIN_SMALL = -(1n << 59n);
const MAX_SMALL = (1n << 59n) - 1n;
const MASK32 = 0xffffffffn;
const MASK64 = (1n << 64n) - 1n;

// Immediate tags of a 64-bit word.
const TAG_SMALL = 0xfn;
const TAG_PID = 0x3;
const TAG_PORT = 0x7;
const TAG_ATOM = 0xbn;
/** The word of []: just its immediate tag. */
const NIL_WORD = 0x3bn;

// Bob Jenkins' 96-bit mix; all values are kept as int32 and read as uint32.
let ma = 0;
let mb = 0;
function mix(a: number, b: number, c: number): number {
  a = (a - b - c) | 0; a ^= c >>> 13;
  b = (b - c - a) | 0; b ^= a << 8;
  c = (c - a - b) | 0; c ^= b >>> 13;
  a = (a - b - c) | 0; a ^= c >>> 12;
  b = (b - c - a) | 0; b ^= a << 16;
  c = (c - a - b) | 0; c ^= b >>> 5;
  a = (a - b - c) | 0; a ^= c >>> 3;
  b = (b - c - a) | 0; b ^= a << 10;
  c = (c - a - b) | 0; c ^= b >>> 15;
  ma = a;
  mb = b;
  return c;
}

/** UINT32_HASH_2: mixes two 32-bit values, offset by a type constant, into h (int32 in, int32 out). */
export const hash2 = (h: number, x: number, y: number, k: number): number => mix((k + x) | 0, (k + y) | 0, h);

/** A 64-bit word as its two halves, low first, as UINT32_HASH_2 takes it. */
const hashWord = (h: number, w: bigint, k: number): number =>
  hash2(h, Number(w & MASK32), Number((w >> 32n) & MASK32), k);

/** The lookup2-style block hash OTP uses for binaries (also used on heap binaries by vm/term/internal_hash.ts). */
export function blockHash(k: Uint8Array, len: number, init: number): number {
  let a = HCONST | 0;
  let b = HCONST | 0;
  let c = init | 0;
  let i = 0;
  for (; len - i >= 12; i += 12) {
    a = (a + (k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24))) | 0;
    b = (b + (k[i + 4]! | (k[i + 5]! << 8) | (k[i + 6]! << 16) | (k[i + 7]! << 24))) | 0;
    c = (c + (k[i + 8]! | (k[i + 9]! << 8) | (k[i + 10]! << 16) | (k[i + 11]! << 24))) | 0;
    c = mix(a, b, c);
    a = ma;
    b = mb;
  }
  c = (c + len) | 0;
  const rest = len - i;
  // The first byte of c is left for the length.
  if (rest >= 11) c = (c + (k[i + 10]! << 24)) | 0;
  if (rest >= 10) c = (c + (k[i + 9]! << 16)) | 0;
  if (rest >= 9) c = (c + (k[i + 8]! << 8)) | 0;
  if (rest >= 8) b = (b + (k[i + 7]! << 24)) | 0;
  if (rest >= 7) b = (b + (k[i + 6]! << 16)) | 0;
  if (rest >= 6) b = (b + (k[i + 5]! << 8)) | 0;
  if (rest >= 5) b = (b + k[i + 4]!) | 0;
  if (rest >= 4) a = (a + (k[i + 3]! << 24)) | 0;
  if (rest >= 3) a = (a + (k[i + 2]! << 16)) | 0;
  if (rest >= 2) a = (a + (k[i + 1]! << 8)) | 0;
  if (rest >= 1) a = (a + k[i]!) | 0;
  return mix(a, b, c);
}

const floatView = new DataView(new ArrayBuffer(8));

/** The rest of a list from item i on (a cons cell's tail). */
// Stack markers.
const CDR_MARK = { op: 'cdr' } as const;
type Work = ETerm | ListCursor | typeof CDR_MARK;


/**
 * The word of a local pid or port: the low half holds its 28 bits of data
 * (number, and for a pid the serial above bit 15), the high half the slot in
 * the process (port) table, whose size is the limit: the low bits are moved
 * up so that consecutive numbers land in different 64-byte cache lines.
 */
function tableWord(data: number, limit: number, tag: number): bigint {
  const bits = Math.round(Math.log2(limit));
  const lineMask = 2 ** (bits - 3) - 1;
  const slot = (data & lineMask) * 8 + (Math.floor(data / 2 ** (bits - 3)) & 7);
  return (BigInt(slot >>> 0) << 32n) | BigInt((((data & 0xfffffff) << 4) | tag) >>> 0);
}

const isByte = (t: ETerm): t is bigint => typeof t === 'bigint' && t >= 0n && t <= 255n;

class Hasher {
  private readonly thisNode: Atom;
  private readonly thisCreation: number;

  constructor(private readonly env: HashEnv) {
    this.thisNode = env.thisNode ?? NONODE;
    this.thisCreation = env.thisCreation ?? 0;
  }

  private atomWord(a: Atom): bigint {
    const f = this.env.atomIndex;
    if (f === undefined) throw new VmDependentHash(`the atom '${a.name}'`);
    return (BigInt(f(a)) << 6n) | TAG_ATOM;
  }

  private nodeAddress(node: Atom, creation: number, what: string): bigint {
    const f = this.env.nodeAddress;
    if (f === undefined) throw new VmDependentHash(`a ${what} of node '${node.name}' (creation ${creation})`);
    return f(node, creation);
  }

  private isLocal(node: Atom, creation: number): boolean {
    return node === this.thisNode && creation === this.thisCreation;
  }

  hash(root: ETerm, salt: number): number {
    let h = (salt ^ INTERNAL_HASH_SALT) | 0;
    const stack: Work[] = [root];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (typeof t === 'bigint') {
        if (t >= MIN_SMALL && t <= MAX_SMALL) {
          h = hashWord(h, ((t << 4n) | TAG_SMALL) & MASK64, HCONST);
        } else {
          // Bignum: 64-bit digits of the magnitude, least significant first.
          const k = t < 0n ? HCONST_10 : HCONST_11;
          let m = t < 0n ? -t : t;
          while (m > 0n) {
            h = hashWord(h, m & MASK64, k);
            m >>= 64n;
          }
        }
      } else if (typeof t === 'number') {
        floatView.setFloat64(0, t === 0 ? 0 : t, true);
        h = hash2(h, floatView.getUint32(0, true), floatView.getUint32(4, true), HCONST_12);
      } else if (t instanceof Atom) {
        h = hashWord(h, this.atomWord(t), HCONST);
      } else if (Array.isArray(t)) {
        if (t.length === 0) h = hashWord(h, NIL_WORD, HCONST);
        else stack.push(new ListCursor(t, 0, []));
      } else if (t instanceof ListCursor || t instanceof ImproperList) {
        let items: ETerm[];
        let i: number;
        let tail: ETerm;
        if (t instanceof ListCursor) {
          ({ items, i, tail } = t);
        } else {
          items = t.items;
          i = 0;
          tail = t.tail;
        }
        // Runs of small integers 0..255 are packed four to a word.
        let c = 0;
        let sh = 0;
        let next: ListCursor | ETerm = listFrom(items, i, tail);
        while (next instanceof ListCursor && isByte(next.items[next.i]!)) {
          sh = ((sh << 8) + Number(next.items[next.i] as bigint)) | 0;
          if (c === 3) {
            h = hash2(h, sh, 0, HCONST_4);
            c = sh = 0;
          } else {
            c++;
          }
          next = listFrom(next.items, next.i + 1, next.tail);
        }
        if (c > 0) h = hash2(h, sh, c, HCONST_22);
        if (next instanceof ListCursor) {
          // A cons whose head is not a byte: head, then (marked) tail.
          h = ((h ^ HCONST_17) << 17) | ((h ^ HCONST_17) >>> 15);
          const rest = listFrom(next.items, next.i + 1, next.tail);
          stack.push(rest);
          if (!(rest instanceof ListCursor)) stack.push(CDR_MARK);
          stack.push(next.items[next.i]!);
        } else {
          stack.push(next);
        }
      } else if (t === CDR_MARK) {
        h = ((h ^ HCONST_18) << 17) | ((h ^ HCONST_18) >>> 15);
      } else if (t instanceof Tuple) {
        const n = t.elements.length;
        h = hash2(h, n, 0, HCONST_9);
        for (let i = n - 1; i >= 0; i--) stack.push(t.elements[i]!);
      } else if (t instanceof EMap) {
        const n = t.keys.length;
        h = hash2(h, n, 0, HCONST_16);
        // Entries in the inner map's own order (a nested HAMT recurses here).
        const order = n <= FLATMAP_LIMIT ? mapKeyOrder(t) : mapOrder(t.keys, this.env);
        for (let i = n - 1; i >= 0; i--) stack.push(t.values[order[i]!]!, t.keys[order[i]!]!);
      } else if (t instanceof Bitstring) {
        const sz = t.bitLength >>> 3;
        const bits = t.bitLength & 7;
        const con = (HCONST_13 + h) | 0;
        if (sz === 0 && bits === 0) {
          h = con;
        } else {
          h = blockHash(t.bytes, sz, con);
          if (bits > 0) h = hash2(h, bits, t.bytes[sz]! >>> (8 - bits), HCONST_15);
        }
      } else if (t instanceof Pid) {
        if (this.isLocal(t.node, t.creation)) {
          const data = ((t.serial & 0x1fff) << 15) | (t.id & 0x7fff);
          h = hashWord(h, tableWord(data, this.env.processLimit ?? 262144, TAG_PID), HCONST);
        } else {
          h = hashWord(h, this.nodeAddress(t.node, t.creation, 'pid'), HCONST_5);
          h = hash2(h, t.id, t.serial, HCONST_5);
        }
      } else if (t instanceof Port) {
        if (this.isLocal(t.node, t.creation)) {
          h = hashWord(h, tableWord(Number(t.id & 0xfffffffn), this.env.portLimit ?? 65536, TAG_PORT), HCONST);
        } else {
          h = hashWord(h, this.nodeAddress(t.node, t.creation, 'port'), HCONST_6);
          h = hashWord(h, t.id, HCONST_6);
        }
      } else if (t instanceof Ref) {
        const w = t.ids;
        if (this.isLocal(t.node, t.creation)) {
          h = hash2(h, w[0] ?? 0, 0, HCONST_7);
          h = hash2(h, w[1] ?? 0, w[2] ?? 0, HCONST_8);
        } else {
          const node = this.nodeAddress(t.node, t.creation, 'reference');
          if (w.length >= 4) h = hash2(h, w[3]!, w[4] ?? 0, HCONST_9);
          if (w.length >= 2) h = hash2(h, w[1]!, w[2] ?? 0, HCONST_8);
          h = hashWord(h, node, HCONST_7);
          if (w.length >= 1) h = hash2(h, w[0]!, 0, HCONST_7);
        }
      } else if (t instanceof ExportFun) {
        const f = this.env.exportAddress;
        if (f === undefined) throw new VmDependentHash(`fun ${t.module.name}:${t.name.name}/${t.arity}`);
        h = hashWord(h, f(t), HCONST_14);
      } else if (t instanceof LocalFun) {
        const n = t.freeVars.length;
        h = hash2(h, n, Number(this.atomWord(t.module) & MASK32), HCONST_20);
        h = hash2(h, t.index, t.oldUniq, HCONST_21);
        for (let i = n - 1; i >= 0; i--) stack.push(t.freeVars[i]!);
      } else {
        throw new TypeError(`internalHash: not a term: ${String(t)}`);
      }
    }
    return h >>> 0;
  }
}

/** OTP 25's make_internal_hash(T, Salt) on a 64-bit VM, as an unsigned 32-bit number. */
export function internalHash(t: ETerm, salt = 0, env: HashEnv = {}): number {
  return new Hasher(env).hash(t, salt);
}

/** The nibbles of h in reverse order: sorting by it sorts by the HAMT path. */
function pathKey(h: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    r = r * 16 + (h & 15);
    h >>>= 4;
  }
  return r;
}

/** Beyond this depth (8 levels each) two keys are taken as never separating. */
const MAX_DEPTH = 64;

/**
 * The salt of the hash for HAMT levels 8d..8d+7 (make_map_hash(Key, d)):
 * UINT32_HASH_2(d, 1, HCONST_22) on a hash of 0, or 0 for the first 8 levels.
 */
export function mapHashSalt(depth: number): number {
  return depth === 0 ? 0 : mix((HCONST_22 + depth) | 0, (HCONST_22 + 1) | 0, 0) >>> 0;
}

/** The hash a HAMT uses for `key` at levels 8d..8d+7, d = `depth`. */
export function mapHash(key: ETerm, depth = 0, env: HashEnv = {}): number {
  return new Hasher(env).hash(key, mapHashSalt(depth));
}

/**
 * Key indices by HAMT path, lowest nibble first: the depth-first walk of the
 * trie, children in ascending nibble order. Keys whose 32 bits are all equal
 * meet again at level 8, where a hash with another salt takes over, and so on.
 */
function hamtOrder(keys: ETerm[], env: HashEnv): number[] {
  const hasher = new Hasher(env);
  const paths: (number | undefined)[][] = [keys.map((k) => pathKey(hasher.hash(k, 0)))];
  const path = (i: number, d: number): number => {
    let row = paths[d];
    if (row === undefined) paths[d] = row = [];
    let p = row[i];
    if (p === undefined) row[i] = p = pathKey(hasher.hash(keys[i]!, mapHashSalt(d)));
    return p;
  };
  return Array.from({ length: keys.length }, (_, i) => i).sort((a, b) => {
    for (let d = 0; d <= MAX_DEPTH; d++) {
      const diff = path(a, d) - path(b, d);
      if (diff !== 0) return diff;
    }
    // OTP 25 would not terminate here; any fixed order will do.
    return compareMapKeys(keys[a]!, keys[b]!);
  });
}

function sortedOrder(keys: ETerm[]): number[] {
  return Array.from({ length: keys.length }, (_, i) => i).sort((a, b) => compareMapKeys(keys[a]!, keys[b]!));
}

/**
 * The order of maps:to_list/1, maps:keys/1 and term_to_binary/1 for a map
 * with these (distinct) keys, as a permutation of their indices. Above 32
 * keys it is the HAMT walked from its last child to its first.
 */
export function mapOrder(keys: ETerm[], env: HashEnv = {}): number[] {
  return keys.length <= FLATMAP_LIMIT ? sortedOrder(keys) : hamtOrder(keys, env).reverse();
}

/**
 * The order of maps:iterator/1 + maps:next/1, maps:fold/3 and
 * io_lib:format("~w"): the same as mapOrder up to 32 keys, its reverse above.
 */
export function mapIterationOrder(keys: ETerm[], env: HashEnv = {}): number[] {
  return keys.length <= FLATMAP_LIMIT ? sortedOrder(keys) : hamtOrder(keys, env);
}

/** The map with these entries in io_lib:format("~w") order (mapIterationOrder), so writeTerm prints it as OTP does. */
export function canonicalMap(keys: ETerm[], values: ETerm[], env: HashEnv = {}): EMap {
  if (keys.length !== values.length) throw new TypeError('canonicalMap: as many keys as values are needed');
  const order = mapIterationOrder(keys, env);
  return new EMap(
    order.map((i) => keys[i]!),
    order.map((i) => values[i]!),
  );
}

function pushAll(stack: ETerm[], xs: ETerm[]): void {
  for (const x of xs) stack.push(x);
}

/**
 * t with every map in it (in keys and values too, at any depth) rebuilt by
 * canonicalMap. Parts without maps are shared, not copied.
 */
export function canonicalize(t: ETerm, env: HashEnv = {}): ETerm {
  // Containers in pre-order; rebuilt in reverse, so children come first.
  const pre: object[] = [];
  const seen = new Set<object>();
  const stack: ETerm[] = [t];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (typeof x !== 'object' || seen.has(x)) continue;
    if (x instanceof EMap) {
      pushAll(stack, x.keys);
      pushAll(stack, x.values);
    } else if (x instanceof Tuple) {
      pushAll(stack, x.elements);
    } else if (Array.isArray(x)) {
      pushAll(stack, x);
    } else if (x instanceof ImproperList) {
      pushAll(stack, x.items);
      stack.push(x.tail);
    } else if (x instanceof LocalFun) {
      pushAll(stack, x.freeVars);
    } else {
      continue;
    }
    seen.add(x);
    pre.push(x);
  }
  const done = new Map<object, ETerm>();
  const get = (x: ETerm): ETerm => (typeof x === 'object' ? done.get(x) ?? x : x);
  const remap = (xs: ETerm[]): ETerm[] | null => {
    let out: ETerm[] | null = null;
    for (let i = 0; i < xs.length; i++) {
      const y = get(xs[i]!);
      if (y !== xs[i] && out === null) out = xs.slice(0, i);
      if (out !== null) out.push(y);
    }
    return out;
  };
  for (let i = pre.length - 1; i >= 0; i--) {
    const x = pre[i]!;
    if (x instanceof EMap) {
      done.set(x, canonicalMap(remap(x.keys) ?? x.keys, remap(x.values) ?? x.values, env));
    } else if (x instanceof Tuple) {
      const e = remap(x.elements);
      if (e !== null) done.set(x, new Tuple(e));
    } else if (Array.isArray(x)) {
      const e = remap(x);
      if (e !== null) done.set(x, e);
    } else if (x instanceof ImproperList) {
      const e = remap(x.items);
      const tail = get(x.tail);
      if (e !== null || tail !== x.tail) done.set(x, new ImproperList(e ?? x.items, tail));
    } else if (x instanceof LocalFun) {
      const e = remap(x.freeVars);
      if (e !== null) done.set(x, new LocalFun(x.module, x.arity, x.uniq, x.index, x.oldIndex, x.oldUniq, x.pid, e));
    }
  }
  return get(t);
}
