/**
 * ETS tables in shared memory: the registry (table id → table, name → table),
 * the table headers, the objects and the index structures are all blocks of
 * the VM's one SharedArrayBuffer, so a process on any scheduler thread can use
 * any table. JS holds nothing but the code.
 *
 *   registry block (Slot.EtsRegistry)
 *   [lock][free slot list][next fresh slot][live tables][names block][names capacity][names used][-]
 *   [directory: DIR_SIZE words, each 0 or a chunk of CHUNK_SLOTS table headers]
 *
 *   table header (TABLE_WORDS words inside a chunk; chunks are never freed, so
 *   a header's lock word stays valid memory whatever happens to the table)
 *   [lock][generation][status][flags][keypos][owner pid][name atom][heir pid | none]
 *   [heir data object][size][index block][index capacity][object words][fix count][fix pid][next free]
 *
 *   object block: [next in bucket][key hash][off-heap list][term words][root term][term data...]
 *   The root term is the stored tuple; its words point inside the block. Off-heap
 *   binaries are shared with their reference count raised (gc/copy.ts); the
 *   off-heap list lets the block give them back when the object is deleted.
 *
 * A table id is a reference whose three id words are (slot index, generation,
 * ETS_REF_MAGIC): deleting a table bumps its slot's generation, so a stale id
 * never reaches the next table in the slot.
 *
 * Index: set, bag and duplicate_bag tables use linear hashing as OTP 25's
 * hash tables do (256 buckets to start, one bucket split whenever there are
 * more objects than buckets, joined again below half), chains linked through
 * the object's first word, keyed by the atom hash or the internal hash, so
 * that scans come out in the real VM's order (see insertBlock for the chain
 * order).
 * ordered_set tables keep a sorted array of object blocks, searched with the
 * term order of vm/term/compare.ts (so 1 and 1.0 are one key).
 *
 * Locking: each table has an Atomics mutex in its header, taken for every
 * operation (lookups too: a reader copies the object out while holding it,
 * so a concurrent delete cannot free it under the copy). The registry's mutex
 * is taken for creation, deletion, renaming and name lookups; the order is
 * always registry → table → allocator, never the other way.
 */
import { Slot } from '../../scheduler/layout.js';
import { copyTerm, sizeOfTerm } from '../../gc/copy.js';
import { releaseOffHeapBlock } from '../process.js';
import type { Memory } from '../memory.js';
import { compare, exactEqual } from '../term/compare.js';
import type { TermContext } from '../term/heap.js';
import { termInternalHash } from '../term/internal_hash.js';
import type { Builder } from '../term/make.js';
import { SUB_REF, type Term, atomVal, headerArity, headerSubtag, isAtom, isBoxed, makeBoxed, makeHeader, ptrVal } from '../term/tags.js';

export const enum TableType {
  Set = 0,
  OrderedSet = 1,
  Bag = 2,
  DuplicateBag = 3,
}
export const enum Access {
  Public = 0,
  Protected = 1,
  Private = 2,
}

// ---- registry
const R_LOCK = 0;
const R_FREE = 1;
const R_NEXT = 2;
const R_COUNT = 3;
const R_NAMES = 4;
const R_NAMES_CAP = 5;
const R_NAMES_USED = 6;
const R_DIR = 8;
const DIR_SIZE = 1024;
const CHUNK_SHIFT = 8;
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;
export const MAX_TABLES = DIR_SIZE * CHUNK_SLOTS;
const REGISTRY_WORDS = R_DIR + DIR_SIZE;
const NAME_TOMBSTONE = 1; // never an atom term

// ---- table header
export const T_LOCK = 0;
export const T_GEN = 1;
export const T_STATUS = 2;
export const T_FLAGS = 3;
export const T_KEYPOS = 4;
export const T_OWNER = 5;
export const T_NAME = 6;
export const T_HEIR = 7;
export const T_HEIR_DATA = 8;
export const T_SIZE = 9;
export const T_INDEX = 10;
export const T_CAP = 11;
export const T_WORDS = 12;
export const T_FIX = 13;
export const T_FIX_PID = 14;
const T_NEXT_FREE = 15;
export const T_SLOT = 16;
/** Hash tables: the bucket mask of linear hashing, and the bucket array's allocated length. */
const T_SZM = 17;
const T_BCAP = 18;
const TABLE_WORDS = 32;

// flags word
export const F_TYPE_MASK = 0x3;
export const F_ACCESS_SHIFT = 2;
export const F_NAMED = 1 << 4;
export const F_READ_CONC = 1 << 5;
export const F_WRITE_CONC = 1 << 6;
export const F_WRITE_CONC_AUTO = 1 << 7;
export const F_COMPRESSED = 1 << 8;
export const F_DECENTRALIZED = 1 << 9;

// ---- objects
export const O_NEXT = 0;
export const O_HASH = 1;
const O_OFFHEAP = 2;
const O_WORDS = 3;
export const O_ROOT = 4;
const OBJ_HDR = 5;

