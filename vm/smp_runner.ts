/**
 * The VM on a scheduler thread (issue 6): the runner module that each
 * worker of scheduler/pool.ts imports (built into dist/smp_runner.js). It
 * constructs this thread's VM context over the shared memory — the code,
 * atoms, export table and processes the main thread and the other
 * schedulers share — and gives the scheduler loop its hooks: run a slice of
 * a process, fire this thread's timers, hand a process's state over to
 * another scheduler, and say which queued processes an idle one may steal.
 *
 * Ending: the entry process's exit is published in shared memory
 * (`Slot.MainStatus`, by VM.exit); from then on a scheduler that finds
 * every queue empty and no scheduler running stops them all — the
 * processes left have run until nothing can run, as `init:stop` lets them
 * in the real VM (timers are not waited for). `erlang:halt` in any process
 * stops them at once.
 */
import { Pcb } from '../scheduler/layout.js';
import { SliceResult } from '../scheduler/loop.js';
import type { RunnerContext, RunnerHooks } from '../scheduler/pool.js';
import { StopReason } from '../scheduler/schedulers.js';
import { Halt } from './halt.js';
import { VM } from './vm.js';
import type { SmpRunnerData, SmpWorkerResult } from './smp.js';

export function createHooks(ctx: RunnerContext): RunnerHooks {
  const data = ctx.data as SmpRunnerData;
  const vm = new VM({
    attach: ctx.mem.buffer,
    schedulerIndex: ctx.index,
    codePath: data.codePath,
    otpLibraries: data.otpLibraries,
    slice: data.slice,
    gcStress: data.gcStress,
    jit: data.jit,
    erlRoot: data.erlRoot,
  });
  const s = vm.schedulers;
  const w = ctx.mem.i32;
  let halted: number | string | undefined;
  return {
    runSlice(pcb) {
      try {
        return vm.runSlice(pcb);
      } catch (e) {
        if (!(e instanceof Halt)) throw e;
        halted = e.status;
        s.stop(StopReason.Halt, typeof e.status === 'number' ? e.status : 1);
        return SliceResult.Wait;
      }
    },
    timers() {
      vm.reclaim();
      const next = vm.pollTimers();
      if (vm.mainExited() && s.allIdle()) s.stop(StopReason.Done);
      return next < 0 ? Infinity : next;
    },
    migrate(pcb) {
      return vm.giveAway(pcb);
    },
    stealable(pcb) {
      return Atomics.load(w, pcb + Pcb.State) !== 0;
    },
    finish(): SmpWorkerResult {
      return { halted, mainExit: vm.mainExitText };
    },
  };
}
