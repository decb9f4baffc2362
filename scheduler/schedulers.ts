/**
 * The schedulers' shared state (architecture brief, section 5): one record
 * per scheduler in shared memory (its run queue, its parking word, counters)
 * plus the idle mask, the count of live processes and the stop word, rooted
 * in the header slots Slot.Schedulers.. (scheduler/layout.ts). Every thread
 * that runs processes holds a `Schedulers` over the same words; the main
 * thread formats them, the workers attach.
 *
 * Ownership: a process belongs to one scheduler (Pcb.Owner); only that
 * thread runs it. A wake from any thread enqueues it on its owner's queue.
 * A process changes owner only while it is runnable and in no thread's
 * hands: handed over by its owner at a slice boundary (`handOver`, after the
 * VM has moved its per-thread state into shared memory) or taken from a
 * queue by an idle scheduler (`steal`, for processes whose whole state is in
 * shared memory). A runnable process is never woken (wakes move Waiting ->
 * Runnable), so nobody reads its Owner to enqueue it while it moves.
 *
 * Parking without lost wake-ups: a scheduler with nothing to run stores 1
 * in its Sleep word, then looks at its queue once more, and only then waits
 * on the word (Atomics.wait returns at once if the word is no longer 1). An
 * enqueuer adds to the queue's length, then exchanges the owner's Sleep
 * word to 0 and notifies if it was 1. All of these are Atomics operations,
 * sequentially consistent: either the sleeper's second look sees the new
 * length, or the enqueuer sees the 1 and wakes it.
 */
import { Pcb, Sched, Slot } from './layout.js';
import { RunQueue } from './run_queue.js';
import type { Memory } from '../vm/memory.js';

/** How long an idle scheduler looks for work before it parks, by default (microseconds). */
const SPIN_MICROS = 50;

/** ProcessStatus (vm/process.ts) values the scheduler itself changes. */
const RUNNABLE = 0;
const WAITING = 2;

/** Totals statistics/1 last reported, after the per-scheduler Float64 words. */
export const enum StatF64 {
  Reductions = 0,
  ExactReductions = 1,
  /** When scheduler_wall_time was enabled (epoch milliseconds: every thread's clock agrees on it). */
  WallStart = 2,
  Words = 3,
}

/** Float64 words per scheduler: active ms, reductions, active ms at scheduler_wall_time's enabling. */
const PER_SCHED = 3;

/** What stopped the schedulers (Slot.Stop). */
export const enum StopReason {
  Running = 0,
  /** The last process exited. */
  Done = 1,
  /** erlang:halt/1 (status in Slot.HaltStatus). */
  Halt = 2,
  /** A stop is being published (its reason follows). */
  Stopping = 3,
}

export class Schedulers {
  readonly count: number;
  readonly queues: readonly RunQueue[];
  /** Word index of scheduler 0's record. */
  private readonly table: number;
  private readonly mask: number;
  /**
   * Shared statistics as Float64 (Int32 counters would overflow within
   * minutes): per scheduler PerSched words (active milliseconds,
   * reductions, active milliseconds when scheduler_wall_time was enabled),
   * then the StatF64 words.
   */
  private readonly f64: Float64Array;

  private constructor(readonly mem: Memory) {
    const w = mem.i32;
    this.count = w[Slot.Schedulers]!;
    this.table = w[Slot.SchedulerTable]!;
    this.mask = w[Slot.IdleMask]!;
    this.queues = Array.from({ length: this.count }, (_, i) => RunQueue.attach(mem, this.record(i) + Sched.RunQueue));
    this.f64 = new Float64Array(mem.buffer, w[Slot.SchedulerTimes]! * 4, PER_SCHED * this.count + StatF64.Words);
  }

  /** Lays out `count` schedulers in a new memory (the main thread, once). */
  static format(mem: Memory, count: number, spinMicros = SPIN_MICROS): Schedulers {
    if (!Number.isInteger(count) || count < 1 || count > 1024) throw new RangeError(`schedulers: ${count}: 1 to 1024`);
    const w = mem.i32;
    if (w[Slot.Schedulers] !== 0) throw new Error('schedulers already formatted in this memory');
    w[Slot.SchedulerTable] = mem.allocZeroed(count * Sched.Words);
    w[Slot.IdleMask] = mem.allocZeroed((count + 31) >>> 5);
    // Float64 statistics need an 8-byte aligned word index.
    const times = mem.allocZeroed(2 * (PER_SCHED * count + StatF64.Words) + 1);
    w[Slot.SchedulerTimes] = (times + 1) & ~1;
    w[Slot.SchedulersOnline] = count;
    w[Slot.SpinMicros] = spinMicros;
    Atomics.store(w, Slot.Schedulers, count);
    return new Schedulers(mem);
  }

