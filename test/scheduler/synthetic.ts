/**
 * Synthetic processes for proving the schedulers without the VM: control
 * blocks whose whole state is a few words in shared memory after the Pcb
 * words, and whose "messages" are a counter (pending) that senders add to
 * before waking the receiver, as the VM pushes on an inbox and wakes.
 *
 * This module is both the test's world builder (main thread) and the runner
 * module a scheduler thread imports (createHooks). Every rule a scheduler
 * must keep is checked inside the slice and counted in World.Violations:
 * the process is Runnable when dequeued (never queued twice), nobody else
 * is running it (a running flag), and it belongs to this scheduler.
 */
import { Pcb } from '../../scheduler/layout.js';
import { SliceResult } from '../../scheduler/loop.js';
import type { RunnerContext, RunnerHooks } from '../../scheduler/pool.js';
import type { Schedulers } from '../../scheduler/schedulers.js';
import type { Memory } from '../../vm/memory.js';

const RUNNABLE = 0;
const RUNNING = 1;
const WAITING = 2;
const EXITED = 4;

/** The world's words. */
export const enum World {
  Procs = 0,
  Table = 1,
  Violations = 2,
  Wakes = 3,
  Migrations = 4,
  Steal = 5,
  Migrate = 6,
  /** Busy-loop iterations per slice (simulated work). */
  Work = 7,
  /** 1 + the process number whose first slice throws (a beamjs bug in a scheduler thread). */
  Fail = 8,
  Words = 9,
}

/** A process's words after its Pcb words. */
export const enum D {
  Running = 0,
  Pending = 1,
  Received = 2,
  Sent = 3,
  /** The pcb this one sends to (0: sends nothing). */
  Peer = 4,
  /** Messages to send in all. */
  SendQuota = 5,
  /** Messages to receive before exiting. */
  ReceiveQuota = 6,
  /** Sends per slice; a process with sends left yields (stays runnable) after that many. */
  Batch = 7,
  /** Timer sleeps left (each waits SleepMs on its scheduler's timers). */
  Sleeps = 8,
  SleepMs = 9,
  Slices = 10,
  /** 1 + the scheduler that ran the last slice. */
  LastScheduler = 11,
  /** Slices that ran on another scheduler than the slice before. */
  Moves = 12,
  /** 1: sends its first message before receiving anything. */
  Initiator = 13,
  /** Messages to receive before it starts sending in batches. */
  StartAfter = 14,
  Words = 15,
}

export interface ProcSpec {
  peer?: number;
  sendQuota?: number;
  receiveQuota?: number;
  batch?: number;
  sleeps?: number;
  sleepMs?: number;
  initiator?: boolean;
  startAfter?: number;
  priority?: number;
}

/** Builds the world's block and its process table (main thread). */
export function makeWorld(mem: Memory, procs: number, opts: { steal: boolean; migrate: boolean; work: number }): number {
  const world = mem.allocZeroed(World.Words);
  const w = mem.i32;
  w[world + World.Procs] = procs;
  w[world + World.Table] = mem.allocZeroed(procs);
  w[world + World.Steal] = opts.steal ? 1 : 0;
  w[world + World.Migrate] = opts.migrate ? 1 : 0;
  w[world + World.Work] = opts.work;
  return world;
}

/** A new process (not yet runnable): its pcb. */
export function makeProc(mem: Memory, world: number, n: number): number {
  const pcb = mem.allocZeroed(Pcb.Words + D.Words);
  mem.i32[pcb + Pcb.Pid] = n + 1;
  mem.i32[mem.i32[world + World.Table]! + n] = pcb;
  return pcb;
}

export function configure(mem: Memory, pcb: number, spec: ProcSpec): void {
  const w = mem.i32;
  const d = pcb + Pcb.Words;
  w[d + D.Peer] = spec.peer ?? 0;
  w[d + D.SendQuota] = spec.sendQuota ?? 0;
  w[d + D.ReceiveQuota] = spec.receiveQuota ?? 0;
  w[d + D.Batch] = spec.batch ?? 1;
  w[d + D.Sleeps] = spec.sleeps ?? 0;
  w[d + D.SleepMs] = spec.sleepMs ?? 0;
  w[d + D.Initiator] = spec.initiator ? 1 : 0;
  w[d + D.StartAfter] = spec.startAfter ?? 0;
  w[pcb + Pcb.Priority] = spec.priority ?? 2;
}

/** A word of process pcb's data. */
export function data(mem: Memory, pcb: number, which: D): number {
  return Atomics.load(mem.i32, pcb + Pcb.Words + which);
}

