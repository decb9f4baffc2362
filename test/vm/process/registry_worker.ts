// Worker for registry.test.ts: attaches to the shared memory and uses the
// process registries as a scheduler thread would: takes pid numbers from
// the shared counter into the process table, registers names (its own and
// contested ones), makes aliases and claims half of them back, and claims
// timers that the main thread also tries to claim.
import { parentPort, workerData } from 'node:worker_threads';
import { Slot } from '../../../scheduler/layout.js';
import { Memory } from '../../../vm/memory.js';
import { ProcessTable, SharedMap } from '../../../vm/registry.js';

const { buffer, id, n, go } = workerData as { buffer: SharedArrayBuffer; id: number; n: number; go: Int32Array };
const mem = Memory.attach(buffer);
const procs = new ProcessTable(mem);
const names = new SharedMap(mem, Slot.Names, Slot.NamesLock, 1);
const aliases = new SharedMap(mem, Slot.Aliases, Slot.AliasesLock, 2);
const timers = new SharedMap(mem, Slot.Timers, Slot.TimersLock, 5);

Atomics.wait(go, 0, 0);
const pids: number[] = [];
let contestedWon = 0;
let timersClaimed = 0;
const out = new Int32Array(5);
for (let i = 0; i < n; i++) {
  mem.refresh();
  const number = Atomics.add(mem.i32, Slot.PidCounter, 1) + 1;
  procs.set(number, 1000 + number);
  pids.push(number);
  names.insert(id * 1_000_000 + i, [number]);
  if (names.insert(7 + (i % 64), [number])) contestedWon++;
  const ref = Atomics.add(mem.i32, Slot.RefCounter, 1) + 1;
  aliases.insert(ref, [number, id]);
  if (i % 2 === 0 && !aliases.take(ref, undefined, (w, at) => w[at] === number)) throw new Error('own alias missing');
  if (timers.take(1 + i, out)) {
    if (out[0] !== 1 + i) throw new Error('torn timer entry');
    timersClaimed++;
  }
}
parentPort!.postMessage({ pids, contestedWon, timersClaimed });
