/**
 * A scheduler's run queue in shared memory: one FIFO per priority (max,
 * high, normal, low), each an intrusive list of control blocks linked by
 * their Pcb.RunNext word, guarded by one Atomics mutex so that any thread
 * may enqueue (a sender waking a receiver) while the owner dequeues.
 *
 * Order of service, as in the real VM: max before high before normal; low
 * shares the normal queue's turns, one low process per eight normal ones
 * when both have work (the real VM counts reductions; a count of picks is
 * our approximation).
 */
import { Pcb, RunQ } from './layout.js';
import type { Memory } from '../vm/memory.js';

const LOW_EVERY = 8;

export class RunQueue {
  /** Normal picks since the last low pick. */
  private normalPicks = 0;

  private constructor(
    private readonly mem: Memory,
    /** Word index of the queue's block. */
    readonly at: number,
  ) {}

  static create(mem: Memory): RunQueue {
    return new RunQueue(mem, mem.allocZeroed(RunQ.Words));
  }

  static attach(mem: Memory, at: number): RunQueue {
    return new RunQueue(mem, at);
  }

  /** Appends a control block at its priority's tail (any thread). */
  enqueue(pcb: number): void {
    const mem = this.mem;
    mem.lock(this.at + RunQ.Lock);
    const w = mem.i32;
    const q = this.at + RunQ.Queues + w[pcb + Pcb.Priority]! * RunQ.Stride;
    w[pcb + Pcb.RunNext] = 0;
    w[pcb + Pcb.Queued] = 1;
    const tail = w[q + 1]!;
    if (tail === 0) w[q] = pcb;
    else w[tail + Pcb.RunNext] = pcb;
    w[q + 1] = pcb;
    w[q + 2]! += 1;
    mem.unlock(this.at + RunQ.Lock);
  }

  /** The next control block to run, or 0 when every queue is empty. */
  dequeue(): number {
    const mem = this.mem;
    const w = mem.i32;
    if (w[this.at + RunQ.Queues + 2] === 0 && w[this.at + RunQ.Queues + RunQ.Stride + 2] === 0 &&
        w[this.at + RunQ.Queues + 2 * RunQ.Stride + 2] === 0 && w[this.at + RunQ.Queues + 3 * RunQ.Stride + 2] === 0) return 0;
    mem.lock(this.at + RunQ.Lock);
    let prio: number;
    if (w[this.at + RunQ.Queues + 2]! > 0) prio = 0;
    else if (w[this.at + RunQ.Queues + RunQ.Stride + 2]! > 0) prio = 1;
    else {
      const normal = w[this.at + RunQ.Queues + 2 * RunQ.Stride + 2]! > 0;
      const low = w[this.at + RunQ.Queues + 3 * RunQ.Stride + 2]! > 0;
      if (normal && (!low || this.normalPicks < LOW_EVERY)) {
        prio = 2;
        this.normalPicks++;
      } else if (low) {
        prio = 3;
        this.normalPicks = 0;
      } else {
        mem.unlock(this.at + RunQ.Lock);
        return 0;
      }
    }
    const q = this.at + RunQ.Queues + prio * RunQ.Stride;
    const pcb = w[q]!;
    const next = w[pcb + Pcb.RunNext]!;
    w[q] = next;
    if (next === 0) w[q + 1] = 0;
    w[q + 2]! -= 1;
    w[pcb + Pcb.RunNext] = 0;
    w[pcb + Pcb.Queued] = 0;
    mem.unlock(this.at + RunQ.Lock);
    return pcb;
  }

  /** Whether the control block sits in a run queue. */
  holds(pcb: number): boolean {
    return Atomics.load(this.mem.i32, pcb + Pcb.Queued) === 1;
  }

  /** Processes waiting to run, per priority [max, high, normal, low]. */
  lengths(): number[] {
    const w = this.mem.i32;
    return [0, 1, 2, 3].map((i) => Atomics.load(w, this.at + RunQ.Queues + i * RunQ.Stride + 2));
  }

  get length(): number {
    return this.lengths().reduce((a, b) => a + b, 0);
  }

  /** Takes a control block out of its queue wherever it is (a process ended by a signal while queued). */
  remove(pcb: number): boolean {
    const mem = this.mem;
    mem.lock(this.at + RunQ.Lock);
    const w = mem.i32;
    try {
      if (w[pcb + Pcb.Queued] !== 1) return false;
      // Every priority: the process's priority may have changed since it was queued.
      for (let prio = 0; prio < 4; prio++) {
        const q = this.at + RunQ.Queues + prio * RunQ.Stride;
        let prev = 0;
        for (let c = w[q]!; c !== 0; prev = c, c = w[c + Pcb.RunNext]!) {
          if (c !== pcb) continue;
          const next = w[c + Pcb.RunNext]!;
          if (prev === 0) w[q] = next;
          else w[prev + Pcb.RunNext] = next;
          if (w[q + 1] === c) w[q + 1] = prev;
          w[q + 2]! -= 1;
          w[c + Pcb.RunNext] = 0;
          w[c + Pcb.Queued] = 0;
          return true;
        }
      }
      return false;
    } finally {
      mem.unlock(this.at + RunQ.Lock);
    }
  }
}