/** The third id word of a table reference (tells it from make_ref's, whose third word is 0). */
export const ETS_REF_MAGIC = 0x45545331;

/** As the real VM's hash tables: 256 buckets to start with, never fewer. */
const INITIAL_BUCKETS = 256;
const INITIAL_ORDERED = 16;

// ---------------------------------------------------------------- registry

function registry(mem: Memory): number {
  const r = Atomics.load(mem.i32, Slot.EtsRegistry);
  if (r !== 0) return r;
  mem.lock(Slot.EtsInitLock);
  try {
    let reg = mem.i32[Slot.EtsRegistry]!;
    if (reg === 0) {
      reg = mem.allocZeroed(REGISTRY_WORDS);
      const names = mem.allocZeroed(2 * 64);
      mem.refresh();
      mem.i32[reg + R_NAMES] = names;
      mem.i32[reg + R_NAMES_CAP] = 64;
      Atomics.store(mem.i32, Slot.EtsRegistry, reg);
    }
    return reg;
  } finally {
    mem.unlock(Slot.EtsInitLock);
  }
}

/** Header address of a slot, or 0 when its chunk does not exist. */
function slotAddr(mem: Memory, reg: number, idx: number): number {
  if (idx < 0 || idx >= MAX_TABLES) return 0;
  const chunk = Atomics.load(mem.i32, reg + R_DIR + (idx >>> CHUNK_SHIFT));
  return chunk === 0 ? 0 : chunk + (idx & (CHUNK_SLOTS - 1)) * TABLE_WORDS;
}

const nameHash = (atom: Term): number => Math.imul(atomVal(atom) + 1, 0x9e3779b1) >>> 0;

/** Registry lock held. Slot index of the named table, or -1. */
function nameFind(mem: Memory, reg: number, name: Term): number {
  const w = mem.i32;
  const cap = w[reg + R_NAMES_CAP]!;
  const names = w[reg + R_NAMES]!;
  for (let i = nameHash(name) & (cap - 1), n = 0; n < cap; i = (i + 1) & (cap - 1), n++) {
    const k = w[names + 2 * i]!;
    if (k === 0) return -1;
    if (k === name) return w[names + 2 * i + 1]!;
  }
  return -1;
}

function nameInsert(mem: Memory, reg: number, name: Term, slot: number): void {
  let w = mem.i32;
  if ((w[reg + R_NAMES_USED]! + 1) * 2 > w[reg + R_NAMES_CAP]!) {
    // Rehash (dropping tombstones) into a table twice the size.
    const oldCap = w[reg + R_NAMES_CAP]!;
    const old = w[reg + R_NAMES]!;
    const cap = oldCap * 2;
    const names = mem.allocZeroed(2 * cap);
    mem.refresh();
    w = mem.i32;
    let used = 0;
    for (let i = 0; i < oldCap; i++) {
      const k = w[old + 2 * i]!;
      if (k === 0 || k === NAME_TOMBSTONE) continue;
      let j = nameHash(k) & (cap - 1);
      while (w[names + 2 * j] !== 0) j = (j + 1) & (cap - 1);
      w[names + 2 * j] = k;
      w[names + 2 * j + 1] = w[old + 2 * i + 1]!;
      used++;
    }
    w[reg + R_NAMES] = names;
    w[reg + R_NAMES_CAP] = cap;
    w[reg + R_NAMES_USED] = used;
    mem.free(old);
    w = mem.i32;
  }
  const cap = w[reg + R_NAMES_CAP]!;
  const names = w[reg + R_NAMES]!;
  let i = nameHash(name) & (cap - 1);
  while (w[names + 2 * i] !== 0 && w[names + 2 * i] !== NAME_TOMBSTONE) i = (i + 1) & (cap - 1);
  if (w[names + 2 * i] === 0) w[reg + R_NAMES_USED]!++;
  w[names + 2 * i] = name;
  w[names + 2 * i + 1] = slot;
}

function nameRemove(mem: Memory, reg: number, name: Term): void {
  const w = mem.i32;
  const cap = w[reg + R_NAMES_CAP]!;
  const names = w[reg + R_NAMES]!;
  for (let i = nameHash(name) & (cap - 1), n = 0; n < cap; i = (i + 1) & (cap - 1), n++) {
    const k = w[names + 2 * i]!;
    if (k === 0) return;
    if (k === name) {
      w[names + 2 * i] = NAME_TOMBSTONE;
      return;
    }
  }
}

export interface TableOptions {
  type: TableType;
  access: Access;
  named: boolean;
  keypos: number;
  flags: number;
  heir: Term;
  /** Heir data already stored as an object block (0 when none). */
  heirData: number;
}

