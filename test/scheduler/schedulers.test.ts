// The schedulers' shared state on one thread (scheduler/schedulers.ts): the idle mask past 32
// schedulers, wakes going to the owner's queue exactly once, parking that returns at once when work
// is queued and otherwise after its timeout, and the live-process count stopping the schedulers.
import { expect, it } from 'vitest';
import { Pcb, Sched } from '../../scheduler/layout.js';
import { Schedulers, StopReason } from '../../scheduler/schedulers.js';
import { Memory } from '../../vm/memory.js';

const WAITING = 2;

function world(count: number) {
  const mem = Memory.create({ initialBytes: 1 << 20, atomLimit: 64 });
  return { mem, s: Schedulers.format(mem, count) };
}

it('keeps an idle mask over more than 32 schedulers', () => {
  const { s } = world(40);
  expect(s.idleScheduler(0)).toBe(-1);
  s.setIdle(35, true);
  s.setIdle(35, true);
  s.setIdle(3, true);
  expect(s.idleCount).toBe(2);
  expect(s.idleScheduler(0)).toBe(3);
  expect(s.idleScheduler(3)).toBe(35);
  expect(s.idleScheduler(36)).toBe(3);
  s.setIdle(3, false);
  s.setIdle(3, false);
  expect(s.idleCount).toBe(1);
  expect(s.idleScheduler(0)).toBe(35);
});

it('queues a woken process once, on its owner', () => {
  const { mem, s } = world(3);
  const pcb = mem.allocZeroed(Pcb.Words);
  mem.i32[pcb + Pcb.Priority] = 2;
  s.adopt(pcb, 2);
  mem.i32[pcb + Pcb.Status] = WAITING;
  expect(s.wake(pcb)).toBe(true);
  expect(s.wake(pcb)).toBe(false);
  expect(s.queues.map((q) => q.length)).toEqual([0, 0, 1]);
  expect(s.remove(pcb)).toBe(true);
  expect(s.remove(pcb)).toBe(false);
  // Stealing moves the owner with the process.
  s.queues[2]!.enqueue(pcb);
  expect(s.steal(0, () => true)).toBe(pcb);
  expect(s.ownerOf(pcb)).toBe(0);
  expect([s.counter(0, Sched.Stolen), s.counter(2, Sched.GivenAway)]).toEqual([1, 1]);
});

it('parks until its timeout, or not at all when work is queued or the schedulers stopped', () => {
  const { mem, s } = world(2);
  let t = performance.now();
  s.park(1, 50);
  expect(performance.now() - t).toBeGreaterThanOrEqual(45);
  expect(s.parked(1)).toBe(false);
  const pcb = mem.allocZeroed(Pcb.Words);
  mem.i32[pcb + Pcb.Priority] = 2;
  s.adopt(pcb, 1);
  s.enqueue(pcb);
  t = performance.now();
  s.park(1, 5000);
  expect(performance.now() - t).toBeLessThan(1000);
  expect(s.queues[1]!.dequeue()).toBe(pcb);
  expect(s.liveProcesses).toBe(1);
  s.exited();
  expect(s.stopReason).toBe(StopReason.Done);
  t = performance.now();
  s.park(0, 5000);
  expect(performance.now() - t).toBeLessThan(1000);
  // The first reason sticks.
  s.stop(StopReason.Halt, 3);
  expect(s.stopReason).toBe(StopReason.Done);
  expect(s.haltStatus).toBe(0);
});

it('follows control blocks into memory another thread added after this one built its views', () => {
  // Two Memory objects over one buffer stand for two threads, each with its own views.
  const mine = Memory.create({ initialBytes: 1 << 20, atomLimit: 64 });
  const theirs = Memory.attach(mine.buffer);
  const s = Schedulers.format(mine, 2);
  const t = Schedulers.attach(theirs);
  const old = mine.allocZeroed(Pcb.Words);
  mine.i32[old + Pcb.Priority] = 2;
  s.adopt(old, 1);
  s.enqueue(old);
  // The other thread grows the buffer and queues a process that lies beyond our views.
  theirs.alloc(1 << 20);
  const fresh = theirs.allocZeroed(Pcb.Words);
  theirs.i32[fresh + Pcb.Priority] = 2;
  expect(fresh).toBeGreaterThan(mine.i32.length);
  t.adopt(fresh, 1);
  t.enqueue(fresh);
  expect(s.queues[1]!.dequeue()).toBe(old);
  expect(s.queues[1]!.dequeue()).toBe(fresh);
  expect(s.queues[1]!.dequeue()).toBe(0);
  expect(s.ownerOf(fresh)).toBe(1);
  mine.i32[fresh + Pcb.Status] = WAITING;
  expect(s.wake(fresh)).toBe(true);
  expect(t.queues[1]!.dequeue()).toBe(fresh);
});