  /** The schedulers another thread formatted in this memory. */
  static attach(mem: Memory): Schedulers {
    if (Atomics.load(mem.i32, Slot.Schedulers) === 0) throw new Error('no schedulers in this memory');
    return new Schedulers(mem);
  }

  /** Word index of scheduler i's record. */
  record(i: number): number {
    return this.table + i * Sched.Words;
  }

  // ---------------------------------------------------------------- processes

  /** The scheduler a process belongs to. */
  ownerOf(pcb: number): number {
    // The control block may lie in memory another thread added: refresh first (cheap when nothing grew).
    this.mem.refresh();
    return Atomics.load(this.mem.i32, pcb + Pcb.Owner);
  }

  /** Gives a new process (not yet runnable anywhere) its owner and counts it alive. */
  adopt(pcb: number, owner: number): void {
    Atomics.store(this.mem.i32, pcb + Pcb.Owner, owner);
    Atomics.add(this.mem.i32, Slot.LiveProcesses, 1);
  }

  /** A process has ended; the last one stops the schedulers. */
  exited(): void {
    if (Atomics.sub(this.mem.i32, Slot.LiveProcesses, 1) === 1) this.stop(StopReason.Done);
  }

  get liveProcesses(): number {
    return Atomics.load(this.mem.i32, Slot.LiveProcesses);
  }

  /** Queues a runnable process on its owner's queue and wakes the owner if it is parked (any thread). */
  enqueue(pcb: number): void {
    const owner = this.ownerOf(pcb);
    this.queues[owner]!.enqueue(pcb);
    this.unpark(owner);
  }

  /**
   * Makes a waiting process runnable: only the caller whose compareExchange
   * (Waiting -> Runnable) wins enqueues it, so it is queued exactly once.
   */
  wake(pcb: number): boolean {
    this.mem.refresh();
    if (Atomics.compareExchange(this.mem.i32, pcb + Pcb.Status, WAITING, RUNNABLE) !== WAITING) return false;
    this.enqueue(pcb);
    return true;
  }

  /** Takes a process out of the run queue it sits in, whoever owns it. */
  remove(pcb: number): boolean {
    for (;;) {
      const owner = this.ownerOf(pcb);
      if (this.queues[owner]!.remove(pcb)) return true;
      // Stolen or handed over meanwhile: it then sits in its new owner's queue.
      if (this.ownerOf(pcb) === owner) return false;
    }
  }

  // ---------------------------------------------------------------- parking

  /**
   * Parks scheduler i until something is queued for it, the schedulers stop,
   * or `timeoutMs` passes (its next timer). Returns at once if its queue is
   * not empty.
   */
  park(i: number, timeoutMs: number): void {
    // Spin a little first: a process on another scheduler often answers within microseconds, while waking
    // a thread that sleeps in Atomics.wait takes tens of them (the real VM's schedulers spin too).
    const q = this.queues[i]!;
    const spinUntil = performance.now() + Math.min(this.mem.i32[Slot.SpinMicros]! / 1000, timeoutMs);
    for (let n = 1; q.length === 0 && this.stopReason === StopReason.Running; n++) {
      if ((n & 63) === 0 && performance.now() >= spinUntil) break;
    }
    if (q.length > 0) return;
    const w = this.mem.i32;
    const sleep = this.record(i) + Sched.Sleep;
    Atomics.store(w, sleep, 1);
    // The second look: an enqueue before the store is seen here, one after it sees the 1.
    if (this.queues[i]!.length === 0 && this.stopReason === StopReason.Running) {
      Atomics.add(w, this.record(i) + Sched.Parks, 1);
      Atomics.wait(w, sleep, 1, timeoutMs === Infinity ? undefined : Math.max(0, timeoutMs));
    }
    Atomics.store(w, sleep, 0);
  }

  /** Wakes scheduler i if it is parked (or about to park). */
  unpark(i: number): void {
    const w = this.mem.i32;
    const sleep = this.record(i) + Sched.Sleep;
    if (Atomics.load(w, sleep) === 1 && Atomics.compareExchange(w, sleep, 1, 0) === 1) Atomics.notify(w, sleep);
  }

  /** Whether scheduler i is parked (or about to park). */
  parked(i: number): boolean {
    return Atomics.load(this.mem.i32, this.record(i) + Sched.Sleep) === 1;
  }

  // ---------------------------------------------------------------- balancing

