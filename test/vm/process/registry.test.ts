/**
 * The process registries in shared memory (vm/registry.ts) used from
 * several worker threads at once: pid numbers from the shared counter are
 * unique and all in the process table, a contested name goes to exactly
 * one thread, nothing inserted is lost while the tables grow under the
 * threads, and a timer is claimed (fired or cancelled) by one thread only.
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { Slot } from '../../../scheduler/layout.js';
import { Memory } from '../../../vm/memory.js';
import { ProcessTable, SharedMap } from '../../../vm/registry.js';
import { bundleWorker } from '../../support/worker.js';

describe('process registries shared by worker threads', () => {
  it('keeps pids unique, names exclusive and timers claimed once', { timeout: 120_000 }, async () => {
    const mem = Memory.create({ initialBytes: 1 << 20 }); // small: the workers also race to grow it
    const timers = new SharedMap(mem, Slot.Timers, Slot.TimersLock, 5);
    const n = 3000;
    for (let i = 1; i <= n; i++) timers.insert(i, [i, 0, 0, 0, 0]);
    const script = bundleWorker('vm/process/registry_worker.ts');
    const go = new Int32Array(new SharedArrayBuffer(4));
    const workers = 3;
    const runs = Array.from({ length: workers }, (_, id) =>
      new Promise<{ pids: number[]; contestedWon: number; timersClaimed: number }>((resolve, reject) => {
        const w = new Worker(script, { workerData: { buffer: mem.buffer, id: id + 1, n, go } });
        w.once('message', (m) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    // This thread cancels the same timers the workers try to fire.
    let claimedHere = 0;
    for (let i = n; i >= 1; i--) if (timers.take(i)) claimedHere++;
    const results = await Promise.all(runs);
    mem.refresh();

    const all = results.flatMap((r) => r.pids);
    expect(new Set(all).size).toBe(workers * n);
    expect(Math.max(...all)).toBe(workers * n);
    const procs = new ProcessTable(mem);
    expect(procs.all()).toEqual(Array.from({ length: workers * n }, (_, i) => 1001 + i));
    expect(procs.pcb(17)).toBe(1017);
    procs.clear(17);
    expect(procs.pcb(17)).toBe(0);

    const names = new SharedMap(mem, Slot.Names, Slot.NamesLock, 1);
    // 64 contested names, each won by one thread; every thread's own names are there.
    expect(results.reduce((s, r) => s + r.contestedWon, 0)).toBe(64);
    expect(names.entries().length).toBe(workers * n + 64);
    for (let id = 1; id <= workers; id++) for (let i = 0; i < n; i += 101) expect(names.get(id * 1_000_000 + i)).not.toBe(0);

    const aliases = new SharedMap(mem, Slot.Aliases, Slot.AliasesLock, 2);
    expect(aliases.entries().length).toBe(workers * (n / 2));
    expect(Atomics.load(mem.i32, Slot.RefCounter)).toBe(workers * n);

    // Every timer claimed exactly once, by a worker or by this thread.
    expect(claimedHere + results.reduce((s, r) => s + r.timersClaimed, 0)).toBe(n);
    expect(timers.entries()).toEqual([]);
  });

  it('finds, replaces and forgets entries as a map does', () => {
    const mem = Memory.create({ initialBytes: 1 << 20 });
    const m = new SharedMap(mem, Slot.Aliases, Slot.AliasesLock, 2);
    const out = new Int32Array(2);
    expect(m.read(5, out)).toBe(false);
    expect(m.insert(5, [50, 1])).toBe(true);
    expect(m.insert(5, [51, 1])).toBe(false);
    expect(m.insert(6, [60, 2], () => false)).toBe(false);
    expect(m.read(5, out)).toBe(true);
    expect([...out]).toEqual([50, 1]);
    expect(m.take(5, undefined, (w, at) => w[at] === 99)).toBe(false);
    expect(m.take(5, out)).toBe(true);
    expect(m.get(5)).toBe(0);
    // Deleted slots are reused and skipped: 1000 keys through a table that starts with 64 slots.
    for (let k = 1; k <= 1000; k++) expect(m.insert(k, [k * 10, 0])).toBe(true);
    for (let k = 1; k <= 1000; k += 2) expect(m.take(k)).toBe(true);
    for (let k = 1; k <= 1000; k++) expect(m.get(k)).toBe(k % 2 === 0 ? k * 10 : 0);
    expect(m.entries().map((e) => e[0]).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 500 }, (_, i) => 2 * (i + 1)));
  });
});

describe('SharedMap probing', () => {
  it('spreads keys that differ only above their low bits (atoms: index << 6 | tag)', () => {
    const mem = Memory.create({ initialBytes: 1 << 20 });
    const m = new SharedMap(mem, Slot.Names, Slot.NamesLock, 1);
    for (let i = 1; i <= 40; i++) m.insert((i << 6) | 0x0b, [i]);
    // 40 keys in a 64-slot table: with the low bits as the index they would sit in one probe run.
    const t = mem.i32[Slot.Names]!;
    const cap = mem.i32[t]!;
    let longest = 0;
    let run = 0;
    for (let i = 0; i < 2 * cap; i++) {
      run = mem.i32[t + 3 + (i % cap) * 2] !== 0 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThan(20);
    for (let i = 1; i <= 40; i++) expect(m.get((i << 6) | 0x0b)).toBe(i);
  });
});
