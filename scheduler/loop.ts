/**
 * One scheduler's loop (architecture brief, section 5), the same on a
 * worker thread and, later, wherever the VM runs a scheduler: take the next
 * process from its own queue, run a slice, put it back or give it away;
 * when the queue is dry, steal or park until a wake or the next timer.
 *
 * The loop knows processes only as control blocks: what a slice does is
 * the `runSlice` hook's (the VM's interpreter, or synthetic work in the
 * tests). The hook owns the process's status word during the slice: it
 * publishes Waiting (and looks at the inbox again) before returning Wait,
 * as VM.runUntil does.
 *
 * Balancing, in the owner's hands: at a slice boundary, the process it
 * takes from its queue goes to another scheduler instead of running here
 * when another scheduler is idle and this one still has work queued
 * (`migrate` first moves its per-thread state into shared memory); every
 * BALANCE_EVERY slices it also goes to the scheduler with the shortest
 * queue when that queue is at least two shorter than ours. Waiting
 * processes move too: a wake queues them here, and they leave from the
 * queue. A scheduler whose queue ran dry
 * marks itself idle and steals queued processes the `stealable` hook
 * accepts (those whose state is already all in shared memory); a busy one
 * with work queued wakes a parked one now and then so that it steals.
 */
import { StopReason, type Schedulers } from './schedulers.js';

export const enum SliceResult {
  /** Still runnable (reductions used up): queued again, or given away. */
  Yield = 0,
  /** Waiting for a message or a timer: the hook published Waiting; a wake queues it again. */
  Wait = 1,
  /** The process has ended. */
  Exit = 2,
}

export interface SchedulerHooks {
  /** Runs one slice of a process this scheduler owns. */
  runSlice(pcb: number): SliceResult;
  /**
   * Fires this scheduler's due timers; returns milliseconds until its next
   * deadline (Infinity: none). Called after every slice, so it must be cheap
   * when nothing is due.
   */
  timers?(): number;
  /**
   * Moves the process's per-thread state into shared memory before it goes
   * to scheduler `to` (the VM serializes its JS Process), or returns false
   * to keep it here (the VM moves only processes that used up their last
   * slice: one that waits for messages runs best beside its partners).
   * Without this hook processes are never handed over.
   */
  migrate?(pcb: number, to: number): boolean | void;
  /** Whether another scheduler may take this queued process as it is (its state is all in shared memory). */
  stealable?(pcb: number): boolean;
}

/** Slices between two comparisons with the shortest queue. */
const BALANCE_EVERY = 16;

export interface LoopStats {
  slices: number;
}

/** Runs scheduler `index` until the schedulers stop (the last process exited, or halt). */
export function runScheduler(s: Schedulers, index: number, hooks: SchedulerHooks): LoopStats {
  const queue = s.queues[index]!;
  const { runSlice, migrate, stealable } = hooks;
  const timers = hooks.timers ?? (() => Infinity);
  let slices = 0;
  let idle = false;
  while (s.stopReason === StopReason.Running) {
    s.observe(index);
    s.busy(index, true);
    let pcb = queue.dequeue();
    if (pcb === 0) {
      s.busy(index, false);
      if (!idle) {
        s.setIdle(index, true);
        idle = true;
      }
      const next = timers();
      if (queue.length > 0) continue;
      if (stealable !== undefined) {
        s.busy(index, true);
        pcb = s.steal(index, stealable);
      }
      if (pcb === 0) {
        s.busy(index, false);
        s.park(index, next);
        continue;
      }
    }
    if (idle) {
      s.setIdle(index, false);
      idle = false;
    } else if (migrate !== undefined && queue.length > 0) {
      const to = giveTo(s, index, slices);
      if (to >= 0 && migrate(pcb, to) !== false) {
        s.handOver(pcb, index, to);
        continue;
      }
    } else if (stealable !== undefined && queue.length > 1 && slices % BALANCE_EVERY === 0) {
      // Work piles up here while a scheduler sleeps: wake it to steal (it parks again if nothing qualifies).
      // Not for one process in the queue: a token passed around a ring would keep waking the other thread
      // into this queue's lock for nothing.
      const thief = s.idleScheduler(index);
      if (thief >= 0 && s.parked(thief)) s.unpark(thief);
    }
    runOneSlice(s, index, pcb, runSlice);
    slices++;
    timers();
  }
  if (idle) s.setIdle(index, false);
  return { slices };
}

/**
 * One slice of `pcb` on scheduler `index`, with the bookkeeping every
 * scheduler loop does around it (this one, and the VM's inline loop):
 * the running flag and active time, then the process queued again if it is
 * still runnable, or counted out if it ended.
 */
export function runOneSlice(s: Schedulers, index: number, pcb: number, runSlice: (pcb: number) => SliceResult): SliceResult {
  s.running(index, true);
  const t0 = performance.now();
  const r = runSlice(pcb);
  s.addActive(index, performance.now() - t0);
  s.running(index, false);
  if (r === SliceResult.Yield) s.queues[index]!.enqueue(pcb);
  else if (r === SliceResult.Exit) s.exited();
  return r;
}

/** Where scheduler `index`, with work queued, gives a runnable process: an idle scheduler, or a much shorter queue. */
function giveTo(s: Schedulers, index: number, slices: number): number {
  const idle = s.idleScheduler(index);
  if (idle >= 0) return idle;
  if (slices % BALANCE_EVERY !== 0) return -1;
  const to = s.shortestQueue(index);
  // Ours holds the process just taken as well: +1.
  return to >= 0 && s.queues[index]!.length + 1 - s.queues[to]!.length >= 2 ? to : -1;
}