  /** Marks scheduler i idle (its queue ran dry: it looks for work or parks) or busy again. */
  setIdle(i: number, idle: boolean): void {
    const w = this.mem.i32;
    const word = this.mask + (i >>> 5);
    const bit = 1 << (i & 31);
    if (idle) {
      if ((Atomics.or(w, word, bit) & bit) === 0) Atomics.add(w, Slot.IdleCount, 1);
    } else if ((Atomics.and(w, word, ~bit) & bit) !== 0) Atomics.sub(w, Slot.IdleCount, 1);
  }

  get idleCount(): number {
    return Atomics.load(this.mem.i32, Slot.IdleCount);
  }

  /** An idle scheduler other than `except`, or -1; the search starts after `except` so givers spread out. */
  idleScheduler(except: number): number {
    if (this.idleCount === 0) return -1;
    const w = this.mem.i32;
    for (let k = 1; k < this.count; k++) {
      const i = (except + k) % this.count;
      if ((Atomics.load(w, this.mask + (i >>> 5)) & (1 << (i & 31))) !== 0) return i;
    }
    return -1;
  }

  /** The scheduler other than `except` with the shortest run queue. */
  shortestQueue(except: number): number {
    let best = -1;
    let bestLen = Infinity;
    for (let i = 0; i < this.count; i++) {
      if (i === except) continue;
      const len = this.queues[i]!.length;
      if (len < bestLen) [best, bestLen] = [i, len];
    }
    return best;
  }

  /**
   * Scheduler `from` gives a runnable process it holds (dequeued, not
   * running) to scheduler `to`. The caller has already moved the process's
   * per-thread state into shared memory.
   */
  handOver(pcb: number, from: number, to: number): void {
    const w = this.mem.i32;
    Atomics.add(w, this.record(from) + Sched.GivenAway, 1);
    Atomics.add(w, this.record(to) + Sched.Taken, 1);
    Atomics.store(w, pcb + Pcb.Owner, to);
    this.enqueue(pcb);
  }

  /**
   * Idle scheduler `thief` takes a queued process from another scheduler's
   * queue, the longest first, if `eligible` accepts it (its state is all in
   * shared memory). Returns the control block, now owned by the thief, or 0.
   */
  steal(thief: number, eligible: (pcb: number) => boolean): number {
    const order = [...this.queues.keys()].filter((i) => i !== thief && this.queues[i]!.length > 0);
    order.sort((a, b) => this.queues[b]!.length - this.queues[a]!.length);
    const w = this.mem.i32;
    for (const victim of order) {
      const pcb = this.queues[victim]!.steal(eligible);
      if (pcb === 0) continue;
      Atomics.store(w, pcb + Pcb.Owner, thief);
      Atomics.add(w, this.record(thief) + Sched.Stolen, 1);
      Atomics.add(w, this.record(thief) + Sched.Taken, 1);
      Atomics.add(w, this.record(victim) + Sched.GivenAway, 1);
      return pcb;
    }
    return 0;
  }

  // ---------------------------------------------------------------- stopping

  /** Stops every scheduler: each finishes its slice and leaves its loop. The first reason sticks. */
  stop(reason: StopReason.Done | StopReason.Halt, haltStatus = 0): void {
    const w = this.mem.i32;
    // Claimed first, so that the status stored is the winner's.
    if (Atomics.compareExchange(w, Slot.Stop, StopReason.Running, StopReason.Stopping) !== StopReason.Running) return;
    if (reason === StopReason.Halt) Atomics.store(w, Slot.HaltStatus, haltStatus);
    Atomics.store(w, Slot.Stop, reason);
    for (let i = 0; i < this.count; i++) {
      Atomics.store(w, this.record(i) + Sched.Sleep, 0);
      Atomics.notify(w, this.record(i) + Sched.Sleep);
    }
  }

  get stopReason(): StopReason {
    return Atomics.load(this.mem.i32, Slot.Stop) as StopReason;
  }

  get haltStatus(): number {
    return Atomics.load(this.mem.i32, Slot.HaltStatus);
  }

  // ---------------------------------------------------------------- statistics

  /** A counter of scheduler i's record (Sched.Slices, Sched.GivenAway, ...). */
  counter(i: number, which: Sched): number {
    return Atomics.load(this.mem.i32, this.record(i) + which);
  }

  /** Scheduler i starts (true) or ends (false) a slice. */
  running(i: number, on: boolean): void {
    const at = this.record(i);
    Atomics.store(this.mem.i32, at + Sched.Running, on ? 1 : 0);
    if (!on) Atomics.add(this.mem.i32, at + Sched.Slices, 1);
  }

