/**
 * Maps on the process heap as persistent data structures, with OTP 25's
 * layout and behaviour (layouts in vm/term/build.ts): a flatmap up to 32
 * keys (a sorted keys tuple, shared between versions while no key is added
 * or removed), a HAMT above, on OTP's internal hash.
 *
 * The HAMT is always in canonical form, the one OTP's operations keep: a key
 * sits at the shallowest level where its hash path is no longer shared with
 * another key; a node exists where two or more keys share a path prefix.
 * Insertion splits a leaf only as deep as needed; removal pulls a lone leaf
 * back up; a map that shrinks to 32 keys becomes a flatmap again (OTP 25
 * does this in maps:remove/2 and maps:take/2); building from many entries
 * gives the same trie. So the iteration order, maps:to_list/1, term_to_binary/1
 * and erlang:display/1 of a map depend only on its keys, as in the real VM.
 * The hash is in vm/term/internal_hash.ts.
 *
 * Which key is kept when an equal key (0.0 and -0.0 are =:= in OTP 25)
 * replaces a value also follows OTP: a flatmap keeps its old key on put and
 * update; a hashmap takes the new one; from_list keeps the last key; merge
 * takes the second map's.
 *
 * Nothing here throws an Erlang error: failures come back as undefined or
 * THE_NON_VALUE and the callers (bifs/maps.ts, the interpreter) raise.
 * Allocation goes through a Builder (never fails); nothing is written into
 * an existing term.
 */
import { FLATMAP_LIMIT } from '../../loader/eterm_hash.js';
import { bignumValue, mapEntries, mapSize, mapToListEntries } from './build.js';
import { compareMapKeys, exactEqual } from './compare.js';
import type { TermContext } from './heap.js';
import { mapKeyHash, termInternalHash } from './internal_hash.js';
import { type Builder, mkInt } from './make.js';
import {
  FLATMAP_HEADER,
  MAP_KIND_FLAT,
  MAP_KIND_HAMT_NODE,
  NIL,
  SUB_MAP,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  SUB_TUPLE,
  THE_NON_VALUE,
  headerSubtag,
  isBoxed,
  isImmediate,
  isList,
  isSmall,
  makeBoxed,
  makeHamtHeadHeader,
  makeHamtNodeHeader,
  makeHeader,
  makeList,
  makeSmall,
  mapHeaderKind,
  mapHeaderVal,
  ptrVal,
  smallVal,
  type Term,
} from './tags.js';

/** Maps of more keys than FLATMAP_LIMIT (32, OTP's MAP_SMALL_MAP_LIMIT) are HAMTs. */
export { FLATMAP_LIMIT, mapKeyHash, mapSize, termInternalHash };


/** The 4 bits of key's hash path at this HAMT level. */
const nibbleAt = (ctx: TermContext, key: Term, level: number): number =>
  (mapKeyHash(ctx, key, level >>> 3) >>> ((level & 7) * 4)) & 15;

/** A HAMT this deep means keys whose hashes never separate (65 salts): only duplicates do that. */
const MAX_LEVELS = 8 * 65;

// ================================================================ reading

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** True for a map term (flatmap or HAMT head; an inner node is never a term of its own). */
export function isMapTerm(ctx: TermContext, t: Term): boolean {
  if (!isBoxed(t)) return false;
  const hdr = ctx.mem.i32[ptrVal(t)]!;
  return headerSubtag(hdr) === SUB_MAP && mapHeaderKind(hdr) !== MAP_KIND_HAMT_NODE;
}

export const isFlatmap = (ctx: TermContext, map: Term): boolean => mapHeaderKind(ctx.mem.i32[ptrVal(map)]!) === MAP_KIND_FLAT;

/** =:= for map keys, immediates by their word. */
function sameKey(ctx: TermContext, a: Term, b: Term): boolean {
  if (a === b) return true;
  if (isImmediate(a) || isImmediate(b)) return false;
  return exactEqual(ctx, a, b);
}

/** Index of key in a flatmap at word p, or -1. */
function flatIndex(ctx: TermContext, p: number, key: Term): number {
  const w = ctx.mem.i32;
  const n = w[p + 1]!;
  const keys = ptrVal(w[p + 2]!) + 1;
  if (isImmediate(key)) {
    for (let i = 0; i < n; i++) if (w[keys + i] === key) return i;
    return -1;
  }
  for (let i = 0; i < n; i++) {
    const k = w[keys + i]!;
    if (!isImmediate(k) && exactEqual(ctx, k, key)) return i;
  }
  return -1;
}

/** The leaf cell [K|V] (word index) of key in a hashmap whose key hash (level 0) is h, or -1. */
function hamtLookup(ctx: TermContext, map: Term, key: Term, h: number): number {
  let w = ctx.mem.i32;
  let node = ptrVal(map);
  let slots = node + 2;
  let level = 0;
  for (;;) {
    const bitmap = mapHeaderVal(w[node]!);
    const bit = 1 << ((h >>> ((level & 7) * 4)) & 15);
    if ((bitmap & bit) === 0) return -1;
    const child = w[slots + popcount(bitmap & (bit - 1))]!;
    if (isList(child)) {
      const cell = ptrVal(child);
      return sameKey(ctx, w[cell]!, key) ? cell : -1;
    }
    node = ptrVal(child);
    slots = node + 1;
    level++;
    if ((level & 7) === 0) {
      h = mapKeyHash(ctx, key, level >>> 3);
      w = ctx.mem.i32; // hashing refreshes the views
    }
  }
}

/** The value of key in map (=:=: 1 and 1.0 are different keys), or undefined. */
export function mapGet(ctx: TermContext, map: Term, key: Term): Term | undefined {
  const p = ptrVal(map);
  const w = ctx.mem.i32;
  if (mapHeaderKind(w[p]!) === MAP_KIND_FLAT) {
    const i = flatIndex(ctx, p, key);
    return i < 0 ? undefined : ctx.mem.i32[p + 3 + i]!;
  }
  const cell = hamtLookup(ctx, map, key, mapKeyHash(ctx, key, 0));
  return cell < 0 ? undefined : ctx.mem.i32[cell + 1]!;
}

