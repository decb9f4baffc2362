/**
 * The process registries in shared memory, so a VM attached to the same
 * memory on another thread sees the same processes, names, aliases and
 * timers (roots in scheduler/layout.ts, Slot 70..89):
 *
 * - `ProcessTable`: pid number -> control block. A directory of chunks of
 *   2^14 words, both made on first use (compareExchange on the root word,
 *   the loser frees its copy). Pid numbers come from a shared counter and
 *   are never reused, so an entry is written once and cleared once.
 * - `SharedMap`: an open-addressing hash map, int32 key -> a few int32
 *   values, behind one Atomics mutex per map (readers take it too, so a
 *   grown table's old block can be freed at once). Keys are never 0 (free)
 *   or -1 (deleted). Registered names (atom -> pid), aliases (reference id
 *   -> owner pid, mode) and erlang timers (reference id -> message block,
 *   destination, kind, deadline) are each one.
 */
import { Slot } from '../scheduler/layout.js';
import type { Memory } from './memory.js';

const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
/** Pid numbers have 28 bits (15 of number and 13 of serial in a local pid). */
const DIRECTORY_WORDS = 1 << (28 - CHUNK_BITS);

export class ProcessTable {
  constructor(private readonly mem: Memory) {}

  /** The word holding pid number n's control block (made on first use when `make`), or 0. */
  private entry(n: number, make: boolean): number {
    const mem = this.mem;
    let dir = Atomics.load(mem.i32, Slot.ProcessTable);
    if (dir === 0) {
      if (!make) return 0;
      dir = publish(mem, Slot.ProcessTable, DIRECTORY_WORDS);
    }
    const at = dir + (n >>> CHUNK_BITS);
    let chunk = Atomics.load(mem.i32, at);
    if (chunk === 0) {
      if (!make) return 0;
      chunk = publish(mem, at, CHUNK);
    }
    return chunk + (n & (CHUNK - 1));
  }

  set(n: number, pcb: number): void {
    Atomics.store(this.mem.i32, this.entry(n, true), pcb);
  }

  clear(n: number): void {
    const e = this.entry(n, false);
    if (e !== 0) Atomics.store(this.mem.i32, e, 0);
  }

  /** The control block of pid number n, or 0 when no such process is alive. */
  pcb(n: number): number {
    const e = this.entry(n, false);
    return e === 0 ? 0 : Atomics.load(this.mem.i32, e);
  }

  /** The control blocks of every live process, in pid order (processes/0). */
  all(): number[] {
    const out: number[] = [];
    const w = this.mem.i32;
    const dir = Atomics.load(w, Slot.ProcessTable);
    if (dir === 0) return out;
    const last = Atomics.load(w, Slot.PidCounter);
    for (let c = 0; c <= last >>> CHUNK_BITS; c++) {
      const chunk = Atomics.load(w, dir + c);
      if (chunk === 0) continue;
      for (let i = 0; i < CHUNK; i++) {
        const pcb = Atomics.load(w, chunk + i);
        if (pcb !== 0) out.push(pcb);
      }
    }
    return out;
  }
}

/** A zeroed block of `words` words published in the word `at` unless another thread did first; returns the winner. */
function publish(mem: Memory, at: number, words: number): number {
  const block = mem.allocZeroed(words);
  const seen = Atomics.compareExchange(mem.i32, at, 0, block);
  if (seen === 0) return block;
  mem.free(block);
  return seen;
}

const FREE = 0;
const DELETED = -1;
/** Table words before the entries: capacity, live entries, used slots (live + deleted). */
const HEAD = 3;

export class SharedMap {
  /** Words per entry: the key, then the values. */
  private readonly stride: number;

  constructor(
    private readonly mem: Memory,
    private readonly root: Slot,
    private readonly lockSlot: Slot,
    readonly values: number,
  ) {
    this.stride = values + 1;
  }

  /** The entry's first word (its key) for `key`, or -(free slot) when absent. Lock held; table made. */
  private find(t: number, key: number): number {
    const w = this.mem.i32;
    const cap = w[t]!;
    // The product's high bits: atom keys share their low six bits (the tag), which a mask would keep.
    let i = Math.imul(key, 0x9e3779b1) >>> (Math.clz32(cap) + 1);
    let firstFree = 0;
    for (let probe = 0; probe < cap; probe++, i++) {
      const e = t + HEAD + (i & (cap - 1)) * this.stride;
      const k = w[e]!;
      if (k === key) return e;
      if (k === DELETED) {
        if (firstFree === 0) firstFree = e;
      } else if (k === FREE) return -(firstFree || e);
    }
    return -firstFree;
  }

