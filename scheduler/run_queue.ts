/**
 * A scheduler's run queue in shared memory: three FIFO lists (max, high,
 * normal) of control blocks linked by their Pcb.RunNext word, and a length
 * counter per priority (max, high, normal, low), guarded by one Atomics mutex
 * so that any thread may enqueue (a sender waking a receiver, a scheduler
 * handing a process over) while the owner dequeues or a thief steals.
 *
 * Order of service, as in the real VM (erl_process.c): max before high
 * before normal. Low processes sit in the normal list; a low process that
 * reaches the head while normal processes are queued goes back to the tail
 * until it has been passed over RESCHEDULE_LOW times (its count is
 * Pcb.ScheduleCount), so it gets about one turn in eight.
 *
 * Control blocks in a queue may lie in memory another thread added after
 * this thread built its views: every operation that follows links refreshes
 * the views first (cheap when the buffer has not grown).
 *
 * Length counters change with Atomics.add/sub under the lock and are read
 * with Atomics.load without it: a parking scheduler publishes its sleep word
 * and then reads its lengths, an enqueuer adds to a length and then reads
 * the sleep word, and sequential consistency of Atomics makes one of the
 * two see the other (scheduler/schedulers.ts).
 */
import { Pcb, RunQ } from './layout.js';
import type { Memory } from '../vm/memory.js';

/** A low-priority process is passed over this many times at the head of the normal list (RESCHEDULE_LOW). */
export const RESCHEDULE_LOW = 8;
const PRIO_NORMAL = 2;
const PRIO_LOW = 3;
/** The list a priority's processes are linked in. */
const listOf = (prio: number): number => (prio === PRIO_LOW ? PRIO_NORMAL : prio);

export class RunQueue {
  private constructor(
    private readonly mem: Memory,
    /** Word index of the queue's block. */
    readonly at: number,
  ) {}

  /** A run queue in a fresh block of its own. */
  static create(mem: Memory): RunQueue {
    return new RunQueue(mem, mem.allocZeroed(RunQ.Words));
  }

  /** The run queue at `at` (zeroed words, or a queue another thread created). */
  static attach(mem: Memory, at: number): RunQueue {
    return new RunQueue(mem, at);
  }

  /** Appends a control block at its priority's tail (any thread). */
  enqueue(pcb: number): void {
    const mem = this.mem;
    mem.lock(this.at + RunQ.Lock);
    // Another thread may have grown the buffer and queued a control block beyond this thread's views.
    mem.refresh();
    const w = mem.i32;
    if (w[pcb + Pcb.Queued] !== 0) {
      // Only the thread that made it runnable enqueues it: a second entry would corrupt the list.
      mem.unlock(this.at + RunQ.Lock);
      throw new Error(`run queue: control block ${pcb} is already queued`);
    }
    const prio = w[pcb + Pcb.Priority]!;
    w[pcb + Pcb.ScheduleCount] = prio === PRIO_LOW ? RESCHEDULE_LOW : 1;
    Atomics.store(w, pcb + Pcb.Queued, 1 + prio);
    this.append(listOf(prio), pcb);
    Atomics.add(w, this.at + RunQ.Lengths + prio, 1);
    mem.unlock(this.at + RunQ.Lock);
  }

  /** The next control block to run, or 0 when every queue is empty. */
  dequeue(): number {
    if (this.length === 0) return 0;
    const mem = this.mem;
    mem.lock(this.at + RunQ.Lock);
    // Another thread may have grown the buffer and queued a control block beyond this thread's views.
    mem.refresh();
    try {
      const w = mem.i32;
      for (let list = 0; list <= PRIO_NORMAL; list++) {
        for (;;) {
          const pcb = this.unlinkHead(list);
          if (pcb === 0) break;
          if (w[pcb + Pcb.Queued] === 1 + PRIO_LOW && --w[pcb + Pcb.ScheduleCount]! > 0 &&
              Atomics.load(w, this.at + RunQ.Lengths + PRIO_NORMAL) > 0) {
            // Passed over while normal processes wait its turn.
            this.append(list, pcb);
            continue;
          }
          this.taken(pcb);
          return pcb;
        }
      }
      return 0;
    } finally {
      mem.unlock(this.at + RunQ.Lock);
    }
  }

