// The run queue's order of service (scheduler/run_queue.ts), on one thread: max before high before
// normal; a low process passed over until normal processes have had eight turns to its one, which is
// what erl +S 1 gives a normal and a low process that never wait (18.9 and 2.36 million loop turns
// in a second: 8.0 to 1); removal, stealing, and the refusal to queue a process twice.
import { describe, expect, it } from 'vitest';
import { Pcb } from '../../scheduler/layout.js';
import { RunQueue } from '../../scheduler/run_queue.js';
import { Memory } from '../../vm/memory.js';

function world() {
  const mem = Memory.create({ initialBytes: 1 << 20, atomLimit: 64 });
  const q = RunQueue.create(mem);
  const proc = (prio: number): number => {
    const pcb = mem.allocZeroed(Pcb.Words);
    mem.i32[pcb + Pcb.Priority] = prio;
    return pcb;
  };
  return { mem, q, proc };
}

describe('run queue', () => {
  it('serves max, then high, then normal and low, each in arrival order', () => {
    const { q, proc } = world();
    const [n1, l1, h1, m1, n2, h2] = [proc(2), proc(3), proc(1), proc(0), proc(2), proc(1)];
    for (const p of [n1, l1, h1, m1, n2, h2]) q.enqueue(p!);
    expect(q.lengths()).toEqual([1, 2, 2, 1]);
    const order = [q.dequeue(), q.dequeue(), q.dequeue(), q.dequeue()];
    expect(order).toEqual([m1, h1, h2, n1]);
    // The low process is at the head now, but a normal one waits: it is passed over.
    expect(q.dequeue()).toBe(n2);
    expect(q.dequeue()).toBe(l1);
    expect(q.dequeue()).toBe(0);
    expect(q.length).toBe(0);
  });

  it('gives a low process one turn per eight of a normal one when both stay runnable', () => {
    const { q, proc } = world();
    const normal = proc(2);
    const low = proc(3);
    q.enqueue(normal);
    q.enqueue(low);
    const turns = new Map([[normal, 0], [low, 0]]);
    for (let i = 0; i < 900; i++) {
      const p = q.dequeue();
      turns.set(p, turns.get(p)! + 1);
      q.enqueue(p);
    }
    expect(turns.get(normal)).toBe(800);
    expect(turns.get(low)).toBe(100);
  });

  it('runs low processes in turn when no normal process waits', () => {
    const { q, proc } = world();
    const lows = [proc(3), proc(3), proc(3)];
    for (const p of lows) q.enqueue(p);
    expect([q.dequeue(), q.dequeue(), q.dequeue(), q.dequeue()]).toEqual([...lows, 0]);
  });

  it('removes and steals from the middle, keeping lengths and links right', () => {
    const { mem, q, proc } = world();
    const ps = [proc(2), proc(3), proc(2), proc(1)];
    for (const p of ps) q.enqueue(p);
    expect(q.remove(ps[2]!)).toBe(true);
    expect(q.remove(ps[2]!)).toBe(false);
    expect(q.holds(ps[2]!)).toBe(false);
    expect(q.lengths()).toEqual([0, 1, 1, 1]);
    // Stealing looks at the normal list (normal and low) first.
    expect(q.steal((p) => p === ps[1])).toBe(ps[1]);
    expect(q.steal(() => false)).toBe(0);
    expect(q.lengths()).toEqual([0, 1, 1, 0]);
    expect(q.steal(() => true)).toBe(ps[0]);
    expect(q.steal(() => true)).toBe(ps[3]);
    expect(q.length).toBe(0);
    expect(mem.i32[ps[0]! + Pcb.Queued]).toBe(0);
    q.enqueue(ps[2]!);
    expect(q.dequeue()).toBe(ps[2]);
  });

  it('refuses to queue a process that is already queued', () => {
    const { q, proc } = world();
    const p = proc(2);
    q.enqueue(p);
    expect(() => q.enqueue(p)).toThrow(/already queued/);
    // The lock was released: the queue still works.
    expect(q.dequeue()).toBe(p);
  });
});
