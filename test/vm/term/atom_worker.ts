// Worker for atoms.test.ts: interns a list of names into the shared atom table
// and reports the atom terms it got.
import { parentPort, workerData } from 'node:worker_threads';
import { Memory } from '../../../vm/memory.js';
import { AtomTable } from '../../../vm/term/atoms.js';

const { buffer, names, go } = workerData as { buffer: SharedArrayBuffer; names: string[]; go: Int32Array };
const table = new AtomTable(Memory.attach(buffer));
Atomics.wait(go, 0, 0); // start together with the other worker
parentPort!.postMessage(names.map((n) => table.intern(n)));
