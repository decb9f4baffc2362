// The schedulers on real worker threads, with synthetic processes (test/scheduler/synthetic.ts):
// wake-ups across threads, nothing lost or run twice, balancing, parking, timers, shutdown and halt.
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pcb, Sched } from '../../scheduler/layout.js';
import { SchedulerPool } from '../../scheduler/pool.js';
import { Schedulers, StopReason } from '../../scheduler/schedulers.js';
import { Memory } from '../../vm/memory.js';
import { configure, D, data, makeProc, makeWorld, World, type ProcSpec } from './synthetic.js';

let dir: string;
let workerFile: string;
let runner: string;

beforeAll(() => {
  // The worker entry and the runner module as plain JS (a worker thread cannot load TypeScript).
  dir = mkdtempSync(join(tmpdir(), 'beamjs-sched-'));
  const opts = { bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' } as const;
  buildSync({ ...opts, entryPoints: ['scheduler/worker.ts'], outfile: join(dir, 'worker.mjs') });
  buildSync({ ...opts, entryPoints: ['test/scheduler/synthetic.ts'], outfile: join(dir, 'synthetic.mjs') });
  workerFile = join(dir, 'worker.mjs');
  runner = pathToFileURL(join(dir, 'synthetic.mjs')).href;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Setup {
  threads: number;
  steal?: boolean;
  migrate?: boolean;
  work?: number;
  procs: ProcSpec[];
  /** The scheduler each process starts on (default 0: everything starts on one). */
  owner?: (n: number) => number;
  /** Processes start waiting (for a message) rather than runnable. */
  waiting?: boolean;
}

function setup(o: Setup) {
  const mem = Memory.create({ initialBytes: 4 << 20, atomLimit: 1024 });
  // No spinning before parking (the VM spins 50 µs): these tests exercise parking and waking.
  const s = Schedulers.format(mem, o.threads, 0);
  const world = makeWorld(mem, o.procs.length, { steal: o.steal ?? false, migrate: o.migrate ?? false, work: o.work ?? 0 });
  const pcbs = o.procs.map((_, n) => makeProc(mem, world, n));
  o.procs.forEach((spec, n) => configure(mem, pcbs[n]!, { ...spec, peer: spec.peer === undefined ? 0 : pcbs[spec.peer] }));
  for (const [n, pcb] of pcbs.entries()) s.adopt(pcb, o.owner?.(n) ?? 0);
  if (o.waiting) for (const pcb of pcbs) mem.i32[pcb + Pcb.Status] = 2;
  else for (const pcb of pcbs) s.enqueue(pcb);
  return { mem, s, world, pcbs };
}

async function runPool(s: Schedulers, world: number) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const pool = SchedulerPool.start(s, { runner, workerFile, data: world });
  // A lost wake-up leaves processes waiting for ever: halt then, so the test fails (reason Halt) and the threads end.
  const watchdog = setTimeout(() => void pool.halt(99), 20_000);
  const result = await pool.done;
  clearTimeout(watchdog);
  const used = process.cpuUsage(cpu);
  return { result, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

const counters = (s: Schedulers, which: Sched): number[] => [...Array(s.count).keys()].map((i) => s.counter(i, which));
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** Pairs that bounce `rounds` messages each way: nearly every message wakes a waiting receiver. */
function pingPong(pairs: number, rounds: number): ProcSpec[] {
  const procs: ProcSpec[] = [];
  for (let i = 0; i < pairs; i++) {
    procs.push({ peer: 2 * i + 1, sendQuota: rounds, receiveQuota: rounds, batch: 0, initiator: true });
    procs.push({ peer: 2 * i, sendQuota: rounds, receiveQuota: rounds, batch: 0 });
  }
  return procs;
}

describe('schedulers on worker threads', () => {
  for (const threads of [2, 4]) {
    it(`${threads} threads: a million wake-ups between ping-pong pairs, none lost or doubled, spread by hand-over`, async () => {
      const pairs = 100;
      const rounds = 5000;
      const { mem, s, world, pcbs } = setup({ threads, migrate: true, procs: pingPong(pairs, rounds) });
      const { result } = await runPool(s, world);
      const w = mem.i32;
      expect(result.reason).toBe(StopReason.Done);
      expect(w[world + World.Violations]).toBe(0);
      for (const pcb of pcbs) {
        expect(data(mem, pcb, D.Received)).toBe(rounds);
        expect(data(mem, pcb, D.Sent)).toBe(rounds);
        expect(data(mem, pcb, D.Pending)).toBe(0);
      }
      expect(s.liveProcesses).toBe(0);
      // Each wake that won the Waiting -> Runnable race queued the process once; most messages found it waiting.
      expect(w[world + World.Wakes]).toBeGreaterThan(pairs * rounds);
      expect(sum(counters(s, Sched.Slices))).toBe(sum(pcbs.map((p) => data(mem, p, D.Slices))));
      // Everything started on scheduler 0: every scheduler ran slices of processes handed over to it.
      // and the hand-overs kept the load spread: no scheduler ran less than a fifth of its fair share.
      const slices = counters(s, Sched.Slices);
      expect(Math.min(...slices)).toBeGreaterThan(sum(slices) / (5 * threads));
      expect(w[world + World.Migrations]).toBeGreaterThan(0);
      expect(sum(counters(s, Sched.GivenAway))).toBe(w[world + World.Migrations]);
      expect(sum(counters(s, Sched.Taken))).toBe(w[world + World.Migrations]);
      expect(sum(counters(s, Sched.Stolen))).toBe(0);
      expect(result.reports.map((r) => r.slices)).toEqual(counters(s, Sched.Slices));
      for (let i = 0; i < threads; i++) expect(s.queues[i]!.length).toBe(0);
    }, 30_000);
  }

  it('2 threads: pairs split across the schedulers park and wake each other without losing a wake-up', async () => {
    // Each message crosses threads to a scheduler that has often just parked; a lost wake-up would
    // leave a pair waiting for ever (the test would time out).
    const pairs = 4;
    const rounds = 25_000;
    const { mem, s, world, pcbs } = setup({ threads: 2, procs: pingPong(pairs, rounds), owner: (n) => n % 2 });
    const { result } = await runPool(s, world);
    expect(result.reason).toBe(StopReason.Done);
    expect(mem.i32[world + World.Violations]).toBe(0);
    for (const pcb of pcbs) expect(data(mem, pcb, D.Received)).toBe(rounds);
    for (const pcb of pcbs) expect(data(mem, pcb, D.Moves)).toBe(0);
    expect(Math.min(...counters(s, Sched.Parks))).toBeGreaterThan(1000);
  }, 30_000);

  it('4 threads: fifty senders to one receiver, every message counted once', async () => {
    const senders = 50;
    const each = 20_000;
    const procs: ProcSpec[] = [{ receiveQuota: senders * each, batch: 0 }];
    for (let i = 0; i < senders; i++) procs.push({ peer: 0, sendQuota: each, batch: 100 });
    const { mem, s, world, pcbs } = setup({ threads: 4, migrate: true, steal: true, procs, owner: (n) => n % 4 });
    const { result } = await runPool(s, world);
    expect(result.reason).toBe(StopReason.Done);
    expect(mem.i32[world + World.Violations]).toBe(0);
    expect(data(mem, pcbs[0]!, D.Received)).toBe(senders * each);
    for (const pcb of pcbs.slice(1)) expect(data(mem, pcb, D.Sent)).toBe(each);
  }, 30_000);

  it('an idle scheduler steals queued processes whose state is all in shared memory', async () => {
    // Busy processes that stay runnable (sends left), all queued on scheduler 0; no hand-over.
    const procs: ProcSpec[] = [{ receiveQuota: 40 * 2000, batch: 0 }];
    for (let i = 0; i < 40; i++) procs.push({ peer: 0, sendQuota: 2000, batch: 10 });
    const { mem, s, world, pcbs } = setup({ threads: 2, steal: true, work: 20_000, procs });
    const { result } = await runPool(s, world);
    expect(result.reason).toBe(StopReason.Done);
    expect(mem.i32[world + World.Violations]).toBe(0);
    expect(data(mem, pcbs[0]!, D.Received)).toBe(40 * 2000);
    expect(s.counter(1, Sched.Stolen)).toBeGreaterThan(0);
    expect(s.counter(1, Sched.Slices)).toBeGreaterThan(0);
    expect(mem.i32[world + World.Migrations]).toBe(0);
    // Stolen processes moved: some slices ran on another scheduler than the one before.
    expect(sum(pcbs.map((p) => data(mem, p, D.Moves)))).toBeGreaterThan(0);
  }, 30_000);

  it('a parked scheduler is woken to steal when work piles up on another', async () => {
    // Forty processes wait on scheduler 0 for a message from the test, then stay busy; both schedulers
    // have parked by then, and only a wake from the busy one lets the other steal.
    const procs: ProcSpec[] = [{ receiveQuota: 40 * 500, batch: 0 }];
    for (let i = 0; i < 40; i++) procs.push({ peer: 0, sendQuota: 500, batch: 5, receiveQuota: 1, startAfter: 1 });
    const { mem, s, world, pcbs } = setup({ threads: 2, steal: true, work: 20_000, procs, waiting: true });
    const pool = SchedulerPool.start(s, { runner, workerFile, data: world });
    for (let t = 0; t < 500 && !(s.parked(0) && s.parked(1)); t++) await new Promise((r) => setTimeout(r, 10));
    expect(s.parked(0) && s.parked(1)).toBe(true);
    for (const pcb of pcbs.slice(1)) {
      Atomics.add(mem.i32, pcb + Pcb.Words + D.Pending, 1);
      s.wake(pcb);
    }
    const result = await pool.done;
    expect(result.reason).toBe(StopReason.Done);
    expect(mem.i32[world + World.Violations]).toBe(0);
    expect(data(mem, pcbs[0]!, D.Received)).toBe(40 * 500);
    expect(s.counter(1, Sched.Stolen)).toBeGreaterThan(0);
    expect(s.counter(1, Sched.Slices)).toBeGreaterThan(0);
  }, 30_000);

  it('parked schedulers sleep until their timers, then wake; idle threads use no CPU', async () => {
    const procs: ProcSpec[] = [];
    for (let i = 0; i < 8; i++) procs.push({ sleeps: 5, sleepMs: 40 });
    const { mem, s, world, pcbs } = setup({ threads: 4, procs, owner: (n) => n % 4 });
    const { result, ms, cpuMs } = await runPool(s, world);
    expect(result.reason).toBe(StopReason.Done);
    expect(mem.i32[world + World.Violations]).toBe(0);
    for (const pcb of pcbs) expect(data(mem, pcb, D.Slices)).toBe(6);
    expect(ms).toBeGreaterThanOrEqual(5 * 40);
    // Four threads spinning for the whole run would use about the run's time on each core.
    expect(cpuMs).toBeLessThan(ms * 0.5 + 100);
  }, 30_000);

  it('a wake from the main thread reaches a parked scheduler', async () => {
    // One receiver that waits for 3 messages sent by the test itself while every scheduler is parked.
    const { mem, s, world, pcbs } = setup({ threads: 2, procs: [{ receiveQuota: 3, batch: 0 }], owner: () => 1 });
    const pool = SchedulerPool.start(s, { runner, workerFile, data: world });
    for (let i = 0; i < 3; i++) {
      // Parked after its slice (the first time, after the thread has started).
      for (let t = 0; t < 500 && !(s.parked(1) && data(mem, pcbs[0]!, D.Received) === i); t++) await new Promise((r) => setTimeout(r, 10));
      expect(s.parked(1)).toBe(true);
      expect(data(mem, pcbs[0]!, D.Received)).toBe(i);
      Atomics.add(mem.i32, pcbs[0]! + Pcb.Words + D.Pending, 1);
      s.wake(pcbs[0]!);
    }
    const result = await pool.done;
    expect(result.reason).toBe(StopReason.Done);
    expect(data(mem, pcbs[0]!, D.Received)).toBe(3);
    expect(s.counter(1, Sched.Slices)).toBeGreaterThanOrEqual(2);
    expect(s.counter(0, Sched.Slices)).toBe(0);
  }, 30_000);

  it('a scheduler thread that throws stops the others, and the pool reports its error', async () => {
    const procs: ProcSpec[] = [];
    for (let i = 0; i < 16; i++) procs.push({ peer: (i + 1) % 16, sendQuota: 2 ** 30, batch: 1 });
    const { mem, s, world } = setup({ threads: 2, migrate: true, procs, owner: (n) => n % 2 });
    // Process 5 (on scheduler 1) throws in its first slice.
    mem.i32[world + World.Fail] = 6;
    await expect(SchedulerPool.start(s, { runner, workerFile, data: world }).done).rejects.toThrow(/synthetic failure in process 5/);
    expect(s.stopReason).toBe(StopReason.Halt);
  }, 30_000);

  it('halt stops every scheduler while processes still run', async () => {
    // Processes that never finish: each sends to the next for ever (quota far beyond the test).
    const procs: ProcSpec[] = [];
    for (let i = 0; i < 16; i++) procs.push({ peer: (i + 1) % 16, sendQuota: 2 ** 30, batch: 1 });
    const { s, world } = setup({ threads: 2, migrate: true, procs });
    const pool = SchedulerPool.start(s, { runner, workerFile, data: world });
    // Until both threads run (starting them takes a while on a loaded machine).
    for (let t = 0; t < 1000 && !counters(s, Sched.Slices).every((n) => n > 100); t++) await new Promise((r) => setTimeout(r, 10));
    const result = await pool.halt(3);
    expect(result.reason).toBe(StopReason.Halt);
    expect(result.haltStatus).toBe(3);
    expect(s.liveProcesses).toBe(16);
    expect(sum(result.reports.map((r) => r.slices))).toBeGreaterThan(0);
  }, 30_000);
});