/** Creates a table owned by `owner`; returns its header address, or 0 if a named table of that name exists. */
export function createTable(mem: Memory, name: Term, owner: Term, o: TableOptions): number {
  const reg = registry(mem);
  mem.lock(reg + R_LOCK);
  try {
    let w = mem.i32;
    if (o.named && nameFind(mem, reg, name) >= 0) return 0;
    let idx: number;
    const free = w[reg + R_FREE]!;
    if (free !== 0) {
      idx = free - 1;
      w[reg + R_FREE] = w[slotAddr(mem, reg, idx) + T_NEXT_FREE]!;
    } else {
      idx = w[reg + R_NEXT]!;
      if (idx >= MAX_TABLES) throw new Error('ets: table limit reached');
      if ((idx & (CHUNK_SLOTS - 1)) === 0) {
        const chunk = mem.allocZeroed(CHUNK_SLOTS * TABLE_WORDS);
        mem.refresh();
        Atomics.store(mem.i32, reg + R_DIR + (idx >>> CHUNK_SHIFT), chunk);
      }
      w = mem.i32;
      w[reg + R_NEXT] = idx + 1;
    }
    w = mem.i32;
    const t = slotAddr(mem, reg, idx);
    w[t + T_FLAGS] = o.type | (o.access << F_ACCESS_SHIFT) | (o.named ? F_NAMED : 0) | o.flags;
    w[t + T_KEYPOS] = o.keypos;
    w[t + T_OWNER] = owner;
    w[t + T_NAME] = name;
    w[t + T_HEIR] = o.heir;
    w[t + T_HEIR_DATA] = o.heirData;
    newIndex(mem, t);
    w = mem.i32;
    w[t + T_FIX] = 0;
    w[t + T_FIX_PID] = 0;
    w[t + T_SLOT] = idx;
    Atomics.store(w, t + T_STATUS, 1);
    if (o.named) nameInsert(mem, reg, name, idx);
    w = mem.i32;
    w[reg + R_COUNT]!++;
    return t;
  } finally {
    mem.unlock(reg + R_LOCK);
  }
}

/** The table a reference names (header address) or 0; the caller locks it and checks `alive`. */
export function tableOfRef(ctx: TermContext, t: Term): number {
  if (!isBoxed(t)) return 0;
  const mem = ctx.mem;
  const w = mem.i32;
  const a = ptrVal(t);
  if (w[a] !== makeHeader(3, SUB_REF) || w[a + 3] !== ETS_REF_MAGIC) return 0;
  const reg = Atomics.load(w, Slot.EtsRegistry);
  if (reg === 0) return 0;
  const addr = slotAddr(mem, reg, w[a + 1]!);
  if (addr === 0 || Atomics.load(mem.i32, addr + T_GEN) !== w[a + 2]) return 0;
  return addr;
}

/** The named table's header address, or 0. */
export function tableOfName(mem: Memory, name: Term): number {
  const reg = Atomics.load(mem.i32, Slot.EtsRegistry);
  if (reg === 0) return 0;
  mem.lock(reg + R_LOCK);
  try {
    const idx = nameFind(mem, reg, name);
    return idx < 0 ? 0 : slotAddr(mem, reg, idx);
  } finally {
    mem.unlock(reg + R_LOCK);
  }
}

/** The header of the table `tab` (an id or a name) or 0, before locking. */
export function findTable(ctx: TermContext, tab: Term): number {
  if (isAtom(tab)) return tableOfName(ctx.mem, tab);
  return tableOfRef(ctx, tab);
}

/** After locking: the table is alive and is still the one `tab` names (the generation of a ref, the name of an atom). */
export function stillNamed(ctx: TermContext, t: number, tab: Term, gen: number): boolean {
  const w = ctx.mem.i32;
  if (w[t + T_STATUS] !== 1 || w[t + T_GEN] !== gen) return false;
  if (isAtom(tab)) return (w[t + T_FLAGS]! & F_NAMED) !== 0 && w[t + T_NAME] === tab;
  return true;
}

export function lockTable(mem: Memory, t: number): void {
  mem.lock(t + T_LOCK);
}
export function unlockTable(mem: Memory, t: number): void {
  mem.unlock(t + T_LOCK);
}

/** The id reference of a table, built with `b`. */
export function tableRef(b: Builder, t: number): Term {
  const at = b.alloc(4);
  const w = b.mem.i32;
  w[at] = makeHeader(3, SUB_REF);
  w[at + 1] = w[t + T_SLOT]!;
  w[at + 2] = w[t + T_GEN]!;
  w[at + 3] = ETS_REF_MAGIC;
  return makeBoxed(at);
}

export const isEtsRef = (ctx: TermContext, t: Term): boolean =>
  isBoxed(t) && ctx.mem.i32[ptrVal(t)] === makeHeader(3, SUB_REF) && ctx.mem.i32[ptrVal(t) + 3] === ETS_REF_MAGIC;

/**
 * Unlinks the table from the registry (the table lock and the registry lock
 * are taken here, in that order's reverse: registry first). Returns true when
 * this call deleted it; its objects are then freed by `freeTableContents`.
 */
