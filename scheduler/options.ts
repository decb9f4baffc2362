/**
 * The `schedulers` option (`beamjs run --schedulers N`, BeamVM.create), in
 * one place for the CLI and the embedding API.
 */
import { availableParallelism } from 'node:os';

/** The number of schedulers when none is asked for: one per core, as the real VM. */
export function defaultSchedulers(): number {
  return availableParallelism();
}

/**
 * The scheduler threads for a requested count (`--schedulers N`, the
 * `schedulers` option): 0 runs the one scheduler inline on the main thread;
 * N from 1 to 1024 starts N worker schedulers; undefined gives `fallback`
 * (the CLI: one per core; the embedding API: inline). Anything else is a
 * RangeError.
 */
export function schedulerOption(n: number | string | undefined, fallback: 'inline' | 'cores'): number {
  if (n === undefined) return fallback === 'cores' ? defaultSchedulers() : 0;
  const v = typeof n === 'string' ? (/^\d+$/.test(n) ? Number(n) : NaN) : n;
  if (!Number.isInteger(v) || v < 0 || v > 1024) throw new RangeError(`schedulers: ${String(n)}: an integer from 0 to 1024`);
  return v;
}
