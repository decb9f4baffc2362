/**
 * Several worker threads building terms into the one shared memory at once:
 * atoms created concurrently get one index each, allocations do not overlap,
 * and every term reads back intact on the main thread.
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { Memory } from '../../../vm/memory.js';
import { AtomTable } from '../../../vm/term/atoms.js';
import { toETerm } from '../../../vm/term/build.js';
import { makeAtom } from '../../../vm/term/tags.js';
import { encodeEtf } from '../../../loader/etf.js';
import { bundleWorker } from '../../support/worker.js';
import { makeTerms } from './concurrency_terms.js';

describe('building terms from several workers at once', () => {
  it('every term reads back exactly, atoms are not duplicated', async () => {
    const mem = Memory.create({ initialBytes: 1 << 20 }); // small, so the workers also race to grow it
    const atoms = AtomTable.format(mem);
    const script = bundleWorker('vm/term/build_worker.ts');
    const go = new Int32Array(new SharedArrayBuffer(4));
    const seeds = [3, 5, 7];
    const runs = seeds.map(
      (seed) =>
        new Promise<number[]>((resolve, reject) => {
          const w = new Worker(script, { workerData: { buffer: mem.buffer, seed, go } });
          w.once('message', (m: number[]) => {
            resolve(m);
            void w.terminate();
          });
          w.once('error', reject);
        }),
    );
    await new Promise((r) => setTimeout(r, 300));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const results = await Promise.all(runs);
    mem.refresh();
    const ctx = { mem, atoms };
    seeds.forEach((seed, s) => {
      const want = makeTerms(seed);
      results[s]!.forEach((term, i) => {
        expect(Buffer.from(encodeEtf(toETerm(ctx, term))).equals(Buffer.from(encodeEtf(want[i]!))), `seed ${seed} term ${i}`).toBe(true);
      });
    });
    // 97 shared atoms + 400 own atoms per worker, each exactly once.
    const names = new Set<string>();
    for (let i = 0; i < atoms.count; i++) names.add(atoms.name(makeAtom(i)));
    expect(names.size).toBe(atoms.count);
    for (let i = 0; i < 97; i++) expect(names.has(`shared_${i}`)).toBe(true);
    expect(mem.byteSize).toBeGreaterThan(1 << 20);
  });
});