/**
 * mapGet with the key's hash already known (mapKeyHash(ctx, key, 0)), for
 * literal keys whose hash the loader can compute once.
 */
export function mapGetHashed(ctx: TermContext, map: Term, key: Term, hash: number): Term | undefined {
  const p = ptrVal(map);
  if (mapHeaderKind(ctx.mem.i32[p]!) === MAP_KIND_FLAT) {
    const i = flatIndex(ctx, p, key);
    return i < 0 ? undefined : ctx.mem.i32[p + 3 + i]!;
  }
  const cell = hamtLookup(ctx, map, key, hash);
  return cell < 0 ? undefined : ctx.mem.i32[cell + 1]!;
}

/** True if map has key (is_map_key/2, has_map_fields). */
export const mapHas = (ctx: TermContext, map: Term, key: Term): boolean => mapGet(ctx, map, key) !== undefined;

/** Calls fn for each entry in iteration order (maps:iterator/1 + maps:next/1, maps:fold/3). */
export function mapForEach(ctx: TermContext, map: Term, fn: (key: Term, value: Term) => void): void {
  for (const [k, v] of mapEntries(ctx, map)) fn(k, v);
}

// ================================================================ building

/** A flatmap of keys already in map-key order and distinct. */
function mkFlatmap(b: Builder, keys: readonly Term[], values: readonly Term[]): Term {
  const n = keys.length;
  const at = b.alloc(4 + 2 * n);
  const w = b.mem.i32;
  w[at] = makeHeader(n, SUB_TUPLE);
  for (let i = 0; i < n; i++) w[at + 1 + i] = keys[i]!;
  const m = at + 1 + n;
  w[m] = FLATMAP_HEADER;
  w[m + 1] = n;
  w[m + 2] = makeBoxed(at);
  for (let i = 0; i < n; i++) w[m + 3 + i] = values[i]!;
  return makeBoxed(m);
}

/** A flatmap sharing an existing keys tuple, with these values. */
function mkFlatmapOnKeys(b: Builder, keysTuple: Term, values: readonly Term[]): Term {
  const n = values.length;
  const m = b.alloc(3 + n);
  const w = b.mem.i32;
  w[m] = FLATMAP_HEADER;
  w[m + 1] = n;
  w[m + 2] = keysTuple;
  for (let i = 0; i < n; i++) w[m + 3 + i] = values[i]!;
  return makeBoxed(m);
}

/** The empty map #{}. */
export function mkEmptyMap(b: Builder): Term {
  return mkFlatmap(b, [], []);
}

/** Index order that sorts keys in map-key order (stable). */
function sortedOrder(ctx: TermContext, keys: readonly Term[]): number[] {
  const idx = Array.from({ length: keys.length }, (_, i) => i);
  if (keys.length > 1) idx.sort((a, c) => compareMapKeys(ctx, keys[a]!, keys[c]!) || a - c);
  return idx;
}

/** Is this key list strictly increasing in map-key order (sorted, no duplicates)? */
function isStrictlySorted(ctx: TermContext, keys: readonly Term[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareMapKeys(ctx, keys[i - 1]!, keys[i]!) >= 0) return false;
  return true;
}

/** Sorted distinct entries: of equal keys the last one (key and value) stays, like maps:from_list/1. */
function sortedLastWins(ctx: TermContext, keys: readonly Term[], values: readonly Term[]): { keys: Term[]; values: Term[] } {
  const order = sortedOrder(ctx, keys);
  const ks: Term[] = [];
  const vs: Term[] = [];
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    // Stable sort: among equal keys the last of the input comes last.
    if (j + 1 < order.length && compareMapKeys(ctx, keys[i]!, keys[order[j + 1]!]!) === 0) continue;
    ks.push(keys[i]!);
    vs.push(values[i]!);
  }
  return { keys: ks, values: vs };
}

/** The nibbles of h reversed: sorting by it sorts by the HAMT path, lowest nibble first. */
function pathKey(h: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    r = r * 16 + (h & 15);
    h >>>= 4;
  }
  return r;
}

/**
 * The canonical HAMT (head included) of distinct entries. `leaves` may give
 * an existing [K|V] cell to reuse per entry; `hash0` the keys' level-0
 * hashes when known.
 */
function buildHamt(
  b: Builder,
  keys: readonly Term[],
  values: readonly Term[],
  hash0?: readonly number[],
  leaves?: readonly (Term | undefined)[],
): Term {
  const n = keys.length;
  const hashes: number[][] = [hash0 !== undefined ? hash0.slice() : keys.map((k) => mapKeyHash(b, k, 0))];
  const hashAt = (i: number, d: number): number => {
    const row = (hashes[d] ??= []);
    return (row[i] ??= mapKeyHash(b, keys[i]!, d));
  };
  // Entry indices by path at depth 0; ranges sharing all 32 bits are re-sorted by the next salt's hash.
  const idx = sortByPath(Array.from({ length: n }, (_, i) => i), (i) => hashes[0]![i]!);

  const leaf = (i: number): Term => {
    const old = leaves?.[i];
    if (old !== undefined) return old;
    const at = b.alloc(2);
    const w = b.mem.i32;
    w[at] = keys[i]!;
    w[at + 1] = values[i]!;
    return makeList(at);
  };

  // Children of the node at `level` holding idx[lo..hi) (all sharing the path so far).
  const children = (lo: number, hi: number, level: number): { bitmap: number; kids: Term[] } => {
    if (level >= MAX_LEVELS) throw new Error('maps: keys whose hashes never separate (duplicate keys)');
    const d = level >>> 3;
    if ((level & 7) === 0 && level > 0) {
      const sub = sortByPath(idx.slice(lo, hi), (i) => hashAt(i, d));
      for (let k = 0; k < sub.length; k++) idx[lo + k] = sub[k]!;
    }
    const shift = (level & 7) * 4;
    let bitmap = 0;
    const kids: Term[] = [];
    let start = lo;
    while (start < hi) {
      const nib = (hashAt(idx[start]!, d) >>> shift) & 15;
      let end = start + 1;
      while (end < hi && ((hashAt(idx[end]!, d) >>> shift) & 15) === nib) end++;
      bitmap |= 1 << nib;
      if (end - start === 1) kids.push(leaf(idx[start]!));
      else {
        const sub = children(start, end, level + 1);
        kids.push(writeNode(b, sub.bitmap, sub.kids));
      }
      start = end;
    }
    return { bitmap, kids };
  };

  const root = children(0, n, 0);
  return writeHead(b, root.bitmap, root.kids, n);
}

