/**
 * `beamjs run` on the SMP schedulers (issue 6), seen from the main thread.
 *
 * The main thread formats the shared memory with one record per scheduler,
 * starts the I/O servers and the kernel application and spawns the entry
 * process exactly as the inline start-up does (vm/vm.ts `startMain`), then
 * saves the state of every process it made into shared memory
 * (vm/process_state.ts) and starts one worker_thread per scheduler
 * (scheduler/pool.ts running vm/smp_runner.ts). The processes are queued on
 * scheduler 0, or waiting; the schedulers spread them by hand-over and
 * stealing. The main thread stays the host: it waits for the schedulers to
 * stop and turns how the entry process ended into the exit status.
 */
import { totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SchedulerPool } from '../scheduler/pool.js';
import { StopReason } from '../scheduler/schedulers.js';
import { Slot } from '../scheduler/layout.js';
import { VM, type VMOptions } from './vm.js';
import type { Term } from './term/tags.js';

/** What each scheduler thread's VM context is built with (structured-cloned into the workers). */
export interface SmpRunnerData {
  codePath: string[];
  otpLibraries?: boolean;
  slice?: number;
  gcStress?: boolean;
  jit?: false | { threshold?: number };
  erlRoot?: string;
}

/** A worker's report: how it saw the end. */
export interface SmpWorkerResult {
  /** erlang:halt's argument, on the thread that ran it. */
  halted: number | string | undefined;
  /** The entry process's exit reason as erlang:display writes it, on the thread where it ended (undefined: not there). */
  mainExit: string | undefined;
}

export interface SmpOutcome {
  /** 0 normal, 1 uncaught error, N for halt(N); a string for halt(String). */
  status: number | string;
  halted: boolean;
  /** The entry process's exit reason (display text) when it ended abnormally. */
  reason: string | undefined;
}

/** Processes left running after the entry function returned get this long to finish, as the inline drain does. */
const DRAIN_MS = 1000;

/**
 * Runs M:F(Args) on `schedulers` worker threads. `makeArgs` builds the
 * entry arguments in the formatted memory (its atoms and heaps).
 */
export async function runMainOnSchedulers(
  options: VMOptions & { codePath: string[] },
  schedulers: number,
  module: string,
  fun: string,
  makeArgs: (vm: VM) => Term[],
  preload?: Uint8Array,
): Promise<SmpOutcome> {
  // The whole memory limit reserved up front (no bigger than the machine's memory), so that no scheduler
  // thread's views of it ever go stale.
  const maxBytes = Math.min(options.memory?.maxBytes ?? 2 ** 32, Math.floor(totalmem() / 65536) * 65536);
  const vm = new VM({ ...options, schedulers, memory: { ...options.memory, maxBytes, reserveAll: true } });
  if (preload !== undefined) vm.load(preload);
  const started = vm.startMain(module, fun, makeArgs(vm));
  if (started !== undefined) return { status: started, halted: true, reason: undefined };
  vm.handAllOver();
  const data: SmpRunnerData = {
    codePath: options.codePath,
    otpLibraries: options.otpLibraries,
    slice: options.slice,
    gcStress: options.gcStress,
    jit: options.jit,
    erlRoot: vm.erlRoot,
  };
  const pool = SchedulerPool.start(vm.schedulers, {
    runner: new URL('./smp_runner.js', import.meta.url).href,
    workerFile: fileURLToPath(new URL('./scheduler.js', import.meta.url)),
    data,
  });
  // Timers set during the start-up are in this thread's timer heap: it keeps firing them (their messages go
  // to processes on the schedulers); nothing on this thread sets new ones.
  let timerTick: NodeJS.Timeout | undefined;
  const pollTimers = (): void => {
    const next = vm.pollTimers();
    timerTick = next < 0 ? undefined : setTimeout(pollTimers, next);
    timerTick?.unref();
  };
  pollTimers();
  // When the entry process has ended, what it left running gets DRAIN_MS (the schedulers stop sooner when all is idle).
  const w = vm.mem.i32;
  const exited = Atomics.waitAsync(w, Slot.MainStatus, 0);
  let drainTimer: NodeJS.Timeout | undefined;
  void Promise.resolve(exited.value).then(() => {
    drainTimer = setTimeout(() => vm.schedulers.stop(StopReason.Done), DRAIN_MS);
    drainTimer.unref();
  });
  const result = await pool.done;
  if (drainTimer !== undefined) clearTimeout(drainTimer);
  if (timerTick !== undefined) clearTimeout(timerTick);
  const reports = result.reports.map((r) => r.result as SmpWorkerResult);
  if (result.reason === StopReason.Halt) {
    const status = reports.find((r) => r.halted !== undefined)?.halted ?? result.haltStatus;
    return { status, halted: true, reason: undefined };
  }
  const mainStatus = Atomics.load(w, Slot.MainStatus);
  if (mainStatus === 0) {
    vm.writeStderr('beamjs: the entry process is waiting for a message that nothing can send (deadlock)\n');
    return { status: 1, halted: false, reason: undefined };
  }
  const reason = reports.find((r) => r.mainExit !== undefined)?.mainExit;
  return { status: mainStatus === 1 ? 0 : 1, halted: false, reason };
}