export function unregisterTable(mem: Memory, t: number, gen: number): boolean {
  const reg = registry(mem);
  mem.lock(reg + R_LOCK);
  try {
    lockTable(mem, t);
    try {
      const w = mem.i32;
      if (w[t + T_STATUS] !== 1 || w[t + T_GEN] !== gen) return false;
      Atomics.store(w, t + T_STATUS, 0);
      Atomics.store(w, t + T_GEN, (gen + 1) | 0);
      if ((w[t + T_FLAGS]! & F_NAMED) !== 0) nameRemove(mem, reg, w[t + T_NAME]!);
      w[t + T_NEXT_FREE] = w[reg + R_FREE]!;
      w[reg + R_FREE] = w[t + T_SLOT]! + 1;
      w[reg + R_COUNT]!--;
      return true;
    } finally {
      unlockTable(mem, t);
    }
  } finally {
    mem.unlock(reg + R_LOCK);
  }
}

/** Renames a table (registry lock, then the table's). False when the new name is taken. */
export function renameTable(mem: Memory, t: number, gen: number, name: Term): boolean | undefined {
  const reg = registry(mem);
  mem.lock(reg + R_LOCK);
  try {
    lockTable(mem, t);
    try {
      const w = mem.i32;
      if (w[t + T_STATUS] !== 1 || w[t + T_GEN] !== gen) return undefined;
      const named = (w[t + T_FLAGS]! & F_NAMED) !== 0;
      if (named) {
        if (w[t + T_NAME] === name) return true;
        if (nameFind(mem, reg, name) >= 0) return false;
        nameRemove(mem, reg, w[t + T_NAME]!);
        nameInsert(mem, reg, name, w[t + T_SLOT]!);
      }
      mem.i32[t + T_NAME] = name;
      return true;
    } finally {
      unlockTable(mem, t);
    }
  } finally {
    mem.unlock(reg + R_LOCK);
  }
}

/** Every live table's header address (a snapshot). */
export function allTables(mem: Memory): number[] {
  const reg = Atomics.load(mem.i32, Slot.EtsRegistry);
  if (reg === 0) return [];
  const out: number[] = [];
  mem.lock(reg + R_LOCK);
  try {
    const n = mem.i32[reg + R_NEXT]!;
    for (let i = 0; i < n; i++) {
      const t = slotAddr(mem, reg, i);
      if (t !== 0 && mem.i32[t + T_STATUS] === 1) out.push(t);
    }
  } finally {
    mem.unlock(reg + R_LOCK);
  }
  return out;
}

/** Number of live tables (cheap: no lock). */
export function tableCount(mem: Memory): number {
  const reg = Atomics.load(mem.i32, Slot.EtsRegistry);
  return reg === 0 ? 0 : Atomics.load(mem.i32, reg + R_COUNT);
}

// ---------------------------------------------------------------- objects

/** Copies a term into a new object block (memory no process owns). */
export function storeObject(ctx: TermContext, term: Term, hash = 0): number {
  const mem = ctx.mem;
  const size = sizeOfTerm(ctx, term);
  const block = mem.alloc(OBJ_HDR + size);
  mem.refresh();
  let w = mem.i32;
  w[block + O_NEXT] = 0;
  w[block + O_HASH] = hash;
  w[block + O_OFFHEAP] = 0;
  w[block + O_WORDS] = size;
  const b: Builder = {
    mem,
    atoms: ctx.atoms,
    alloc: () => block + OBJ_HDR,
    linkOffHeap: (pb: number) => {
      mem.i32[pb + 3] = mem.i32[block + O_OFFHEAP]!;
      mem.i32[block + O_OFFHEAP] = pb;
    },
  };
  const root = copyTerm(ctx, term, b);
  w = mem.i32;
  w[block + O_ROOT] = root;
  return block;
}

export function freeObject(mem: Memory, block: number): void {
  for (let pb = mem.i32[block + O_OFFHEAP]!; pb !== 0; ) {
    const next = mem.i32[pb + 3]!;
    releaseOffHeapBlock(mem, mem.i32[pb + 2]!);
    pb = next;
  }
  mem.free(block);
}

export const objectRoot = (mem: Memory, block: number): Term => mem.i32[block + O_ROOT]!;
export const objectWords = (mem: Memory, block: number): number => OBJ_HDR + mem.i32[block + O_WORDS]!;
/** The key of a stored object (its element at keypos). */
export const objectKey = (mem: Memory, block: number, keypos: number): Term => mem.i32[ptrVal(mem.i32[block + O_ROOT]!) + keypos]!;

// ---------------------------------------------------------------- table access (table lock held)

export const tableType = (mem: Memory, t: number): TableType => (mem.i32[t + T_FLAGS]! & F_TYPE_MASK) as TableType;
export const tableAccess = (mem: Memory, t: number): Access => ((mem.i32[t + T_FLAGS]! >>> F_ACCESS_SHIFT) & 3) as Access;
export const tableKeypos = (mem: Memory, t: number): number => mem.i32[t + T_KEYPOS]!;
export const tableSize = (mem: Memory, t: number): number => mem.i32[t + T_SIZE]!;

