/**
 * The entry file of a scheduler's worker thread (built into dist/scheduler.js
 * by scripts/build.mjs). It attaches to the VM's shared memory, asks the
 * runner module named by the main thread for its hooks (the VM's, or the
 * tests' synthetic work), runs the scheduler loop until the schedulers
 * stop, and reports how it ended.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Memory } from '../vm/memory.js';
import { runScheduler } from './loop.js';
import { Schedulers } from './schedulers.js';
import type { RunnerModule, WorkerInit, WorkerReport } from './pool.js';

const init = workerData as WorkerInit;
const mem = Memory.attach(init.buffer);
const schedulers = Schedulers.attach(mem);
const runner = (await import(init.runner)) as RunnerModule;
const hooks = await runner.createHooks({ mem, schedulers, index: init.index, data: init.data });
const stats = runScheduler(schedulers, init.index, hooks);
const report: WorkerReport = { index: init.index, slices: stats.slices, result: (await hooks.finish?.()) ?? null };
parentPort!.postMessage(report);
