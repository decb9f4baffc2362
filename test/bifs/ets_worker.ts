// Worker for ets_concurrency.test.ts: attaches to the VM's shared memory and
// calls the ets, atomics and counters natives as a process of its own would
// (a minimal process: memory, atoms, a pid, allocation from the shared
// allocator), racing with the other workers on one table and one array.
import { parentPort, workerData } from 'node:worker_threads';
import '../../bifs/index.js';
import { lookupBif } from '../../bifs/registry.js';
import { Memory } from '../../vm/memory.js';
import { AtomTable } from '../../vm/term/atoms.js';
import { mkBinary, mkTuple } from '../../vm/term/make.js';
import { makeLocalPid, makeSmall, type Term } from '../../vm/term/tags.js';
import type { Process } from '../../vm/process.js';

const { buffer, id, n, tab, atomicsRef, countersRef, go } = workerData as {
  buffer: SharedArrayBuffer; id: number; n: number; tab: Term; atomicsRef: Term; countersRef: Term; go: Int32Array;
};
const mem = Memory.attach(buffer);
const atoms = new AtomTable(mem);
const p = { mem, atoms, pid: makeLocalPid(100 + id, 0), alloc: (words: number) => mem.alloc(words), linkOffHeap: () => {} } as unknown as Process;
const bif = (m: string, f: string, a: number) => lookupBif(m, f, a)!.fn;
const insert = bif('ets', 'insert', 2);
const updateCounter = bif('ets', 'update_counter', 3);
const lookup = bif('ets', 'lookup', 2);
const atomicsAdd = bif('atomics', 'add', 3);
const countersAdd = bif('erts_internal', 'counters_add', 3);
const counterKey = atoms.intern('hits');
const incr = mkTuple(p, [makeSmall(2), makeSmall(1)]);

Atomics.wait(go, 0, 0);
let found = 0;
for (let i = 0; i < n; i++) {
  const key = makeSmall(id * 1_000_000 + i);
  const payload = new Uint8Array(80 + (i % 50)).fill(id);
  mem.refresh();
  insert(p, [tab, mkTuple(p, [key, makeSmall(id), mkBinary(p, payload)])]);
  updateCounter(p, [tab, counterKey, incr]);
  atomicsAdd(p, [atomicsRef, makeSmall(1), makeSmall(1)]);
  countersAdd(p, [countersRef, makeSmall(1 + (i % 2)), makeSmall(1)]);
  if (i % 7 === 0 && lookup(p, [tab, key]) !== 0x3b) found++;
}
parentPort!.postMessage(found);