/** OTP's atom hash (hashpjw over the name's bytes, two-byte Latin-1 UTF-8 sequences taken as one character). */
function atomNameHash(bytes: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < bytes.length; i++) {
    let v = bytes[i]!;
    if (i + 1 < bytes.length && (v & 0xfe) === 0xc2 && (bytes[i + 1]! & 0xc0) === 0x80) {
      v = ((v << 6) | (bytes[i + 1]! & 0x3f)) & 0xff;
      i++;
    }
    h = ((h << 4) + v) >>> 0;
    const g = (h & 0xf0000000) >>> 0;
    if (g !== 0) h = ((h ^ (g >>> 24)) ^ g) >>> 0;
  }
  return h;
}
/** Per memory (atom indexes belong to one VM): atom → hash. */
const atomHashCaches = new WeakMap<Memory, Map<Term, number>>();
const utf8 = new TextEncoder();

/** The hash a hash table files a key under, as OTP 25's: the atom-table hash for atoms, the internal hash otherwise. */
export function keyHash(ctx: TermContext, key: Term): number {
  if (isAtom(key)) {
    let atomHashCache = atomHashCaches.get(ctx.mem);
    if (atomHashCache === undefined) atomHashCaches.set(ctx.mem, (atomHashCache = new Map()));
    let h = atomHashCache.get(key);
    if (h === undefined) atomHashCache.set(key, (h = atomNameHash(utf8.encode(ctx.atoms.name(key)))));
    return h | 0;
  }
  return termInternalHash(ctx, key) | 0;
}

/**
 * Position of `key` in an ordered_set: [index, found]. index is where it is,
 * or where it would go.
 */
export function orderedSearch(ctx: TermContext, t: number, key: Term): [number, boolean] {
  const mem = ctx.mem;
  const w = mem.i32;
  const arr = w[t + T_INDEX]!;
  const keypos = w[t + T_KEYPOS]!;
  let lo = 0;
  let hi = w[t + T_SIZE]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compare(ctx, objectKey(mem, w[arr + mid]!, keypos), key);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid;
    else return [mid, true];
  }
  return [lo, false];
}

/** The block at position i of an ordered_set. */
export const orderedAt = (mem: Memory, t: number, i: number): number => mem.i32[mem.i32[t + T_INDEX]! + i]!;

// ---- linear hashing (hash tables): T_CAP is the number of active buckets, T_SZM the mask

/** The bucket a hash goes to. */
export function bucketIndex(w: Int32Array, t: number, hash: number): number {
  const szm = w[t + T_SZM]!;
  let ix = (hash & szm) >>> 0;
  if (ix >= w[t + T_CAP]!) ix &= szm >>> 1;
  return ix;
}

/** Word index of the bucket's head word. */
const bucketAddr = (w: Int32Array, t: number, hash: number): number => w[t + T_INDEX]! + bucketIndex(w, t, hash);

/** First object of the key's run in a hash table, or 0. */
export function hashFind(ctx: TermContext, t: number, key: Term, hash: number): number {
  const mem = ctx.mem;
  const w = mem.i32;
  const keypos = w[t + T_KEYPOS]!;
  let o = w[bucketAddr(w, t, hash)]!;
  while (o !== 0) {
    if (w[o + O_HASH] === hash) {
      const k = objectKey(mem, o, keypos);
      if (k === key || exactEqual(ctx, k, key)) return o;
    }
    o = w[o + O_NEXT]!;
  }
  return 0;
}

/** The run of objects with this key starting at o (chain order: newest first, as the real VM keeps them). */
function runFrom(ctx: TermContext, t: number, o: number, key: Term, hash: number): number[] {
  const mem = ctx.mem;
  const w = mem.i32;
  const keypos = w[t + T_KEYPOS]!;
  const out: number[] = [];
  while (o !== 0 && w[o + O_HASH] === hash && exactEqual(ctx, objectKey(mem, o, keypos), key)) {
    out.push(o);
    o = w[o + O_NEXT]!;
  }
  return out;
}

/** Blocks of every object with this key, oldest first (table lock held). */
export function lookupBlocks(ctx: TermContext, t: number, key: Term): number[] {
  const mem = ctx.mem;
  const type = tableType(mem, t);
  if (type === TableType.OrderedSet) {
    const [i, found] = orderedSearch(ctx, t, key);
    return found ? [orderedAt(mem, t, i)] : [];
  }
  const hash = keyHash(ctx, key);
  const o = hashFind(ctx, t, key, hash);
  if (o === 0) return [];
  if (type === TableType.Set) return [o];
  return runFrom(ctx, t, o, key, hash).reverse();
}

/** The object after the key's run in scan order (0 at the end), for ets:next on a hash table; -1 if the key is absent. */
export function hashNextAfter(ctx: TermContext, t: number, key: Term): number {
  const mem = ctx.mem;
  const w = mem.i32;
  const hash = keyHash(ctx, key);
  const o = hashFind(ctx, t, key, hash);
  if (o === 0) return -1;
  const run = runFrom(ctx, t, o, key, hash);
  const after = w[run[run.length - 1]! + O_NEXT]!;
  if (after !== 0) return after;
  let found = 0;
  const b = bucketIndex(w, t, hash);
  const [nb] = nextBucket(w, t, b);
  if (nb < 0) return 0;
  scanHash(mem, t, nb, 0, (x) => {
    found = x;
    return false;
  });
  return found;
}

