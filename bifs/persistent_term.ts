/**
 * persistent_term: terms stored once for the whole VM and read without
 * copying, from any scheduler thread.
 *
 * The table lives in shared memory (its address in Slot.PersistentTerm):
 *
 *   table:  [count, words, bucket 0 .. BUCKETS-1]     bucket = first entry address or 0
 *   entry:  [next, hash, key, value]                   key and value: terms in blocks of their own
 *
 * Writers (put, erase) hold Slot.PersistentTermLock; readers take no lock:
 * an entry is complete before Atomics.store links it, and a new value is
 * published with one Atomics.store. A stored term is copied into memory no
 * process's GC ever moves (like a module's literals), so `get` returns it
 * as it is. Replacing or erasing a term keeps the old copy, because a
 * process may still hold it; the real VM frees it after a global GC, ours
 * never does (docs/architecture.md, known gaps).
 */
import { ATOM_TRUE, ATOM_FALSE, ATOM_OK } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { exactEqual } from '../vm/term/compare.js';
import { phash2 } from '../vm/term/phash.js';
import { copyTerm, sizeOfTerm } from '../gc/copy.js';
import { mkList, mkTuple2, mkInt } from '../vm/term/make.js';
import type { Process } from '../vm/process.js';
import type { Term } from '../vm/term/tags.js';
import { Slot } from '../scheduler/layout.js';
import type { Memory } from '../vm/memory.js';
import { mapFromArrays } from '../vm/term/maps.js';
import { defineBifs } from './registry.js';

const BUCKETS = 1024;
const T_COUNT = 0;
const T_WORDS = 1;
const T_BUCKETS = 2;
const E_NEXT = 0;
const E_HASH = 1;
const E_KEY = 2;
const E_VALUE = 3;
const ENTRY_WORDS = 4;

/** The table's address, made on first use (under the lock, so two threads make one). */
function table(mem: Memory): number {
  const at = Atomics.load(mem.i32, Slot.PersistentTerm);
  if (at !== 0) return at;
  mem.lock(Slot.PersistentTermLock);
  try {
    let t = mem.i32[Slot.PersistentTerm]!;
    if (t === 0) {
      t = mem.allocZeroed(T_BUCKETS + BUCKETS);
      Atomics.store(mem.i32, Slot.PersistentTerm, t);
    }
    return t;
  } finally {
    mem.unlock(Slot.PersistentTermLock);
  }
}

/** The entry for key, or 0. */
function find(p: Process, key: Term, hash: number): number {
  const mem = p.mem;
  mem.refresh();
  const t = table(mem);
  for (let e = Atomics.load(mem.i32, t + T_BUCKETS + (hash & (BUCKETS - 1))); e !== 0; e = Atomics.load(mem.i32, e + E_NEXT)) {
    const w = mem.i32;
    if (w[e + E_HASH] === hash && (w[e + E_KEY] === key || exactEqual(p, w[e + E_KEY]!, key))) return e;
  }
  return 0;
}

/** Copies a term into a block no process owns; returns the term and adds the block's words to the table's count. */
function persist(p: Process, t: Term, table: number): Term {
  const mem = p.mem;
  const size = sizeOfTerm(p, t);
  if (size === 0) return t;
  let block = 0;
  const copy = copyTerm(p, t, { mem, atoms: p.atoms, alloc: (words) => (block = mem.alloc(words)) }, undefined, size);
  mem.i32[table + T_WORDS]! += mem.blockWords(block) + 1;
  return copy;
}

function lookup(p: Process, key: Term): Term | undefined {
  const e = find(p, key, phash2(p, key));
  return e === 0 ? undefined : Atomics.load(p.mem.i32, e + E_VALUE);
}

defineBifs('persistent_term', 'bif', {
  'put/2': (p, [k, v]) => {
    const mem = p.mem;
    const t = table(mem);
    const hash = phash2(p, k!);
    mem.lock(Slot.PersistentTermLock);
    try {
      const e = find(p, k!, hash);
      if (e !== 0) {
        const old = mem.i32[e + E_VALUE]!;
        if (old !== v! && !exactEqual(p, old, v!)) Atomics.store(mem.i32, e + E_VALUE, persist(p, v!, t));
      } else {
        const key = persist(p, k!, t);
        const value = persist(p, v!, t);
        const entry = mem.alloc(ENTRY_WORDS);
        const w = mem.i32;
        const bucket = t + T_BUCKETS + (hash & (BUCKETS - 1));
        w[entry + E_NEXT] = w[bucket]!;
        w[entry + E_HASH] = hash;
        w[entry + E_KEY] = key;
        w[entry + E_VALUE] = value;
        w[t + T_WORDS]! += ENTRY_WORDS + 1;
        Atomics.store(w, bucket, entry);
        w[t + T_COUNT]! += 1;
      }
    } finally {
      mem.unlock(Slot.PersistentTermLock);
    }
    return ATOM_OK;
  },
  'get/1': (p, [k]) => {
    const v = lookup(p, k!);
    if (v === undefined) throw badarg();
    return v;
  },
  'get/2': (p, [k, d]) => lookup(p, k!) ?? d!,
  'erase/1': (p, [k]) => {
    const mem = p.mem;
    const t = table(mem);
    const hash = phash2(p, k!);
    mem.lock(Slot.PersistentTermLock);
    try {
      const w = mem.i32;
      // Unlink the entry; a reader walking the chain still finds its next word intact.
      for (let slot = t + T_BUCKETS + (hash & (BUCKETS - 1)); w[slot] !== 0; slot = w[slot]! + E_NEXT) {
        const e = w[slot]!;
        if (w[e + E_HASH] === hash && (w[e + E_KEY] === k! || exactEqual(p, w[e + E_KEY]!, k!))) {
          Atomics.store(w, slot, w[e + E_NEXT]!);
          w[t + T_COUNT]! -= 1;
          return ATOM_TRUE;
        }
      }
      return ATOM_FALSE;
    } finally {
      mem.unlock(Slot.PersistentTermLock);
    }
  },
  'get/0': (p) => {
    const mem = p.mem;
    const t = table(mem);
    const all: Term[] = [];
    for (let b = 0; b < BUCKETS; b++) {
      for (let e = Atomics.load(mem.i32, t + T_BUCKETS + b); e !== 0; e = Atomics.load(mem.i32, e + E_NEXT)) {
        all.push(mkTuple2(p, mem.i32[e + E_KEY]!, Atomics.load(mem.i32, e + E_VALUE)));
      }
    }
    return mkList(p, all);
  },
  'info/0': (p) => {
    const mem = p.mem;
    const t = table(mem);
    const count = Atomics.load(mem.i32, t + T_COUNT);
    const bytes = Atomics.load(mem.i32, t + T_WORDS) * 4;
    return mapFromArrays(p, [p.atoms.intern('count'), p.atoms.intern('memory')], [mkInt(p, count), mkInt(p, bytes)]);
  },
});