/** Indices sorted by the HAMT path of their hash (numeric sort on pathKey, then index). */
function sortByPath(idx: number[], hashOf: (i: number) => number): number[] {
  const n = idx.length;
  if (n < 1 << 21) {
    // pathKey (32 bits) and position (21 bits) packed exactly in a double: a plain numeric sort.
    const packed = new Float64Array(n);
    for (let k = 0; k < n; k++) packed[k] = pathKey(hashOf(idx[k]!)) * 2 ** 21 + k;
    packed.sort();
    return Array.from(packed, (x) => idx[x % 2 ** 21]!);
  }
  const keyed = idx.map((i) => [pathKey(hashOf(i)), i] as const);
  keyed.sort((a, c) => a[0] - c[0] || a[1] - c[1]);
  return keyed.map((x) => x[1]);
}

function writeNode(b: Builder, bitmap: number, kids: readonly Term[]): Term {
  const at = b.alloc(1 + kids.length);
  const w = b.mem.i32;
  w[at] = makeHamtNodeHeader(bitmap);
  for (let i = 0; i < kids.length; i++) w[at + 1 + i] = kids[i]!;
  return makeBoxed(at);
}

function writeHead(b: Builder, bitmap: number, kids: readonly Term[], size: number): Term {
  const at = b.alloc(2 + kids.length);
  const w = b.mem.i32;
  w[at] = makeHamtHeadHeader(bitmap);
  w[at + 1] = size;
  for (let i = 0; i < kids.length; i++) w[at + 2 + i] = kids[i]!;
  return makeBoxed(at);
}

/**
 * A map of these entries, in any order; of equal keys the last one (key and
 * value) is kept, as maps:from_list/1 does. A flatmap up to 32 distinct keys.
 */
export function mapFromArrays(b: Builder, keys: readonly Term[], values: readonly Term[]): Term {
  const n = keys.length;
  if (n <= FLATMAP_LIMIT) {
    const s = sortedLastWins(b, keys, values);
    return mkFlatmap(b, s.keys, s.values);
  }
  // Duplicates can only share a hash: compare within equal hashes, the later entry replacing.
  const hashes = keys.map((k) => mapKeyHash(b, k, 0));
  const byHash = new Map<number, number[]>();
  const keep: number[] = [];
  const slotOf: number[] = [];
  for (let i = 0; i < n; i++) {
    const h = hashes[i]!;
    const same = byHash.get(h);
    let replaced = false;
    if (same !== undefined) {
      for (let j = 0; j < same.length; j++) {
        const prev = same[j]!;
        if (sameKey(b, keys[prev]!, keys[i]!)) {
          keep[slotOf[prev]!] = i;
          slotOf[i] = slotOf[prev]!;
          same[j] = i;
          replaced = true;
          break;
        }
      }
      if (!replaced) same.push(i);
    } else {
      byHash.set(h, [i]);
    }
    if (!replaced) {
      slotOf[i] = keep.length;
      keep.push(i);
    }
  }
  const ks = keep.map((i) => keys[i]!);
  const vs = keep.map((i) => values[i]!);
  if (ks.length <= FLATMAP_LIMIT) {
    const s = sortedLastWins(b, ks, vs);
    return mkFlatmap(b, s.keys, s.values);
  }
  return buildHamt(
    b,
    ks,
    vs,
    keep.map((i) => hashes[i]!),
  );
}

/** maps:from_list/1: a map from a proper list of 2-tuples, or undefined for anything else (badarg). */
export function mapFromList(b: Builder, list: Term): Term | undefined {
  const keys: Term[] = [];
  const values: Term[] = [];
  const w = b.mem.i32;
  let t = list;
  while (isList(t)) {
    const cell = ptrVal(t);
    const pair = w[cell]!;
    if (!isBoxed(pair) || w[ptrVal(pair)] !== makeHeader(2, SUB_TUPLE)) return undefined;
    keys.push(w[ptrVal(pair) + 1]!);
    values.push(w[ptrVal(pair) + 2]!);
    t = w[cell + 1]!;
  }
  if (t !== NIL) return undefined;
  return mapFromArrays(b, keys, values);
}

/** maps:from_keys/2: every key of a proper list mapped to value, or undefined if keys is not a proper list. */
export function mapFromKeys(b: Builder, keys: Term, value: Term): Term | undefined {
  const ks: Term[] = [];
  const w = b.mem.i32;
  let t = keys;
  while (isList(t)) {
    ks.push(w[ptrVal(t)]!);
    t = w[ptrVal(t) + 1]!;
  }
  if (t !== NIL) return undefined;
  return mapFromArrays(
    b,
    ks,
    ks.map(() => value),
  );
}

// ================================================================ put, update, remove

