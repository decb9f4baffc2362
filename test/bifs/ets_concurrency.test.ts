/**
 * ETS, atomics and counters from several worker threads at once: each
 * worker attaches to the one shared memory and inserts its own objects
 * (with off-heap binaries) into one public table, bumps one update_counter
 * key, one atomics cell and two counters. Totals must be exact: no lost or
 * duplicated objects, no lost increments.
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import '../../bifs/index.js';
import { lookupBif } from '../../bifs/registry.js';
import { Memory } from '../../vm/memory.js';
import { AtomTable } from '../../vm/term/atoms.js';
import { listToArray, mkList, mkTuple, tupleElements, binaryBytes } from '../../vm/term/make.js';
import { NIL, makeLocalPid, makeSmall, smallVal, type Term } from '../../vm/term/tags.js';
import type { Process } from '../../vm/process.js';
import { bundleWorker } from '../support/worker.js';

describe('ets, atomics and counters shared by worker threads', () => {
  it('keeps every object and every increment', { timeout: 120_000 }, async () => {
    const mem = Memory.create({ initialBytes: 1 << 20 }); // small: the workers also race to grow it
    const atoms = AtomTable.format(mem);
    const p = { mem, atoms, pid: makeLocalPid(1, 0), alloc: (words: number) => mem.alloc(words), linkOffHeap: () => {} } as unknown as Process;
    const bif = (m: string, f: string, a: number) => lookupBif(m, f, a)!.fn;
    const tab = bif('ets', 'new', 2)(p, [atoms.intern('shared'), mkList(p, [atoms.intern('public'), atoms.intern('set')])]);
    bif('ets', 'insert', 2)(p, [tab, mkTuple(p, [atoms.intern('hits'), makeSmall(0)])]);
    const atomicsRef = bif('erts_internal', 'atomics_new', 2)(p, [makeSmall(1), makeSmall(1)]);
    const countersRef = bif('erts_internal', 'counters_new', 1)(p, [makeSmall(2)]);
    const script = bundleWorker('bifs/ets_worker.ts');
    const go = new Int32Array(new SharedArrayBuffer(4));
    const workers = 4;
    const n = 1500;
    const runs = Array.from({ length: workers }, (_, id) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(script, { workerData: { buffer: mem.buffer, id: id + 1, n, tab, atomicsRef, countersRef, go } });
        w.once('message', (m: number) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const found = await Promise.all(runs);
    mem.refresh();
    expect(found).toEqual(Array(workers).fill(Math.ceil(n / 7)));
    const info = (item: string): Term => bif('ets', 'info', 2)(p, [tab, atoms.intern(item)]);
    expect(smallVal(info('size'))).toBe(workers * n + 1);
    const hits = listToArray(p, bif('ets', 'lookup', 2)(p, [tab, atoms.intern('hits')]))!;
    expect(smallVal(tupleElements(p, hits[0]!)[1]!)).toBe(workers * n);
    for (let id = 1; id <= workers; id++) {
      for (let i = 0; i < n; i += 97) {
        const objs = listToArray(p, bif('ets', 'lookup', 2)(p, [tab, makeSmall(id * 1_000_000 + i)]))!;
        expect(objs.length).toBe(1);
        const [, owner, bin] = tupleElements(p, objs[0]!);
        expect(smallVal(owner!)).toBe(id);
        const { bytes } = binaryBytes(p, bin!);
        expect(bytes.length).toBe(80 + (i % 50));
        expect(bytes.every((b: number) => b === id)).toBe(true);
      }
    }
    expect(smallVal(bif('ets', 'select_count', 2)(p, [tab, mkList(p, [mkTuple(p, [mkTuple(p, [atoms.intern('_'), atoms.intern('_'), atoms.intern('_')]), NIL, mkList(p, [atoms.intern('true')])])])]))).toBe(workers * n);
    expect(smallVal(bif('atomics', 'get', 2)(p, [atomicsRef, makeSmall(1)]))).toBe(workers * n);
    const c1 = smallVal(bif('erts_internal', 'counters_get', 2)(p, [countersRef, makeSmall(1)]));
    const c2 = smallVal(bif('erts_internal', 'counters_get', 2)(p, [countersRef, makeSmall(2)]));
    expect(c1 + c2).toBe(workers * n);
    expect(c1).toBe(workers * Math.ceil(n / 2));
    expect(mem.byteSize).toBeGreaterThan(1 << 20);
  });
});
