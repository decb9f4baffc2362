// Worker for concurrency.test.ts: builds a batch of terms (with fresh atoms)
// into its own heap in the shared memory, allocating off-heap binaries from
// the shared allocator, and reports where each term landed.
import { parentPort, workerData } from 'node:worker_threads';
import { Memory } from '../../../vm/memory.js';
import { AtomTable } from '../../../vm/term/atoms.js';
import { Heap } from '../../../vm/term/heap.js';
import { fromETerm } from '../../../vm/term/build.js';
import { makeTerms } from './concurrency_terms.js';

const { buffer, seed, go } = workerData as { buffer: SharedArrayBuffer; seed: number; go: Int32Array };
const mem = Memory.attach(buffer);
const ctx = { mem, atoms: new AtomTable(mem) };
Atomics.wait(go, 0, 0);
const results: number[] = [];
for (const t of makeTerms(seed)) {
  // A small heap per term: many allocations, racing with the other worker.
  const heap = Heap.allocate(mem, 4096);
  results.push(fromETerm(ctx, heap, t));
}
parentPort!.postMessage(results);