/** n words from `from` as an array (a plain loop: faster than Array.from on a subarray). */
function readWords(w: Int32Array, from: number, n: number): Term[] {
  const out: Term[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = w[from + i]!;
  return out;
}

/** A flatmap's keys and values as arrays. */
function flatArrays(ctx: TermContext, p: number): { keys: Term[]; values: Term[] } {
  const w = ctx.mem.i32;
  const n = w[p + 1]!;
  return { keys: readWords(w, ptrVal(w[p + 2]!) + 1, n), values: readWords(w, p + 3, n) };
}

/** The flatmap at p with key and value inserted at position pos (a new keys tuple and map, one allocation). */
function flatInsert(b: Builder, p: number, pos: number, key: Term, value: Term): Term {
  const n = b.mem.i32[p + 1]!;
  const at = b.alloc(4 + 2 * (n + 1));
  const w = b.mem.i32;
  const okp = ptrVal(w[p + 2]!) + 1;
  const m = at + 2 + n;
  w[at] = makeHeader(n + 1, SUB_TUPLE);
  w[m] = FLATMAP_HEADER;
  w[m + 1] = n + 1;
  w[m + 2] = makeBoxed(at);
  for (let i = 0; i < pos; i++) {
    w[at + 1 + i] = w[okp + i]!;
    w[m + 3 + i] = w[p + 3 + i]!;
  }
  w[at + 1 + pos] = key;
  w[m + 3 + pos] = value;
  for (let i = pos; i < n; i++) {
    w[at + 2 + i] = w[okp + i]!;
    w[m + 4 + i] = w[p + 3 + i]!;
  }
  return makeBoxed(m);
}

/** The flatmap at p without the entry at position pos. */
function flatDelete(b: Builder, p: number, pos: number): Term {
  const n = b.mem.i32[p + 1]!;
  const at = b.alloc(4 + 2 * (n - 1));
  const w = b.mem.i32;
  const okp = ptrVal(w[p + 2]!) + 1;
  const m = at + n;
  w[at] = makeHeader(n - 1, SUB_TUPLE);
  w[m] = FLATMAP_HEADER;
  w[m + 1] = n - 1;
  w[m + 2] = makeBoxed(at);
  for (let i = 0, j = 0; i < n; i++) {
    if (i === pos) continue;
    w[at + 1 + j] = w[okp + i]!;
    w[m + 3 + j] = w[p + 3 + i]!;
    j++;
  }
  return makeBoxed(m);
}

/** A flatmap with the value at i replaced; the keys tuple is shared. */
function flatWithValue(b: Builder, p: number, i: number, value: Term): Term {
  const w0 = b.mem.i32;
  const n = w0[p + 1]!;
  const keysTuple = w0[p + 2]!;
  const m = b.alloc(3 + n);
  const w = b.mem.i32;
  w[m] = FLATMAP_HEADER;
  w[m + 1] = n;
  w[m + 2] = keysTuple;
  w.copyWithin(m + 3, p + 3, p + 3 + n);
  w[m + 3 + i] = value;
  return makeBoxed(m);
}

/** maps:put/3 (and `Map#{Key => Value}`): the map with key set to value. */
export function mapPut(b: Builder, map: Term, key: Term, value: Term): Term {
  const p = ptrVal(map);
  if (mapHeaderKind(b.mem.i32[p]!) !== MAP_KIND_FLAT) return hamtInsert(b, map, key, value, false)!;
  const i = flatIndex(b, p, key);
  const w = b.mem.i32;
  if (i >= 0) return w[p + 3 + i] === value ? map : flatWithValue(b, p, i, value);
  const n = w[p + 1]!;
  if (n >= FLATMAP_LIMIT) {
    const { keys, values } = flatArrays(b, p);
    keys.push(key);
    values.push(value);
    return buildHamt(b, keys, values);
  }
  // Binary search for the insertion point in map-key order.
  const okp = ptrVal(w[p + 2]!) + 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareMapKeys(b, b.mem.i32[okp + mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return flatInsert(b, p, lo, key, value);
}

/** maps:update/3 (and `Map#{Key := Value}`): the map with key's value replaced, or undefined if key is absent. */
export function mapUpdate(b: Builder, map: Term, key: Term, value: Term): Term | undefined {
  const p = ptrVal(map);
  if (mapHeaderKind(b.mem.i32[p]!) !== MAP_KIND_FLAT) return hamtInsert(b, map, key, value, true);
  const i = flatIndex(b, p, key);
  if (i < 0) return undefined;
  return b.mem.i32[p + 3 + i] === value ? map : flatWithValue(b, p, i, value);
}

/** One step down a HAMT: the node (word index), its bitmap, the slot and bit taken. */
interface PathStep {
  node: number;
  isHead: boolean;
  bitmap: number;
  bit: number;
  pos: number;
}

/** A copy of a head or node with the child at `bit` set to child (inserted if absent, removed if THE_NON_VALUE). */
function copyNode(b: Builder, s: PathStep, child: Term, sizeDelta: number): Term {
  const w0 = b.mem.i32;
  const present = (s.bitmap & s.bit) !== 0;
  const bitmap = child === THE_NON_VALUE ? s.bitmap & ~s.bit : s.bitmap | s.bit;
  const count = popcount(bitmap);
  const first = s.isHead ? 2 : 1;
  const at = b.alloc(first + count);
  const w = b.mem.i32;
  w[at] = s.isHead ? makeHamtHeadHeader(bitmap) : makeHamtNodeHeader(bitmap);
  if (s.isHead) w[at + 1] = w0[s.node + 1]! + sizeDelta;
  const src = s.node + first;
  const dst = at + first;
  const oldCount = popcount(s.bitmap);
  // Children before the slot, the slot, children after it.
  w.copyWithin(dst, src, src + s.pos);
  let d = dst + s.pos;
  if (child !== THE_NON_VALUE) w[d++] = child;
  w.copyWithin(d, src + s.pos + (present ? 1 : 0), src + oldCount);
  return makeBoxed(at);
}

/** A new [K|V] leaf. */
function mkLeaf(b: Builder, key: Term, value: Term): Term {
  const at = b.alloc(2);
  const w = b.mem.i32;
  w[at] = key;
  w[at + 1] = value;
  return makeList(at);
}

/** The subtree at `level` holding two leaves whose keys' paths are equal above it: nodes down to where they part. */
function twoLeaves(b: Builder, leafA: Term, keyA: Term, leafB: Term, keyB: Term, level: number): Term {
  const shared: number[] = [];
  for (let l = level; ; l++) {
    if (l >= MAX_LEVELS) throw new Error('maps: keys whose hashes never separate');
    const na = nibbleAt(b, keyA, l);
    const nb = nibbleAt(b, keyB, l);
    if (na !== nb) {
      let sub = writeNode(b, (1 << na) | (1 << nb), na < nb ? [leafA, leafB] : [leafB, leafA]);
      for (let k = shared.length - 1; k >= 0; k--) sub = writeNode(b, 1 << shared[k]!, [sub]);
      return sub;
    }
    shared.push(na);
  }
}

/**
 * Put into a hashmap (OTP's hashmap insert): an existing leaf of an equal key
 * is replaced by [Key|Value] with the new key; with `updateOnly` an absent
 * key gives undefined.
 */
function hamtInsert(b: Builder, map: Term, key: Term, value: Term, updateOnly: boolean): Term | undefined {
  let h = mapKeyHash(b, key, 0);
  const steps: PathStep[] = [];
  let node = ptrVal(map);
  let isHead = true;
  let level = 0;
  let sub: Term;
  let added = 0;
  for (;;) {
    const w = b.mem.i32;
    const bitmap = mapHeaderVal(w[node]!);
    const bit = 1 << ((h >>> ((level & 7) * 4)) & 15);
    const pos = popcount(bitmap & (bit - 1));
    steps.push({ node, isHead, bitmap, bit, pos });
    if ((bitmap & bit) === 0) {
      if (updateOnly) return undefined;
      sub = mkLeaf(b, key, value);
      added = 1;
      break;
    }
    const child = w[node + (isHead ? 2 : 1) + pos]!;
    if (isList(child)) {
      const cell = ptrVal(child);
      const oldKey = w[cell]!;
      if (sameKey(b, oldKey, key)) {
        if (oldKey === key && b.mem.i32[cell + 1] === value) return map;
        sub = mkLeaf(b, key, value);
        break;
      }
      if (updateOnly) return undefined;
      sub = twoLeaves(b, child, oldKey, mkLeaf(b, key, value), key, level + 1);
      added = 1;
      break;
    }
    node = ptrVal(child);
    isHead = false;
    level++;
    if ((level & 7) === 0) h = mapKeyHash(b, key, level >>> 3);
  }
  for (let k = steps.length - 1; k >= 0; k--) sub = copyNode(b, steps[k]!, sub, added);
  return sub;
}

/** maps:remove/2: the map without key (the same map if key is absent). */
export function mapRemove(b: Builder, map: Term, key: Term): Term {
  return mapTake(b, map, key)?.map ?? map;
}

/** maps:take/2: key's value and the map without it, or undefined if key is absent. */
export function mapTake(b: Builder, map: Term, key: Term): { value: Term; map: Term } | undefined {
  const p = ptrVal(map);
  if (mapHeaderKind(b.mem.i32[p]!) === MAP_KIND_FLAT) {
    const i = flatIndex(b, p, key);
    if (i < 0) return undefined;
    return { value: b.mem.i32[p + 3 + i]!, map: flatDelete(b, p, i) };
  }
  return hamtDelete(b, map, key);
}

function hamtDelete(b: Builder, map: Term, key: Term): { value: Term; map: Term } | undefined {
  let h = mapKeyHash(b, key, 0);
  const steps: PathStep[] = [];
  let node = ptrVal(map);
  let isHead = true;
  let level = 0;
  let value: Term;
  for (;;) {
    const w = b.mem.i32;
    const bitmap = mapHeaderVal(w[node]!);
    const bit = 1 << ((h >>> ((level & 7) * 4)) & 15);
    if ((bitmap & bit) === 0) return undefined;
    const pos = popcount(bitmap & (bit - 1));
    steps.push({ node, isHead, bitmap, bit, pos });
    const child = w[node + (isHead ? 2 : 1) + pos]!;
    if (isList(child)) {
      const cell = ptrVal(child);
      if (!sameKey(b, w[cell]!, key)) return undefined;
      value = w[cell + 1]!;
      break;
    }
    node = ptrVal(child);
    isHead = false;
    level++;
    if ((level & 7) === 0) h = mapKeyHash(b, key, level >>> 3);
  }
  const size = b.mem.i32[ptrVal(map) + 1]!;
  if (size - 1 <= FLATMAP_LIMIT) {
    // Back to a flatmap, as OTP does when a hashmap shrinks to the limit.
    const keys: Term[] = [];
    const values: Term[] = [];
    for (const [k, v] of mapEntries(b, map)) {
      if (sameKey(b, k, key)) continue;
      keys.push(k);
      values.push(v);
    }
    const s = sortedLastWins(b, keys, values);
    return { value, map: mkFlatmap(b, s.keys, s.values) };
  }
  // Rebuild the path bottom-up; a leaf left alone in a node moves up to its parent.
  let sub: Term = THE_NON_VALUE;
  for (let k = steps.length - 1; k >= 0; k--) {
    const s = steps[k]!;
    const w = b.mem.i32;
    const n = popcount(s.bitmap);
    if (!s.isHead) {
      if (sub === THE_NON_VALUE && n === 2) {
        const other = w[s.node + 1 + (s.pos === 0 ? 1 : 0)]!;
        if (isList(other)) {
          sub = other;
          continue;
        }
      } else if (sub !== THE_NON_VALUE && isList(sub) && n === 1) {
        continue;
      } else if (sub === THE_NON_VALUE && n === 1) {
        continue;
      }
    }
    sub = copyNode(b, s, sub, -1);
  }
  return { value, map: sub };
}

// ================================================================ many keys at once (put_map_assoc, put_map_exact)

/**
 * put_map_assoc: map with every key set to its value, as one new map (for a
 * flatmap one keys tuple and one map, or none when nothing changes). The
 * loader gives the keys sorted in map-key order; any order works, and of
 * equal keys the last one wins. A flatmap keeps its old key for a key it
 * has; past 32 keys the result is a HAMT.
 */
export function mapPutAssoc(b: Builder, map: Term, keys: readonly Term[], values: readonly Term[]): Term {
  if (keys.length === 1) return mapPut(b, map, keys[0]!, values[0]!);
  const p = ptrVal(map);
  if (mapHeaderKind(b.mem.i32[p]!) !== MAP_KIND_FLAT) {
    let m = map;
    for (let i = 0; i < keys.length; i++) m = hamtInsert(b, m, keys[i]!, values[i]!, false)!;
    return m;
  }
  let nk = keys;
  let nv = values;
  if (!isStrictlySorted(b, keys)) ({ keys: nk, values: nv } = sortedLastWins(b, keys, values));
  const w = b.mem.i32;
  const n = w[p + 1]!;
  const okp = ptrVal(w[p + 2]!) + 1;
  // Merge the two sorted key lists.
  const rk: Term[] = [];
  const rv: Term[] = [];
  let i = 0;
  let j = 0;
  let changedValues = false;
  while (i < n && j < nk.length) {
    const ok = b.mem.i32[okp + i]!;
    const c = ok === nk[j] ? 0 : compareMapKeys(b, ok, nk[j]!);
    if (c < 0) {
      rk.push(ok);
      rv.push(b.mem.i32[p + 3 + i]!);
      i++;
    } else if (c > 0) {
      rk.push(nk[j]!);
      rv.push(nv[j]!);
      j++;
    } else {
      if (b.mem.i32[p + 3 + i] !== nv[j]) changedValues = true;
      rk.push(ok);
      rv.push(nv[j]!);
      i++;
      j++;
    }
  }
  for (; i < n; i++) {
    rk.push(b.mem.i32[okp + i]!);
    rv.push(b.mem.i32[p + 3 + i]!);
  }
  for (; j < nk.length; j++) {
    rk.push(nk[j]!);
    rv.push(nv[j]!);
  }
  if (rk.length === n) return changedValues ? mkFlatmapOnKeys(b, b.mem.i32[p + 2]!, rv) : map;
  return rk.length <= FLATMAP_LIMIT ? mkFlatmap(b, rk, rv) : buildHamt(b, rk, rv);
}

/**
 * put_map_exact: map with the value of every key replaced, or THE_NON_VALUE
 * if one of the keys is absent (then firstMissingKey names it for
 * {badkey, Key}). The old keys tuple is shared; a hashmap takes the new keys.
 */
export function mapPutExact(b: Builder, map: Term, keys: readonly Term[], values: readonly Term[]): Term {
  const p = ptrVal(map);
  if (mapHeaderKind(b.mem.i32[p]!) !== MAP_KIND_FLAT) {
    let m = map;
    for (let i = 0; i < keys.length; i++) {
      const next = hamtInsert(b, m, keys[i]!, values[i]!, true);
      if (next === undefined) return THE_NON_VALUE;
      m = next;
    }
    return m;
  }
  const idx: number[] = [];
  for (const k of keys) {
    const i = flatIndex(b, p, k);
    if (i < 0) return THE_NON_VALUE;
    idx.push(i);
  }
  const w = b.mem.i32;
  const n = w[p + 1]!;
  const vs = readWords(w, p + 3, n);
  let changed = false;
  for (let j = 0; j < idx.length; j++) {
    if (vs[idx[j]!] !== values[j]) changed = true;
    vs[idx[j]!] = values[j]!;
  }
  return changed ? mkFlatmapOnKeys(b, w[p + 2]!, vs) : map;
}

/** The first of keys (in their order) that map lacks, or undefined. */
export function firstMissingKey(ctx: TermContext, map: Term, keys: readonly Term[]): Term | undefined {
  for (const k of keys) if (mapGet(ctx, map, k) === undefined) return k;
  return undefined;
}

// ================================================================ merge

/**
 * maps:merge/2: the entries of both, the second map's key and value where
 * both have a key. Two HAMTs are merged node by node, sharing what only one
 * side has; a flatmap and a HAMT by inserting the flatmap's entries.
 */
export function mapMerge(b: Builder, a: Term, c: Term): Term {
  const w = b.mem.i32;
  const pa = ptrVal(a);
  const pc = ptrVal(c);
  const flatA = mapHeaderKind(w[pa]!) === MAP_KIND_FLAT;
  const flatC = mapHeaderKind(w[pc]!) === MAP_KIND_FLAT;
  if (flatA && flatC) {
    const na = w[pa + 1]!;
    const nc = w[pc + 1]!;
    if (na === 0) return c;
    if (nc === 0) return a;
    const A = flatArrays(b, pa);
    const C = flatArrays(b, pc);
    const rk: Term[] = [];
    const rv: Term[] = [];
    let i = 0;
    let j = 0;
    while (i < na && j < nc) {
      const r = A.keys[i] === C.keys[j] ? 0 : compareMapKeys(b, A.keys[i]!, C.keys[j]!);
      if (r < 0) {
        rk.push(A.keys[i]!);
        rv.push(A.values[i++]!);
      } else {
        rk.push(C.keys[j]!);
        rv.push(C.values[j++]!);
        if (r === 0) i++;
      }
    }
    for (; i < na; i++) {
      rk.push(A.keys[i]!);
      rv.push(A.values[i]!);
    }
    for (; j < nc; j++) {
      rk.push(C.keys[j]!);
      rv.push(C.values[j]!);
    }
    return rk.length <= FLATMAP_LIMIT ? mkFlatmap(b, rk, rv) : buildHamt(b, rk, rv);
  }
  if (flatC) {
    const C = flatArrays(b, pc);
    let m = a;
    for (let i = 0; i < C.keys.length; i++) m = hamtInsert(b, m, C.keys[i]!, C.values[i]!, false)!;
    return m;
  }
  if (flatA) {
    // The second map's entries win: add only the keys it lacks.
    const A = flatArrays(b, pa);
    let m = c;
    for (let i = 0; i < A.keys.length; i++) {
      if (mapGet(b, m, A.keys[i]!) === undefined) m = hamtInsert(b, m, A.keys[i]!, A.values[i]!, false)!;
    }
    return m;
  }
  const merger = new HamtMerge(b);
  const root = merger.merge(a, c, 0);
  const size = w[pa + 1]! + b.mem.i32[pc + 1]! - merger.duplicates;
  return root === a || root === c ? root : rehead(b, root, size);
}

/** A head from the merged root (written as an inner node by the merge) with the map's size. */
function rehead(b: Builder, root: Term, size: number): Term {
  const w0 = b.mem.i32;
  const p = ptrVal(root);
  const bitmap = mapHeaderVal(w0[p]!);
  const n = popcount(bitmap);
  const kids = readWords(w0, p + 1, n);
  return writeHead(b, bitmap, kids, size);
}

/** Merging two HAMTs level by level (OTP's hashmap_merge, recursive: depth is bounded by the levels). */
class HamtMerge {
  duplicates = 0;
  constructor(private readonly b: Builder) {}

  /** The children of a head or node (bitmap and child words), or of a leaf seen as a node at this level. */
  private view(t: Term, level: number): { bitmap: number; kids: Term[] } {
    const w = this.b.mem.i32;
    if (isList(t)) return { bitmap: 1 << nibbleAt(this.b, w[ptrVal(t)]!, level), kids: [t] };
    const p = ptrVal(t);
    const hdr = w[p]!;
    const bitmap = mapHeaderVal(hdr);
    const first = mapHeaderKind(hdr) === MAP_KIND_HAMT_NODE ? p + 1 : p + 2;
    return { bitmap, kids: readWords(w, first, popcount(bitmap)) };
  }

  /** The merge of subtrees a and c at `level` (either may be a leaf); a node, or a leaf. */
  merge(a: Term, c: Term, level: number): Term {
    const b = this.b;
    if (a === c) {
      this.duplicates += isList(a) ? 1 : subtreeSize(b, a);
      return a;
    }
    if (isList(a) && isList(c)) {
      const w = b.mem.i32;
      if (sameKey(b, w[ptrVal(a)]!, w[ptrVal(c)]!)) {
        this.duplicates++;
        return c;
      }
    }
    if (level >= MAX_LEVELS) throw new Error('maps: keys whose hashes never separate');
    const A = this.view(a, level);
    const C = this.view(c, level);
    const bitmap = A.bitmap | C.bitmap;
    const kids: Term[] = [];
    let ia = 0;
    let ic = 0;
    let sameAsA = !isList(a) && level > 0;
    let sameAsC = !isList(c) && level > 0;
    for (let bits = bitmap; bits !== 0; bits &= bits - 1) {
      const bit = bits & -bits;
      let kid: Term;
      if (A.bitmap & bit && C.bitmap & bit) kid = this.merge(A.kids[ia++]!, C.kids[ic++]!, level + 1);
      else if (A.bitmap & bit) kid = A.kids[ia++]!;
      else kid = C.kids[ic++]!;
      if (kid !== A.kids[ia - 1] || !(A.bitmap & bit)) sameAsA = false;
      if (kid !== C.kids[ic - 1] || !(C.bitmap & bit)) sameAsC = false;
      kids.push(kid);
    }
    // Reuse a side's node when the merge changed nothing under it.
    if (sameAsA && bitmap === A.bitmap) return a;
    if (sameAsC && bitmap === C.bitmap) return c;
    return writeNode(b, bitmap, kids);
  }
}

/** The number of leaves under a HAMT node. */
function subtreeSize(ctx: TermContext, t: Term): number {
  const w = ctx.mem.i32;
  let n = 0;
  const stack = [t];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (isList(x)) {
      n++;
      continue;
    }
    const p = ptrVal(x);
    const hdr = w[p]!;
    const first = mapHeaderKind(hdr) === MAP_KIND_HAMT_NODE ? p + 1 : p + 2;
    for (let i = popcount(mapHeaderVal(hdr)) - 1; i >= 0; i--) stack.push(w[first + i]!);
  }
  return n;
}

// ================================================================ lists

/** maps:keys/1: the keys in maps:to_list/1 order. */
export function mapKeys(b: Builder, map: Term): Term {
  return listOf(b, mapToListEntries(b, map), (e) => e[0]);
}

/** maps:values/1: the values in maps:to_list/1 order. */
export function mapValues(b: Builder, map: Term): Term {
  return listOf(b, mapToListEntries(b, map), (e) => e[1]);
}

/** maps:to_list/1: [{K, V}] in its order (key order for a flatmap, the HAMT walk reversed for a hashmap). */
export function mapToList(b: Builder, map: Term): Term {
  const entries = mapToListEntries(b, map);
  const n = entries.length;
  if (n === 0) return NIL;
  const at = b.alloc(5 * n);
  const w = b.mem.i32;
  for (let i = 0; i < n; i++) {
    const t = at + 2 * n + 3 * i;
    w[t] = makeHeader(2, SUB_TUPLE);
    w[t + 1] = entries[i]![0];
    w[t + 2] = entries[i]![1];
    w[at + 2 * i] = makeBoxed(t);
    w[at + 2 * i + 1] = i + 1 < n ? makeList(at + 2 * i + 2) : NIL;
  }
  return makeList(at);
}

function listOf(b: Builder, entries: Array<[Term, Term]>, pick: (e: [Term, Term]) => Term): Term {
  const n = entries.length;
  if (n === 0) return NIL;
  const at = b.alloc(2 * n);
  const w = b.mem.i32;
  for (let i = 0; i < n; i++) {
    w[at + 2 * i] = pick(entries[i]!);
    w[at + 2 * i + 1] = i + 1 < n ? makeList(at + 2 * i + 2) : NIL;
  }
  return makeList(at);
}

// ================================================================ erts_internal:map_next/3

/** How many entries one map_next call returns at most (OTP: the caller's reductions left / 4; a full slice gives 1000). */
export const MAP_NEXT_BUDGET = 1000;

/** 4 bits of path per HAMT level, first level lowest. */
const PATH_BITS = 4;

/**
 * erts_internal:map_next(Path, Map, Acc), behind maps:next/1 and
 * maps:to_list/1. Acc is the atom `iterator` (give {K1, V1, {K2, V2, ...
 * none | [NextPath | Map]}}) or a list (give [NextPath, Map, {Kn, Vn}, ...,
 * {K1, V1} | Acc], or [{Kn, Vn}, ..., {K1, V1} | Acc] at the end; a
 * flatmap's list is in key order instead). A flatmap comes whole; a hashmap in chunks of at most `budget` entries (32
 * for the first call, Path 0), Path giving the slot to take at each level
 * of the HAMT, 4 bits a level from the low end. THE_NON_VALUE for badarg.
 */
export function mapNext(b: Builder, path: Term, map: Term, acc: Term, budget = MAP_NEXT_BUDGET): Term {
  if (!isMapTerm(b, map)) return THE_NON_VALUE;
  const iteratorMode = acc === b.atoms.intern('iterator');
  if (!iteratorMode && acc !== NIL && !isList(acc)) return THE_NON_VALUE;
  const p = ptrVal(map);
  const w = b.mem.i32;
  const keys: Term[] = [];
  const values: Term[] = [];
  if (mapHeaderKind(w[p]!) === MAP_KIND_FLAT) {
    // The whole map, whatever the path (up to its size); as a list in key order, so consed from the last.
    const n = w[p + 1]!;
    if (!isSmall(path) || smallVal(path) < 0 || smallVal(path) > n) return THE_NON_VALUE;
    const kp = ptrVal(w[p + 2]!) + 1;
    for (let j = 0; j < n; j++) {
      const i = iteratorMode ? j : n - 1 - j;
      keys.push(w[kp + i]!);
      values.push(w[p + 3 + i]!);
    }
    return chunkResult(b, keys, values, iteratorMode, acc, undefined, map);
  }
  const nibbles = pathNibbles(b, path);
  if (nibbles === undefined) return THE_NON_VALUE;
  const size = w[p + 1]!;
  let elems = Math.min(Math.max(budget, 1), size);
  if (path === makeSmall(0) && elems > FLATMAP_LIMIT) elems = FLATMAP_LIMIT;

  // Frames: a node's first child slot, its child count, and one past the child being visited.
  const fBase: number[] = [];
  const fSize: number[] = [];
  const fNext: number[] = [];
  const emit = (cell: number): void => {
    keys.push(w[cell]!);
    values.push(w[cell + 1]!);
    elems--;
  };
  // Down the path to the first leaf to return (then along first children).
  let base = p + 2;
  let count = popcount(mapHeaderVal(w[p]!));
  for (let level = 0; ; level++) {
    const slot = nibbles(level);
    if (slot >= count) return THE_NON_VALUE;
    fBase.push(base);
    fSize.push(count);
    fNext.push(slot + 1);
    const child = w[base + slot]!;
    if (isList(child)) {
      emit(ptrVal(child));
      break;
    }
    const node = ptrVal(child);
    base = node + 1;
    count = popcount(mapHeaderVal(w[node]!));
  }
  // On in walk order until `elems` are taken.
  while (fBase.length > 0) {
    const fb = fBase.pop()!;
    const fs = fSize.pop()!;
    let idx = fNext.pop()!;
    while (idx < fs && elems > 0 && isList(w[fb + idx]!)) emit(ptrVal(w[fb + idx++]!));
    if (elems === 0) {
      if (idx < fs) {
        fBase.push(fb);
        fSize.push(fs);
        fNext.push(idx + 1);
      } else {
        // The next entry is under the nearest ancestor with children left.
        while (fBase.length > 0) {
          const top = fBase.length - 1;
          if (fNext[top]! < fSize[top]!) {
            fNext[top]!++;
            break;
          }
          fBase.pop();
          fSize.pop();
          fNext.pop();
        }
      }
      break;
    }
    if (idx < fs) {
      fBase.push(fb);
      fSize.push(fs);
      fNext.push(idx + 1);
      const node = ptrVal(w[fb + idx]!);
      fBase.push(node + 1);
      fSize.push(popcount(mapHeaderVal(w[node]!)));
      fNext.push(0);
    }
  }
  let next: Term | undefined;
  if (fBase.length > 0) {
    // The slot to resume from at each level, the root's in the lowest bits.
    let v = 0n;
    for (let k = fNext.length - 1; k >= 0; k--) v = (v << BigInt(PATH_BITS)) | BigInt(fNext[k]! - 1);
    next = mkInt(b, v);
  }
  return chunkResult(b, keys, values, iteratorMode, acc, next, map);
}

/** The slot of each level a path gives, or undefined for a path that is not a non-negative integer (a negative small is read as its 60 bits, as OTP's unsigned_val does). */
function pathNibbles(ctx: TermContext, path: Term): ((level: number) => number) | undefined {
  let v: bigint;
  if (isSmall(path)) {
    const n = smallVal(path);
    if (n >= 0) return (level) => (level < 7 ? (n >>> (PATH_BITS * level)) & 15 : 0);
    v = BigInt(n);
  } else if (isBoxed(path) && (boxedSubtag(ctx, path) === SUB_POS_BIG || boxedSubtag(ctx, path) === SUB_NEG_BIG)) {
    v = bignumValue(ctx, path);
  } else {
    return undefined;
  }
  if (v < 0n) {
    // Only a small of the 64-bit VM (60 bits) may be negative: OTP reads its bits unsigned.
    if (v < SMALL64_MIN) return undefined;
    v = BigInt.asUintN(60, v);
  }
  const u = v;
  return (level) => Number((u >> BigInt(PATH_BITS * level)) & 15n);
}

const SMALL64_MIN = -(1n << 59n);
const boxedSubtag = (ctx: TermContext, t: Term): number => headerSubtag(ctx.mem.i32[ptrVal(t)]!);

function chunkResult(
  b: Builder,
  keys: Term[],
  values: Term[],
  iteratorMode: boolean,
  acc: Term,
  next: Term | undefined,
  map: Term,
): Term {
  const n = keys.length;
  if (iteratorMode) {
    let tail: Term;
    if (next === undefined) tail = b.atoms.intern('none');
    else {
      const c = b.alloc(2);
      b.mem.i32[c] = next;
      b.mem.i32[c + 1] = map;
      tail = makeList(c);
    }
    if (n === 0) return tail;
    // {K1, V1, {K2, V2, ... Tail}}, the first tuple first in memory.
    const at = b.alloc(4 * n);
    const w = b.mem.i32;
    for (let i = 0; i < n; i++) {
      const t = at + 4 * i;
      w[t] = makeHeader(3, SUB_TUPLE);
      w[t + 1] = keys[i]!;
      w[t + 2] = values[i]!;
      w[t + 3] = i + 1 < n ? makeBoxed(t + 4) : tail;
    }
    return makeBoxed(at);
  }
  let res = acc;
  if (n > 0) {
    const at = b.alloc(5 * n);
    const w = b.mem.i32;
    for (let i = 0; i < n; i++) {
      const t = at + 5 * i;
      w[t] = makeHeader(2, SUB_TUPLE);
      w[t + 1] = keys[i]!;
      w[t + 2] = values[i]!;
      w[t + 3] = makeBoxed(t);
      w[t + 4] = res;
      res = makeList(t + 3);
    }
  }
  if (next !== undefined) {
    const c = b.alloc(4);
    const w = b.mem.i32;
    w[c] = map;
    w[c + 1] = res;
    w[c + 2] = next;
    w[c + 3] = makeList(c);
    res = makeList(c + 2);
  }
  return res;
}