  /**
   * Takes a queued process that `eligible` accepts, for another scheduler
   * (work stealing): the normal list first (low and normal processes), then
   * high, then max; 0 when none qualifies.
   */
  steal(eligible: (pcb: number) => boolean): number {
    if (this.length === 0) return 0;
    const mem = this.mem;
    mem.lock(this.at + RunQ.Lock);
    // Another thread may have grown the buffer and queued a control block beyond this thread's views.
    mem.refresh();
    try {
      const w = mem.i32;
      for (let list = PRIO_NORMAL; list >= 0; list--) {
        const q = this.at + RunQ.Lists + 2 * list;
        for (let prev = 0, c = w[q]!; c !== 0; prev = c, c = w[c + Pcb.RunNext]!) {
          if (!eligible(c)) continue;
          this.unlink(list, prev, c);
          this.taken(c);
          return c;
        }
      }
      return 0;
    } finally {
      mem.unlock(this.at + RunQ.Lock);
    }
  }

  /** Whether the control block sits in a run queue. */
  holds(pcb: number): boolean {
    return Atomics.load(this.mem.i32, pcb + Pcb.Queued) !== 0;
  }

  /** Processes waiting to run, per priority [max, high, normal, low]. */
  lengths(): number[] {
    const w = this.mem.i32;
    const l = this.at + RunQ.Lengths;
    return [Atomics.load(w, l), Atomics.load(w, l + 1), Atomics.load(w, l + 2), Atomics.load(w, l + 3)];
  }

  /** Processes waiting to run, all priorities. */
  get length(): number {
    const w = this.mem.i32;
    const l = this.at + RunQ.Lengths;
    return Atomics.load(w, l) + Atomics.load(w, l + 1) + Atomics.load(w, l + 2) + Atomics.load(w, l + 3);
  }

  /** Takes a control block out of its queue wherever it is (a process ended by a signal while queued). */
  remove(pcb: number): boolean {
    const mem = this.mem;
    mem.lock(this.at + RunQ.Lock);
    // Another thread may have grown the buffer and queued a control block beyond this thread's views.
    mem.refresh();
    const w = mem.i32;
    try {
      const queued = w[pcb + Pcb.Queued]!;
      if (queued === 0) return false;
      const list = listOf(queued - 1);
      for (let prev = 0, c = w[this.at + RunQ.Lists + 2 * list]!; c !== 0; prev = c, c = w[c + Pcb.RunNext]!) {
        if (c !== pcb) continue;
        this.unlink(list, prev, c);
        this.taken(c);
        return true;
      }
      return false;
    } finally {
      mem.unlock(this.at + RunQ.Lock);
    }
  }

  // The helpers below run with the lock held.

  private append(list: number, pcb: number): void {
    const w = this.mem.i32;
    const q = this.at + RunQ.Lists + 2 * list;
    w[pcb + Pcb.RunNext] = 0;
    const tail = w[q + 1]!;
    if (tail === 0) w[q] = pcb;
    else w[tail + Pcb.RunNext] = pcb;
    w[q + 1] = pcb;
  }

  private unlinkHead(list: number): number {
    const pcb = this.mem.i32[this.at + RunQ.Lists + 2 * list]!;
    if (pcb !== 0) this.unlink(list, 0, pcb);
    return pcb;
  }

  private unlink(list: number, prev: number, pcb: number): void {
    const w = this.mem.i32;
    const q = this.at + RunQ.Lists + 2 * list;
    const next = w[pcb + Pcb.RunNext]!;
    if (prev === 0) w[q] = next;
    else w[prev + Pcb.RunNext] = next;
    if (w[q + 1] === pcb) w[q + 1] = prev;
    w[pcb + Pcb.RunNext] = 0;
  }

  /** Bookkeeping of a control block leaving the queue: its priority's length, its Queued mark. */
  private taken(pcb: number): void {
    const w = this.mem.i32;
    Atomics.sub(w, this.at + RunQ.Lengths + w[pcb + Pcb.Queued]! - 1, 1);
    Atomics.store(w, pcb + Pcb.Queued, 0);
  }
}
