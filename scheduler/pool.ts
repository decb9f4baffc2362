/**
 * The scheduler threads, seen from the main thread (architecture brief,
 * section 5). The main thread stays the host: it formats the memory and the
 * schedulers, starts one worker_thread per scheduler over the same
 * SharedArrayBuffer, keeps its event loop (stdout, stdin, timers of the
 * host) and learns how the schedulers ended. The workers run
 * scheduler/worker.ts, which imports the *runner* module named here and runs
 * the loop with the hooks it returns: the VM's (each worker constructs its
 * own VM context over the shared memory), or synthetic work in the tests.
 *
 * Shutdown: the schedulers stop when the last process exits or on halt
 * (Schedulers.stop, from any thread); each worker leaves its loop after its
 * current slice, posts its report and ends. A worker that throws stops the
 * others and `done` rejects with its error.
 */
import { Worker } from 'node:worker_threads';
import type { Memory } from '../vm/memory.js';
import type { SchedulerHooks } from './loop.js';
import { StopReason, type Schedulers } from './schedulers.js';

/** What a worker's runner module receives. */
export interface RunnerContext {
  mem: Memory;
  schedulers: Schedulers;
  /** The scheduler this thread runs. */
  index: number;
  /** PoolOptions.data, structured-cloned. */
  data: unknown;
}

export interface RunnerHooks extends SchedulerHooks {
  /** Called after the loop ends; its value (structured-cloneable) is the worker's report's result. */
  finish?(): unknown;
}

/** The module a worker imports (PoolOptions.runner). */
export interface RunnerModule {
  createHooks(ctx: RunnerContext): RunnerHooks | Promise<RunnerHooks>;
}

/** workerData of a scheduler thread. */
export interface WorkerInit {
  buffer: SharedArrayBuffer;
  index: number;
  runner: string;
  data: unknown;
}

export interface WorkerReport {
  index: number;
  slices: number;
  result: unknown;
}

export interface PoolResult {
  reason: StopReason.Done | StopReason.Halt;
  haltStatus: number;
  /** One per worker, by scheduler index. */
  reports: WorkerReport[];
}

export interface PoolOptions {
  /** URL of the runner module (file:...). */
  runner: string;
  /** The worker entry file (default: dist/scheduler.js beside this bundle). */
  workerFile?: string | URL;
  data?: unknown;
}

export class SchedulerPool {
  readonly done: Promise<PoolResult>;
  private readonly workers: Worker[] = [];

  private constructor(
    private readonly schedulers: Schedulers,
    options: PoolOptions,
  ) {
    const file = options.workerFile ?? new URL('./scheduler.js', import.meta.url);
    const reports: WorkerReport[] = [];
    let failure: unknown;
    const ended = Array.from({ length: schedulers.count }, (_, index) => {
      const init: WorkerInit = { buffer: schedulers.mem.buffer, index, runner: options.runner, data: options.data };
      const worker = new Worker(file, { workerData: init });
      this.workers.push(worker);
      return new Promise<void>((resolve) => {
        worker.on('message', (r: WorkerReport) => (reports[r.index] = r));
        worker.on('error', (e) => {
          failure ??= e;
          // The others would wait for processes this one held: stop them.
          schedulers.stop(StopReason.Halt, 70);
        });
        worker.on('exit', () => resolve());
      });
    });
    this.done = Promise.all(ended).then(() => {
      if (failure !== undefined) throw failure;
      if (reports.length !== schedulers.count || reports.includes(undefined as never)) {
        throw new Error('a scheduler thread ended without its report');
      }
      const reason = schedulers.stopReason;
      return { reason: reason === StopReason.Halt ? StopReason.Halt : StopReason.Done, haltStatus: schedulers.haltStatus, reports };
    });
  }

  /** Starts one worker per scheduler of `schedulers` (formatted in this thread's memory). */
  static start(schedulers: Schedulers, options: PoolOptions): SchedulerPool {
    return new SchedulerPool(schedulers, options);
  }

  /** erlang:halt from the host: every scheduler stops after its current slice. */
  halt(status: number): Promise<PoolResult> {
    this.schedulers.stop(StopReason.Halt, status);
    return this.done;
  }
}