function send(s: Schedulers, w: Int32Array, world: number, to: number): void {
  Atomics.add(w, to + Pcb.Words + D.Pending, 1);
  if (s.wake(to)) Atomics.add(w, world + World.Wakes, 1);
}

/** The runner module's entry: this scheduler thread's hooks. */
export function createHooks(ctx: RunnerContext): RunnerHooks {
  const { mem, schedulers: s, index } = ctx;
  const world = ctx.data as number;
  const w = mem.i32;
  const violation = (): void => void Atomics.add(w, world + World.Violations, 1);
  const work = w[world + World.Work]!;
  /** This thread's timers: [deadline, pcb], unsorted (the tests hold few). */
  const timers: [number, number][] = [];
  let sink = 0;

  const runSlice = (pcb: number): SliceResult => {
    const d = pcb + Pcb.Words;
    if (w[world + World.Fail] === w[pcb + Pcb.Pid]) throw new Error(`synthetic failure in process ${w[pcb + Pcb.Pid]! - 1}`);
    if (Atomics.compareExchange(w, pcb + Pcb.Status, RUNNABLE, RUNNING) !== RUNNABLE) violation();
    if (Atomics.exchange(w, d + D.Running, 1) !== 0) violation();
    if (s.ownerOf(pcb) !== index) violation();
    const last = w[d + D.LastScheduler]!;
    if (last !== 0 && last !== index + 1) w[d + D.Moves]! += 1;
    w[d + D.LastScheduler] = index + 1;
    w[d + D.Slices]! += 1;
    for (let i = 0; i < work; i++) sink = (sink * 31 + i) | 0;

    const peer = w[d + D.Peer]!;
    const quota = w[d + D.SendQuota]!;
    // Initiators send first; others send one per message received, up to their quota, or in batches.
    const got = Atomics.exchange(w, d + D.Pending, 0);
    w[d + D.Received]! += got;
    let toSend = w[d + D.Initiator] === 1 && w[d + D.Sent] === 0 ? 1 : 0;
    const started = w[d + D.Received]! >= w[d + D.StartAfter]!;
    toSend += w[d + D.Batch] === 0 ? got : started ? Math.min(w[d + D.Batch]!, quota) : 0;
    toSend = Math.min(toSend, quota - w[d + D.Sent]!);
    for (let i = 0; i < toSend; i++) send(s, w, world, peer);
    w[d + D.Sent]! += toSend;

    let result: SliceResult;
    const sendsLeft = w[d + D.Batch] !== 0 && started && w[d + D.Sent]! < quota;
    if (w[d + D.Sent] === quota && w[d + D.Received]! >= w[d + D.ReceiveQuota]! && w[d + D.Sleeps] === 0) {
      result = SliceResult.Exit;
    } else if (sendsLeft) result = SliceResult.Yield;
    else if (w[d + D.Sleeps]! > 0 && w[d + D.Received]! >= w[d + D.ReceiveQuota]!) {
      w[d + D.Sleeps]! -= 1;
      timers.push([performance.now() + w[d + D.SleepMs]!, pcb]);
      result = SliceResult.Wait;
    } else result = SliceResult.Wait;

    Atomics.store(w, d + D.Running, 0);
    if (result === SliceResult.Yield) Atomics.store(w, pcb + Pcb.Status, RUNNABLE);
    else if (result === SliceResult.Exit) Atomics.store(w, pcb + Pcb.Status, EXITED);
    else {
      // Waiting first, then look, as VM.runUntil does: a sender sees Waiting or we see its message.
      Atomics.store(w, pcb + Pcb.Status, WAITING);
      const sleeping = timers.some((t) => t[1] === pcb);
      if (!sleeping && Atomics.load(w, d + D.Pending) > 0) s.wake(pcb);
    }
    return result;
  };

  return {
    runSlice,
    timers() {
      if (timers.length === 0) return Infinity;
      const now = performance.now();
      let next = Infinity;
      for (let i = timers.length - 1; i >= 0; i--) {
        const [at, pcb] = timers[i]!;
        if (at <= now) {
          timers.splice(i, 1);
          if (!s.wake(pcb)) violation();
        } else next = Math.min(next, at - now);
      }
      return next;
    },
    migrate: w[world + World.Migrate] === 1 ? () => void Atomics.add(w, world + World.Migrations, 1) : undefined,
    stealable: w[world + World.Steal] === 1 ? () => true : undefined,
    finish: () => ({ sink }),
  };
}