/** Whether the key is present (table lock held). */
export function hasKey(ctx: TermContext, t: number, key: Term): boolean {
  if (tableType(ctx.mem, t) === TableType.OrderedSet) return orderedSearch(ctx, t, key)[1];
  return hashFind(ctx, t, key, keyHash(ctx, key)) !== 0;
}

/** Buckets are visited in the real VM's order: stepping by its lock count, then the next residue. */
const SCAN_STRIDE = 1 << 30;

/** The bucket after b in scan order, as [bucket] or [-1] at the end. */
function nextBucket(w: Int32Array, t: number, b: number): [number] {
  let ix = b + SCAN_STRIDE;
  if (ix < w[t + T_CAP]!) return [ix];
  ix = (ix + 1) & (SCAN_STRIDE - 1);
  return [ix === 0 || ix >= w[t + T_CAP]! ? -1 : ix];
}

const tableFixed = (w: Int32Array, t: number): boolean => w[t + T_FIX]! > 0;

/** Adds buckets one at a time while there are more objects than buckets (linear hashing: split one bucket in two). */
function maybeGrow(mem: Memory, t: number): void {
  for (let loops = 0; loops < 5; loops++) {
    let w = mem.i32;
    const nactive = w[t + T_CAP]!;
    if (w[t + T_SIZE]! <= nactive || tableFixed(w, t)) return;
    if (nactive === w[t + T_BCAP]!) {
      const old = w[t + T_INDEX]!;
      const bcap = nactive * 2;
      const index = mem.allocZeroed(bcap);
      mem.refresh();
      w = mem.i32;
      w.copyWithin(index, old, old + nactive);
      w[t + T_INDEX] = index;
      w[t + T_BCAP] = bcap;
      mem.free(old);
      w = mem.i32;
    }
    let szm = w[t + T_SZM]!;
    let from: number;
    if (nactive <= szm) from = nactive & (szm >>> 1);
    else {
      from = 0;
      szm = (szm << 1) | 1;
      w[t + T_SZM] = szm;
    }
    const to = nactive;
    w[t + T_CAP] = nactive + 1;
    // Split `from`: objects now filed under `to` move there, both chains keep their order.
    const index = w[t + T_INDEX]!;
    let keepTail = 0;
    let moveTail = 0;
    let o = w[index + from]!;
    w[index + from] = 0;
    w[index + to] = 0;
    while (o !== 0) {
      const next = w[o + O_NEXT]!;
      w[o + O_NEXT] = 0;
      if (bucketIndex(w, t, w[o + O_HASH]!) === to) {
        if (moveTail === 0) w[index + to] = o;
        else w[moveTail + O_NEXT] = o;
        moveTail = o;
      } else {
        if (keepTail === 0) w[index + from] = o;
        else w[keepTail + O_NEXT] = o;
        keepTail = o;
      }
      o = next;
    }
  }
}

/** Joins the top bucket into its partner while there are fewer objects than half the buckets (never below 256). */
export function maybeShrink(mem: Memory, t: number): void {
  if (tableType(mem, t) === TableType.OrderedSet) return;
  for (let loops = 0; loops < 5; loops++) {
    const w = mem.i32;
    const nactive = w[t + T_CAP]!;
    if (!(nactive > INITIAL_BUCKETS && w[t + T_SIZE]! < nactive >>> 1) || tableFixed(w, t)) return;
    const src = nactive - 1;
    const low = w[t + T_SZM]! >>> 1;
    const dst = src & low;
    const index = w[t + T_INDEX]!;
    // The source chain, then the destination's.
    let tail = w[index + src]!;
    if (tail === 0) {
      // nothing to move
    } else {
      while (w[tail + O_NEXT] !== 0) tail = w[tail + O_NEXT]!;
      w[tail + O_NEXT] = w[index + dst]!;
      w[index + dst] = w[index + src]!;
    }
    w[index + src] = 0;
    w[t + T_CAP] = src;
    if (dst === 0) w[t + T_SZM] = low;
  }
}

/**
 * Inserts a stored object block (table lock held). For a set (and an
 * ordered_set) an object with the same key is replaced; a bag keeps one copy
 * of equal objects; a duplicate_bag keeps all. Returns false when the block
 * was not linked (a bag's duplicate: the caller frees it).
 *
 * Chains are kept as the real VM keeps them: a new key goes at the end of its
 * bucket's chain, another object of a key already there goes before its run.
 */