  /** Adds to scheduler i's active time (only scheduler i's thread writes it). */
  addActive(i: number, ms: number): void {
    this.f64[PER_SCHED * i]! += ms;
  }

  /** Milliseconds scheduler i has spent running processes. */
  activeMs(i: number): number {
    return this.f64[PER_SCHED * i]!;
  }

  /** Adds to scheduler i's reductions (only scheduler i's thread writes it). */
  addReductions(i: number, n: number): void {
    this.f64[PER_SCHED * i + 1]! += n;
  }

  /** Reductions run by all schedulers. */
  get reductions(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) n += this.f64[PER_SCHED * i + 1]!;
    return n;
  }

  /**
   * A total statistics/1 reports with the difference since its last report
   * (`{Total, SinceLastCall}`): returns the difference and remembers `now`.
   * The last value is shared, as in the real VM (any process's call resets it).
   */
  sinceLast(which: StatF64, now: number): number {
    const at = PER_SCHED * this.count + which;
    const last = this.f64[at]!;
    this.f64[at] = now;
    return now - last;
  }

  /**
   * erlang:system_flag(scheduler_wall_time, Bool) by a process: `delta` is
   * +1 or -1 on the count of enables (each process's own enables count, and
   * go when it exits). Returns whether it was enabled before. Enabling
   * starts the measurement again from zero, as in the real VM.
   */
  wallTimeFlag(delta: number): boolean {
    const before = Atomics.add(this.mem.i32, Slot.WallTimeEnables, delta);
    if (before === 0 && delta > 0) {
      for (let i = 0; i < this.count; i++) this.f64[PER_SCHED * i + 2] = this.f64[PER_SCHED * i]!;
      this.f64[PER_SCHED * this.count + StatF64.WallStart] = performance.timeOrigin + performance.now();
    }
    return before > 0;
  }

  /** Since scheduler_wall_time was enabled: [active ms per scheduler, elapsed ms], or undefined when it is off. */
  wallTime(): { active: number[]; totalMs: number } | undefined {
    if (Atomics.load(this.mem.i32, Slot.WallTimeEnables) <= 0) return undefined;
    const start = this.f64[PER_SCHED * this.count + StatF64.WallStart]!;
    const active = Array.from({ length: this.count }, (_, i) => this.f64[PER_SCHED * i]! - this.f64[PER_SCHED * i + 2]!);
    return { active, totalMs: performance.timeOrigin + performance.now() - start };
  }

  /** Processes runnable or running on scheduler i (statistics active_tasks). */
  activeTasks(i: number): number {
    return this.queues[i]!.length + Atomics.load(this.mem.i32, this.record(i) + Sched.Running);
  }

  // ---------------------------------------------------------------- reclaiming control blocks

  /**
   * Scheduler i starts a loop turn: it holds no control block it found
   * before (senders look a process up by pid for each send). Published so
   * that a retired control block is freed only after every scheduler has
   * passed such a point (quiescent-state reclamation).
   */
  observe(i: number): void {
    Atomics.store(this.mem.i32, this.record(i) + Sched.SeenEpoch, Atomics.load(this.mem.i32, Slot.ReclaimEpoch));
  }

  /** A control block leaves the process table: the epoch after which it may be freed. */
  retire(): number {
    return Atomics.add(this.mem.i32, Slot.ReclaimEpoch, 1) + 1;
  }

  /** Whether every scheduler has started a turn since `epoch` (or is parked, holding nothing). */
  passed(epoch: number): boolean {
    const w = this.mem.i32;
    for (let i = 0; i < this.count; i++) {
      const at = this.record(i);
      if (Atomics.load(w, at + Sched.SeenEpoch) < epoch && Atomics.load(w, at + Sched.Sleep) !== 1) return false;
    }
    return true;
  }

  /** Marks scheduler i as looking at or running its queue (true) or out of work (false). */
  busy(i: number, on: boolean): void {
    Atomics.store(this.mem.i32, this.record(i) + Sched.Busy, on ? 1 : 0);
  }

  /** No process queued on any scheduler and none taken or running: nothing can happen but timers and the host. */
  allIdle(): boolean {
    const w = this.mem.i32;
    for (let i = 0; i < this.count; i++) {
      if (this.queues[i]!.length > 0 || Atomics.load(w, this.record(i) + Sched.Busy) !== 0) return false;
    }
    return true;
  }

  get online(): number {
    return Atomics.load(this.mem.i32, Slot.SchedulersOnline);
  }
}