  private table(): number {
    let t = this.mem.i32[this.root]!;
    if (t === 0) t = this.rebuild(0, 64);
    return t;
  }

  /** A table of `cap` slots holding old's live entries (old is freed). Lock held. */
  private rebuild(old: number, cap: number): number {
    const mem = this.mem;
    const t = mem.allocZeroed(HEAD + cap * this.stride);
    const w = mem.i32;
    w[t] = cap;
    if (old !== 0) {
      const oldCap = w[old]!;
      for (let i = 0; i < oldCap; i++) {
        const e = old + HEAD + i * this.stride;
        const k = w[e]!;
        if (k === FREE || k === DELETED) continue;
        const to = -this.find(t, k);
        w.copyWithin(to, e, e + this.stride);
        w[t + 1]!++;
        w[t + 2]!++;
      }
      mem.free(old);
    }
    Atomics.store(w, this.root, t);
    return t;
  }

  private locked<R>(f: (t: number) => R): R {
    this.mem.lock(this.lockSlot);
    try {
      return f(this.table());
    } finally {
      this.mem.unlock(this.lockSlot);
    }
  }

  /** The first value of `key`, or 0 when absent (maps whose first value is never 0). */
  get(key: number): number {
    return this.locked((t) => {
      const e = this.find(t, key);
      return e > 0 ? this.mem.i32[e + 1]! : 0;
    });
  }

  /** The values of `key` copied into `out`; false when absent. */
  read(key: number, out: Int32Array): boolean {
    return this.locked((t) => {
      const e = this.find(t, key);
      if (e <= 0) return false;
      out.set(this.mem.i32.subarray(e + 1, e + 1 + this.values));
      return true;
    });
  }

  /** Adds key with `vals` unless it is present or `guard` (run under the lock) refuses; whether it did. */
  insert(key: number, vals: ArrayLike<number>, guard?: () => boolean): boolean {
    return this.locked((t0) => {
      let t = t0;
      if (this.find(t, key) > 0) return false;
      if (guard !== undefined && !guard()) return false;
      const used = this.mem.i32[t + 2]!;
      if ((used + 1) * 4 > this.mem.i32[t]! * 3) t = this.rebuild(t, Math.max(64, 1 << Math.ceil(Math.log2((this.mem.i32[t + 1]! + 1) * 4))));
      // The rebuild may have grown the memory: views taken after it.
      const w = this.mem.i32;
      const e = -this.find(t, key);
      if (w[e] === FREE) w[t + 2]!++;
      w[t + 1]!++;
      for (let i = 0; i < this.values; i++) w[e + 1 + i] = vals[i]!;
      w[e] = key;
      return true;
    });
  }

  /**
   * Removes key if present and `accept(values)` agrees (always when
   * omitted), copying its values into `out` when given; whether it did.
   * Taking an entry out is how one thread claims it (a timer: fire or
   * cancel, never both).
   */
  take(key: number, out?: Int32Array, accept?: (w: Int32Array, at: number) => boolean): boolean {
    return this.locked((t) => {
      const e = this.find(t, key);
      if (e <= 0) return false;
      const w = this.mem.i32;
      if (accept !== undefined && !accept(w, e + 1)) return false;
      if (out !== undefined) out.set(w.subarray(e + 1, e + 1 + this.values));
      w[e] = DELETED;
      w[t + 1]!--;
      return true;
    });
  }

  /** Every entry as [key, ...values] (registered/0, the timers of a process that ends). */
  entries(): number[][] {
    if (Atomics.load(this.mem.i32, this.root) === 0) return [];
    return this.locked((t) => {
      const w = this.mem.i32;
      const out: number[][] = [];
      const cap = w[t]!;
      for (let i = 0; i < cap; i++) {
        const e = t + HEAD + i * this.stride;
        const k = w[e]!;
        if (k !== FREE && k !== DELETED) out.push(Array.from(w.subarray(e, e + this.stride)));
      }
      return out;
    });
  }
}