export function insertBlock(ctx: TermContext, t: number, block: number): boolean {
  const mem = ctx.mem;
  let w = mem.i32;
  const keypos = w[t + T_KEYPOS]!;
  const key = objectKey(mem, block, keypos);
  const type = tableType(mem, t);
  if (type === TableType.OrderedSet) {
    const [i, found] = orderedSearch(ctx, t, key);
    const arr = w[t + T_INDEX]!;
    if (found) {
      const old = w[arr + i]!;
      w[arr + i] = block;
      w[t + T_WORDS]! += objectWords(mem, block) - objectWords(mem, old);
      freeObject(mem, old);
      return true;
    }
    const n = w[t + T_SIZE]!;
    if (n === w[t + T_CAP]!) {
      const cap = n * 2;
      const na = mem.alloc(cap);
      mem.refresh();
      w = mem.i32;
      w.copyWithin(na, arr, arr + n);
      mem.free(arr);
      w = mem.i32;
      w[t + T_INDEX] = na;
      w[t + T_CAP] = cap;
    }
    const a = w[t + T_INDEX]!;
    w.copyWithin(a + i + 1, a + i, a + n);
    w[a + i] = block;
    w[t + T_SIZE] = n + 1;
    w[t + T_WORDS]! += objectWords(mem, block);
    return true;
  }
  const hash = keyHash(ctx, key);
  w[block + O_HASH] = hash;
  const bucket = bucketAddr(w, t, hash);
  // Find the key's run: prev (the object before it, 0 for the bucket word) and its first object.
  let prev = 0;
  let o = w[bucket]!;
  while (o !== 0 && !(w[o + O_HASH] === hash && exactEqual(ctx, objectKey(mem, o, keypos), key))) {
    prev = o;
    o = w[o + O_NEXT]!;
  }
  if (o !== 0 && type === TableType.Set) {
    w[block + O_NEXT] = w[o + O_NEXT]!;
    if (prev === 0) w[bucket] = block;
    else w[prev + O_NEXT] = block;
    w[t + T_WORDS]! += objectWords(mem, block) - objectWords(mem, o);
    freeObject(mem, o);
    return true;
  }
  if (o !== 0 && type === TableType.Bag) {
    for (const x of runFrom(ctx, t, o, key, hash)) if (exactEqual(ctx, w[x + O_ROOT]!, w[block + O_ROOT]!)) return false;
  }
  // A new key at the end of the chain (o = 0, prev = last), or before the key's run.
  w[block + O_NEXT] = o;
  if (prev === 0) w[bucket] = block;
  else w[prev + O_NEXT] = block;
  w[t + T_SIZE]!++;
  w[t + T_WORDS]! += objectWords(mem, block);
  maybeGrow(mem, t);
  return true;
}

/**
 * Removes objects with this key for which `which(block)` holds (all when
 * undefined), freeing them unless `keep` (table lock held). Returns the
 * removed blocks (oldest first).
 */
export function removeKey(ctx: TermContext, t: number, key: Term, which?: (block: number) => boolean, keep = false): number[] {
  const mem = ctx.mem;
  const w = mem.i32;
  const removed: number[] = [];
  if (tableType(mem, t) === TableType.OrderedSet) {
    const [i, found] = orderedSearch(ctx, t, key);
    if (!found) return removed;
    const block = orderedAt(mem, t, i);
    if (which !== undefined && !which(block)) return removed;
    removeOrderedAt(mem, t, i);
    removed.push(block);
  } else {
    const keypos = w[t + T_KEYPOS]!;
    const hash = keyHash(ctx, key);
    const bucket = bucketAddr(w, t, hash);
    let prev = 0;
    let o = w[bucket]!;
    let inRun = false;
    while (o !== 0) {
      const next = w[o + O_NEXT]!;
      const match = w[o + O_HASH] === hash && exactEqual(ctx, objectKey(mem, o, keypos), key);
      if (!match && inRun) break;
      if (match) {
        inRun = true;
        if (which === undefined || which(o)) {
          if (prev === 0) w[bucket] = next;
          else w[prev + O_NEXT] = next;
          w[t + T_SIZE]!--;
          w[t + T_WORDS]! -= objectWords(mem, o);
          removed.push(o);
          o = next;
          continue;
        }
      }
      prev = o;
      o = next;
    }
    removed.reverse();
    if (removed.length > 0) maybeShrink(mem, t);
  }
  if (!keep) for (const b of removed) freeObject(mem, b);
  return removed;
}

/** Unlinks position i of an ordered_set (the block is not freed). */
export function removeOrderedAt(mem: Memory, t: number, i: number): void {
  const w = mem.i32;
  const a = w[t + T_INDEX]!;
  const n = w[t + T_SIZE]!;
  w[t + T_WORDS]! -= objectWords(mem, w[a + i]!);
  w.copyWithin(a + i, a + i + 1, a + n);
  w[t + T_SIZE] = n - 1;
}

/** Unlinks a block of a hash table (found by its identity; the block is not freed; no shrinking). */
export function removeHashBlock(mem: Memory, t: number, block: number): void {
  const w = mem.i32;
  const bucket = bucketAddr(w, t, w[block + O_HASH]!);
  let prev = 0;
  for (let o = w[bucket]!; o !== 0; prev = o, o = w[o + O_NEXT]!) {
    if (o !== block) continue;
    if (prev === 0) w[bucket] = w[o + O_NEXT]!;
    else w[prev + O_NEXT] = w[o + O_NEXT]!;
    w[t + T_SIZE]!--;
    w[t + T_WORDS]! -= objectWords(mem, o);
    return;
  }
}

