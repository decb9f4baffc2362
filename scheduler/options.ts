/**
 * The `schedulers` option (`beamjs run --schedulers N`, BeamVM.create), in
 * one place for the CLI and the embedding API.
 */
import { availableParallelism } from 'node:os';

/** The number of schedulers when none is asked for: one per core, as the real VM. */
export function defaultSchedulers(): number {
  return availableParallelism();
}

/** Whether `beamjs run` may run the VM on worker schedulers (vm/smp.ts). */
export const WORKER_SCHEDULERS = true;

/**
 * The scheduler threads for a requested count (`--schedulers N`, the
 * `schedulers` option): 0 runs the one scheduler inline on the main thread;
 * N from 1 to 1024 starts N worker schedulers; undefined gives `fallback`
 * (the CLI: one per core; the embedding API: inline). Anything else is a
 * RangeError.
 */
export function schedulerOption(n: number | string | undefined, fallback: 'inline' | 'cores'): number {
  if (n === undefined) return fallback === 'cores' && WORKER_SCHEDULERS ? defaultSchedulers() : 0;
  const v = typeof n === 'string' ? (/^\d+$/.test(n) ? Number(n) : NaN) : n;
  if (!Number.isInteger(v) || v < 0 || v > 1024) throw new RangeError(`schedulers: ${String(n)}: an integer from 0 to 1024`);
  if (WORKER_SCHEDULERS) return v;
  // Until the VM runs on worker threads, 1 means the one scheduler on the main thread.
  if (v > 1) throw new RangeError(`schedulers: ${v}: only 0 or 1 (one scheduler on the main thread) until the VM runs on worker threads`);
  return 0;
}
