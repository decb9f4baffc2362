// Worker for smp.test.ts: a VM context attached to the main thread's memory.
// It races the main thread loading the same modules, then runs code the main
// thread loaded (and loads a module of its own) and reports what it printed.
import { parentPort, workerData } from 'node:worker_threads';
import { Slot } from '../../../scheduler/layout.js';
import { ProcessStatus } from '../../../vm/process.js';
import { VM } from '../../../vm/vm.js';

const { buffer, codePath, race, calls, go } = workerData as {
  buffer: SharedArrayBuffer; codePath: string[]; race: string[]; calls: Array<[string, string]>; go: Int32Array;
};
const out: Uint8Array[] = [];
// Scheduler 1: the main thread's context runs scheduler 0's queue.
const vm = new VM({ attach: buffer, codePath, schedulerIndex: 1, stdout: (b) => out.push(b.slice()), jit: { threshold: 0 } });
parentPort!.postMessage('ready');
Atomics.wait(go, 0, 0);
for (const m of race) vm.autoload(vm.atoms.intern(m));
const compiledBefore = Atomics.load(vm.mem.i32, Slot.JitCount);
for (const [m, f] of calls) {
  const p = vm.spawn(vm.atoms.intern(m), vm.atoms.intern(f), []);
  vm.runUntil(() => p.status === ProcessStatus.Exited);
}
parentPort!.postMessage({
  text: Buffer.concat(out).toString('latin1'),
  // Functions the main thread compiled that this thread met in the code and compiled for itself.
  attachedJit: vm.jit.functions.slice(0, compiledBefore).filter((f) => f !== undefined).length,
});