/**
 * Replaces a stored object by a new block with the same key, in place in the
 * index (table lock held); the old block is freed.
 */
export function replaceBlock(ctx: TermContext, t: number, old: number, block: number): void {
  const mem = ctx.mem;
  const w = mem.i32;
  w[t + T_WORDS]! += objectWords(mem, block) - objectWords(mem, old);
  if (tableType(mem, t) === TableType.OrderedSet) {
    const [i] = orderedSearch(ctx, t, objectKey(mem, old, w[t + T_KEYPOS]!));
    w[w[t + T_INDEX]! + i] = block;
  } else {
    w[block + O_HASH] = w[old + O_HASH]!;
    w[block + O_NEXT] = w[old + O_NEXT]!;
    const bucket = bucketAddr(w, t, w[old + O_HASH]!);
    if (w[bucket] === old) w[bucket] = block;
    else {
      let o = w[bucket]!;
      while (w[o + O_NEXT] !== old) o = w[o + O_NEXT]!;
      w[o + O_NEXT] = block;
    }
  }
  freeObject(mem, old);
}

/**
 * The objects of a hash table in scan order from position [bucket, index
 * in its chain]; `fn` may unlink (and free) the block it is given, and
 * returns false to stop. Returns the position after the last object visited
 * ([-1, 0] at the end).
 */
export function scanHash(mem: Memory, t: number, bucket: number, skip: number, fn: (block: number) => boolean): [number, number] {
  const index = mem.i32[t + T_INDEX]!;
  for (let b = bucket; b >= 0; b = nextBucket(mem.i32, t, b)[0]) {
    let i = 0;
    for (let o = mem.i32[index + b]!; o !== 0; i++) {
      const next = mem.i32[o + O_NEXT]!;
      if (!(b === bucket && i < skip) && !fn(o)) return [b, i + 1];
      o = next;
    }
  }
  return [-1, 0];
}

/** All blocks of a table in scan order (a snapshot of the index; table lock held). */
export function allBlocks(mem: Memory, t: number): number[] {
  const w = mem.i32;
  const out: number[] = [];
  if (tableType(mem, t) === TableType.OrderedSet) {
    const a = w[t + T_INDEX]!;
    const n = w[t + T_SIZE]!;
    for (let i = 0; i < n; i++) out.push(w[a + i]!);
    return out;
  }
  scanHash(mem, t, 0, 0, (b) => {
    out.push(b);
    return true;
  });
  return out;
}

/** The chain of bucket n of a hash table (ets:slot/2). */
export function bucketBlocks(mem: Memory, t: number, n: number): number[] {
  const w = mem.i32;
  const out: number[] = [];
  for (let o = w[w[t + T_INDEX]! + n]!; o !== 0; o = w[o + O_NEXT]!) out.push(o);
  return out;
}

/** A fresh empty index for the table's type (table lock held; the old one is freed by the caller). */
function newIndex(mem: Memory, t: number): void {
  const ordered = tableType(mem, t) === TableType.OrderedSet;
  const cap = ordered ? INITIAL_ORDERED : INITIAL_BUCKETS;
  const index = mem.allocZeroed(cap);
  mem.refresh();
  const w = mem.i32;
  w[t + T_INDEX] = index;
  w[t + T_CAP] = cap;
  w[t + T_BCAP] = cap;
  w[t + T_SZM] = cap - 1;
  w[t + T_SIZE] = 0;
  w[t + T_WORDS] = 0;
}

/** Deletes every object (table lock held); returns how many there were. */
export function clearTable(mem: Memory, t: number): number {
  const blocks = allBlocks(mem, t);
  for (const b of blocks) freeObject(mem, b);
  mem.free(mem.i32[t + T_INDEX]!);
  newIndex(mem, t);
  return blocks.length;
}

/** Frees the objects and index of a table that unregisterTable took out of the registry. */
export function freeTableContents(mem: Memory, t: number): void {
  lockTable(mem, t);
  try {
    for (const b of allBlocks(mem, t)) freeObject(mem, b);
    const w = mem.i32;
    mem.free(w[t + T_INDEX]!);
    if (w[t + T_HEIR_DATA] !== 0) freeObject(mem, w[t + T_HEIR_DATA]!);
    const v = mem.i32;
    v[t + T_INDEX] = 0;
    v[t + T_HEIR_DATA] = 0;
    v[t + T_SIZE] = 0;
  } finally {
    unlockTable(mem, t);
  }
}

/** Words the table uses (header, index, objects). */
export function tableMemoryWords(mem: Memory, t: number): number {
  const w = mem.i32;
  return TABLE_WORDS + w[t + T_CAP]! + w[t + T_WORDS]!;
}

/** The number of active buckets of a hash table. */
export const hashCapacity = (mem: Memory, t: number): number => mem.i32[t + T_CAP]!;

export { headerArity, headerSubtag };
