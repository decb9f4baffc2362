/**
 * What erlang:statistics/1 and system_flag(scheduler_wall_time, _) report
 * about the schedulers, read from their shared state
 * (scheduler/schedulers.ts), in the real VM's shapes (checked against erl in
 * test/bifs/scheduler_stats.test.ts). The real VM lists its normal run
 * queues, then the dirty CPU run queue (and, for the `_all` items, the
 * dirty I/O one); beamjs has no dirty schedulers, so those entries are 0.
 */
import { ATOM_FALSE, ATOM_TRUE, ATOM_UNDEFINED } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { mkInt, mkList, mkTuple2, mkTuple3 } from '../vm/term/make.js';
import type { Term } from '../vm/term/tags.js';
import type { Process } from '../vm/process.js';
import { StatF64 } from '../scheduler/schedulers.js';
import { systemConfig } from './erlang_system.js';

/** The items of statistics/1 that are the schedulers', or undefined for another item. */
export function schedulerStatistics(p: Process, item: string): Term | undefined {
  const s = p.vm.schedulers;
  const queues = (): number[] => s.queues.map((q) => q.length);
  const active = (): number[] => s.queues.map((_, i) => s.activeTasks(i));
  const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const ints = (xs: number[]): Term => mkList(p, xs.map((x) => mkInt(p, x)));
  // The dirty CPU queue; the `_all` items add the dirty I/O queue.
  const dirty = [0];
  const dirtyAll = [0, 0];
  switch (item) {
    case 'run_queue':
      return mkInt(p, total(queues()));
    case 'run_queue_lengths':
      return ints([...queues(), ...dirty]);
    case 'run_queue_lengths_all':
      return ints([...queues(), ...dirtyAll]);
    case 'total_run_queue_lengths':
    case 'total_run_queue_lengths_all':
      return mkInt(p, total(queues()));
    case 'active_tasks':
      return ints([...active(), ...dirty]);
    case 'active_tasks_all':
      return ints([...active(), ...dirtyAll]);
    case 'total_active_tasks':
    case 'total_active_tasks_all':
      return mkInt(p, total(active()));
    case 'reductions':
    case 'exact_reductions': {
      const n = s.reductions;
      const since = s.sinceLast(item === 'reductions' ? StatF64.Reductions : StatF64.ExactReductions, n);
      return mkTuple2(p, mkInt(p, n), mkInt(p, since));
    }
    case 'scheduler_wall_time':
    case 'scheduler_wall_time_all': {
      const t = s.wallTime();
      if (t === undefined) return ATOM_UNDEFINED;
      // {SchedulerId, ActiveTime, TotalTime} in nanoseconds (the real VM's perf counter unit on Linux):
      // the normal schedulers, then the dirty CPU ones (and dirty I/O ones for _all), which never run here.
      const ns = (ms: number): Term => mkInt(p, Math.round(ms * 1e6));
      const dirtyCount = systemConfig.dirtyCpuSchedulers + (item === 'scheduler_wall_time_all' ? systemConfig.dirtyIoSchedulers : 0);
      const times = [...t.active, ...new Array<number>(dirtyCount).fill(0)];
      return mkList(p, times.map((a, i) => mkTuple3(p, mkInt(p, i + 1), ns(a), ns(t.totalMs))));
    }
    default:
      return undefined;
  }
}

/** How many times each process has enabled scheduler_wall_time (its enables end with it). */
const wallTimeEnables = new WeakMap<Process, number>();

/** system_flag(scheduler_wall_time, Bool): the old state, or undefined for another flag. */
export function schedulerSystemFlag(p: Process, name: string, value: Term): Term | undefined {
  if (name !== 'scheduler_wall_time') return undefined;
  if (value !== ATOM_TRUE && value !== ATOM_FALSE) throw badarg();
  const mine = wallTimeEnables.get(p) ?? 0;
  const s = p.vm.schedulers;
  let was: boolean;
  if (value === ATOM_TRUE) {
    wallTimeEnables.set(p, mine + 1);
    was = s.wallTimeFlag(1);
  } else if (mine > 0) {
    wallTimeEnables.set(p, mine - 1);
    was = s.wallTimeFlag(-1);
  } else was = s.wallTimeFlag(0);
  return was ? ATOM_TRUE : ATOM_FALSE;
}

/** A process ends: the scheduler_wall_time enables it held end with it. */
export function schedulerStatsExit(p: Process): void {
  const mine = wallTimeEnables.get(p);
  if (mine === undefined) return;
  wallTimeEnables.delete(p);
  if (mine > 0) p.vm.schedulers.wallTimeFlag(-mine);
}
