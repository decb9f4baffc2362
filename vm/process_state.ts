/**
 * A process's private state written into shared memory and read back, so
 * that another scheduler thread can take the process over (issue 6).
 *
 * While a thread owns a process, the state lives in that thread's JS
 * `Process` object (fast to reach from the interpreter). To hand the
 * process to another scheduler, the owner calls `saveState` at a
 * scheduling point: every field goes into one block of shared memory,
 * whose address is published in `Pcb.State`; the new owner calls
 * `restoreState` to build its own `Process` from it and frees the block.
 * Terms are copied as words: they point into the process's heap, old heap
 * and fragments, which are shared memory and do not move while the process
 * is not running (only its owner collects it).
 *
 *   State block: the fixed words (`S` below), then the variable parts in
 *   this order, each a count followed by its words:
 *     saved X registers | fragments | dictionary (key, value ...) |
 *     links (pid data) | monitors on it (ref id, watcher pid, name) |
 *     monitors it holds (ref id, target pid, name) | suspensions it holds (pid, count)
 *
 * `PER_THREAD_FIELDS` and `SAVED_FIELDS` together name every own field of a
 * Process; a test checks that a new field is added to one of them (a field
 * forgotten here would silently reset when a process migrates).
 */
import type { Memory } from './memory.js';
import type { AtomTable } from './term/atoms.js';
import { Process, type ProcessFlags } from './process.js';
import type { MonitorEntry } from '../bifs/erlang_process.js';
import type { VM } from './vm.js';
import type { Term } from './term/tags.js';
import { Pcb } from '../scheduler/layout.js';

/** Fields that belong to the thread, not to the process: rebuilt, never saved. */
export const PER_THREAD_FIELDS: readonly string[] = ['mem', 'atoms', 'vm', 'heap', 'pcb', 'pid'];

/** Fields saved in the fixed part (offsets in `S`) or the variable parts of the state block. */
export const SAVED_FIELDS: readonly string[] = [
  'block', 'blockEnd', 'stackTop', 'fragments', 'fragmentWords', 'messageWords', 'fragTop', 'fragEnd', 'offHeap',
  'oldHeap', 'oldTop', 'oldEnd', 'highWater', 'oldOffHeap', 'binVheap', 'binVheapLimit', 'binOldVheap',
  'binOldVheapLimit', 'binVheapMin', 'minorSinceFull', 'fullsweepAfter', 'minHeapSize', 'maxHeapSize',
  'maxHeapKill', 'maxHeapErrorLogger', 'minorGcs', 'majorGcs', 'gcRequest', 'pc', 'cp', 'savedX', 'reductions',
  'gcCount', 'timeoutAt', 'timerSeq', 'timedOut', 'waitArmed', 'timeoutPc', 'inReceive', 'madeAliases', 'suspendees', 'preempted', 'awaitingReply', 'reply', 'yieldRequested', 'monitoredBy',
  'monitoring', 'linkSet', 'pendingExit', 'dictionary', 'groupLeader', 'trapExit', 'initialCall', 'exitReason',
  'exitClass', 'exitRawReason', 'exitTrace', 'suspended', 'hibernate', 'hibernated', 'flags',
];

/** Word offsets of the fixed part of a state block. */
const enum S {
  Block = 0,
  BlockEnd,
  StackTop,
  HeapTop,
  FragmentWords,
  MessageWords,
  FragTop,
  FragEnd,
  OffHeap,
  OldHeap,
  OldTop,
  OldEnd,
  HighWater,
  OldOffHeap,
  BinVheap,
  BinVheapLimit,
  BinOldVheap,
  BinOldVheapLimit,
  BinVheapMin,
  MinorSinceFull,
  FullsweepAfter,
  MinHeapSize,
  MaxHeapSize,
  MinorGcs,
  MajorGcs,
  GcRequest,
  Pc,
  Cp,
  /** Reductions as two words (low 30 bits, the rest): a long-lived process passes 2^31. */
  ReductionsLo,
  ReductionsHi,
  GcCount,
  /** The receive deadline (performance.now() ms, or -1) as the two words of a float64. */
  TimeoutAt,
  TimeoutAt2,
  TimerSeq,
  TimeoutPc,
  /** Booleans, one bit each (Bit below). */
  Bits,
  PendingExit,
  GroupLeader,
  InitialModule,
  InitialFunction,
  InitialArity,
  ExitReason,
  ExitClass,
  ExitRawReason,
  ExitTrace,
  Suspended,
  HibernateModule,
  HibernateFunction,
  HibernateArgs,
  AwaitingReply,
  Reply,
  // process_flag values (bifs/process_flags.ts), meaningful when Bit.HasFlags is set
  FlagMinHeapSize,
  FlagMinBinVheapSize,
  FlagMaxHeapSize,
  FlagFullsweepAfter,
  FlagSaveCalls,
  FlagErrorHandler,
  Words,
}

const enum Bit {
  MaxHeapKill = 1 << 0,
  MaxHeapErrorLogger = 1 << 1,
  TimedOut = 1 << 2,
  WaitArmed = 1 << 3,
  YieldRequested = 1 << 4,
  TrapExit = 1 << 5,
  Hibernated = 1 << 6,
  HasPendingExit = 1 << 7,
  HasHibernate = 1 << 8,
  HasFlags = 1 << 9,
  InReceive = 1 << 14,
  MadeAliases = 1 << 15,
  Preempted = 1 << 16,
  FlagMaxHeapKill = 1 << 10,
  FlagMaxHeapErrorLogger = 1 << 11,
  FlagOffHeapQueue = 1 << 12,
  FlagSensitive = 1 << 13,
}

const REDUCTIONS_LOW = 0x40000000;

/** Words the state of `p` takes. */
function stateWords(p: Process): number {
  return (
    S.Words +
    1 + p.savedX.length +
    1 + p.fragments.length +
    1 + p.dictionary.length +
    1 + (p.hasLinks ? p.links.size : 0) +
    1 + 3 * (p.monitoredBy?.size ?? 0) +
    1 + 3 * (p.monitoring?.size ?? 0) +
    1 + 2 * (p.suspendees?.size ?? 0)
  );
}

/**
 * Writes p's private state into a new shared block, publishes it in
 * `Pcb.State` and returns it. The JS object must not be used afterwards by
 * this thread (its owner is now whoever restores it).
 */
export function saveState(p: Process): number {
  const mem = p.mem;
  const words = stateWords(p);
  const at = mem.alloc(words);
  const w = mem.i32;
  w[at + S.Block] = p.block;
  w[at + S.BlockEnd] = p.blockEnd;
  w[at + S.StackTop] = p.stackTop;
  w[at + S.HeapTop] = p.heap.top;
  w[at + S.FragmentWords] = p.fragmentWords;
  w[at + S.MessageWords] = p.messageWords;
  w[at + S.FragTop] = p.fragTop;
  w[at + S.FragEnd] = p.fragEnd;
  w[at + S.OffHeap] = p.offHeap;
  w[at + S.OldHeap] = p.oldHeap;
  w[at + S.OldTop] = p.oldTop;
  w[at + S.OldEnd] = p.oldEnd;
  w[at + S.HighWater] = p.highWater;
  w[at + S.OldOffHeap] = p.oldOffHeap;
  w[at + S.BinVheap] = p.binVheap;
  w[at + S.BinVheapLimit] = p.binVheapLimit;
  w[at + S.BinOldVheap] = p.binOldVheap;
  w[at + S.BinOldVheapLimit] = p.binOldVheapLimit;
  w[at + S.BinVheapMin] = p.binVheapMin;
  w[at + S.MinorSinceFull] = p.minorSinceFull;
  w[at + S.FullsweepAfter] = p.fullsweepAfter;
  w[at + S.MinHeapSize] = p.minHeapSize;
  w[at + S.MaxHeapSize] = p.maxHeapSize;
  w[at + S.MinorGcs] = p.minorGcs;
  w[at + S.MajorGcs] = p.majorGcs;
  w[at + S.GcRequest] = p.gcRequest;
  w[at + S.Pc] = p.pc;
  w[at + S.Cp] = p.cp;
  w[at + S.ReductionsLo] = p.reductions % REDUCTIONS_LOW;
  w[at + S.ReductionsHi] = Math.floor(p.reductions / REDUCTIONS_LOW);
  w[at + S.GcCount] = p.gcCount;
  // performance.now() counts from each thread's own origin: saved as an absolute time.
  writeFloat(mem, at + S.TimeoutAt, p.timeoutAt < 0 ? -1 : performance.timeOrigin + p.timeoutAt);
  w[at + S.TimerSeq] = p.timerSeq;
  w[at + S.TimeoutPc] = p.timeoutPc;
  let bits = 0;
  if (p.maxHeapKill) bits |= Bit.MaxHeapKill;
  if (p.maxHeapErrorLogger) bits |= Bit.MaxHeapErrorLogger;
  if (p.timedOut) bits |= Bit.TimedOut;
  if (p.waitArmed) bits |= Bit.WaitArmed;
  if (p.yieldRequested) bits |= Bit.YieldRequested;
  if (p.trapExit) bits |= Bit.TrapExit;
  if (p.hibernated) bits |= Bit.Hibernated;
  if (p.inReceive) bits |= Bit.InReceive;
  if (p.madeAliases) bits |= Bit.MadeAliases;
  if (p.preempted) bits |= Bit.Preempted;
  if (p.pendingExit !== undefined) {
    bits |= Bit.HasPendingExit;
    w[at + S.PendingExit] = p.pendingExit;
  }
  w[at + S.GroupLeader] = p.groupLeader;
  w[at + S.InitialModule] = p.initialCall[0];
  w[at + S.InitialFunction] = p.initialCall[1];
  w[at + S.InitialArity] = p.initialCall[2];
  w[at + S.ExitReason] = p.exitReason;
  w[at + S.ExitClass] = p.exitClass;
  w[at + S.ExitRawReason] = p.exitRawReason;
  w[at + S.ExitTrace] = p.exitTrace;
  w[at + S.Suspended] = p.suspended;
  w[at + S.AwaitingReply] = p.awaitingReply;
  w[at + S.Reply] = p.reply;
  if (p.hibernate !== undefined) {
    bits |= Bit.HasHibernate;
    w[at + S.HibernateModule] = p.hibernate.module;
    w[at + S.HibernateFunction] = p.hibernate.fun;
    w[at + S.HibernateArgs] = p.hibernate.args;
  }
  const f = p.flags;
  if (f !== undefined) {
    bits |= Bit.HasFlags;
    w[at + S.FlagMinHeapSize] = f.minHeapSize;
    w[at + S.FlagMinBinVheapSize] = f.minBinVheapSize;
    w[at + S.FlagMaxHeapSize] = f.maxHeapSize.size;
    if (f.maxHeapSize.kill) bits |= Bit.FlagMaxHeapKill;
    if (f.maxHeapSize.errorLogger) bits |= Bit.FlagMaxHeapErrorLogger;
    w[at + S.FlagFullsweepAfter] = f.fullsweepAfter;
    if (f.messageQueueData === 'off_heap') bits |= Bit.FlagOffHeapQueue;
    w[at + S.FlagSaveCalls] = f.saveCalls;
    if (f.sensitive) bits |= Bit.FlagSensitive;
    w[at + S.FlagErrorHandler] = f.errorHandler;
  }
  w[at + S.Bits] = bits;

  let i = at + S.Words;
  const put = (values: ArrayLike<number>): void => {
    w[i++] = values.length;
    for (let k = 0; k < values.length; k++) w[i++] = values[k]!;
  };
  put(p.savedX);
  put(p.fragments);
  put(p.dictionary);
  put(p.hasLinks ? [...p.links] : []);
  put(monitorWords(p.monitoredBy, (m) => m.watcher));
  put(monitorWords(p.monitoring, (m) => m.target));
  put(p.suspendees === undefined ? [] : [...p.suspendees].flat());
  Atomics.store(w, p.pcb + Pcb.State, at);
  return at;
}

/** A monitor table as words: ref id, the pid at the other end, the monitored name (0 when by pid). */
function monitorWords(table: Map<number, MonitorEntry> | undefined, other: (m: MonitorEntry) => Term): number[] {
  const out: number[] = [];
  if (table !== undefined) for (const m of table.values()) out.push(m.refId, other(m), m.name);
  return out;
}

/**
 * Builds this thread's Process from the state published in `pcb`'s
 * `Pcb.State` and frees the state block; into `into` when given (the
 * round trip of the migration stress mode).
 */
export function restoreState(
  vm: VM,
  mem: Memory,
  atoms: AtomTable,
  pcb: number,
  into?: Process,
): Process {
  const w = mem.i32;
  const at = Atomics.load(w, pcb + Pcb.State);
  if (at === 0) throw new Error(`process control block ${pcb} has no saved state`);
  const fresh = new Process(mem, atoms, w[pcb + Pcb.Pid]!, 0, pcb);
  // Into an existing object (the round trip of the migration stress mode): every field back to a new
  // process's default first, so a field this file forgot shows up as lost state in the tests.
  const p = into === undefined ? fresh : Object.assign(into, fresh);
  p.vm = vm;
  p.block = w[at + S.Block]!;
  p.blockEnd = w[at + S.BlockEnd]!;
  p.stackTop = w[at + S.StackTop]!;
  p.heap.start = p.block;
  p.heap.end = p.stackTop;
  p.heap.top = w[at + S.HeapTop]!;
  p.fragmentWords = w[at + S.FragmentWords]!;
  p.messageWords = w[at + S.MessageWords]!;
  p.fragTop = w[at + S.FragTop]!;
  p.fragEnd = w[at + S.FragEnd]!;
  p.offHeap = w[at + S.OffHeap]!;
  p.oldHeap = w[at + S.OldHeap]!;
  p.oldTop = w[at + S.OldTop]!;
  p.oldEnd = w[at + S.OldEnd]!;
  p.highWater = w[at + S.HighWater]!;
  p.oldOffHeap = w[at + S.OldOffHeap]!;
  p.binVheap = w[at + S.BinVheap]!;
  p.binVheapLimit = w[at + S.BinVheapLimit]!;
  p.binOldVheap = w[at + S.BinOldVheap]!;
  p.binOldVheapLimit = w[at + S.BinOldVheapLimit]!;
  p.binVheapMin = w[at + S.BinVheapMin]!;
  p.minorSinceFull = w[at + S.MinorSinceFull]!;
  p.fullsweepAfter = w[at + S.FullsweepAfter]!;
  p.minHeapSize = w[at + S.MinHeapSize]!;
  p.maxHeapSize = w[at + S.MaxHeapSize]!;
  p.minorGcs = w[at + S.MinorGcs]!;
  p.majorGcs = w[at + S.MajorGcs]!;
  p.gcRequest = w[at + S.GcRequest]!;
  p.pc = w[at + S.Pc]!;
  p.cp = w[at + S.Cp]!;
  p.reductions = w[at + S.ReductionsLo]! + w[at + S.ReductionsHi]! * REDUCTIONS_LOW;
  p.gcCount = w[at + S.GcCount]!;
  const deadline = readFloat(mem, at + S.TimeoutAt);
  p.timeoutAt = deadline < 0 ? -1 : deadline - performance.timeOrigin;
  p.timerSeq = w[at + S.TimerSeq]!;
  p.timeoutPc = w[at + S.TimeoutPc]!;
  const bits = w[at + S.Bits]!;
  p.maxHeapKill = (bits & Bit.MaxHeapKill) !== 0;
  p.maxHeapErrorLogger = (bits & Bit.MaxHeapErrorLogger) !== 0;
  p.timedOut = (bits & Bit.TimedOut) !== 0;
  p.waitArmed = (bits & Bit.WaitArmed) !== 0;
  p.yieldRequested = (bits & Bit.YieldRequested) !== 0;
  p.trapExit = (bits & Bit.TrapExit) !== 0;
  p.hibernated = (bits & Bit.Hibernated) !== 0;
  p.inReceive = (bits & Bit.InReceive) !== 0;
  p.madeAliases = (bits & Bit.MadeAliases) !== 0;
  p.preempted = (bits & Bit.Preempted) !== 0;
  p.pendingExit = (bits & Bit.HasPendingExit) !== 0 ? w[at + S.PendingExit]! : undefined;
  p.groupLeader = w[at + S.GroupLeader]!;
  p.initialCall = [w[at + S.InitialModule]!, w[at + S.InitialFunction]!, w[at + S.InitialArity]!];
  p.exitReason = w[at + S.ExitReason]!;
  p.exitClass = w[at + S.ExitClass]!;
  p.exitRawReason = w[at + S.ExitRawReason]!;
  p.exitTrace = w[at + S.ExitTrace]!;
  p.suspended = w[at + S.Suspended]!;
  p.awaitingReply = w[at + S.AwaitingReply]!;
  p.reply = w[at + S.Reply]!;
  if ((bits & Bit.HasHibernate) !== 0) {
    p.hibernate = { module: w[at + S.HibernateModule]!, fun: w[at + S.HibernateFunction]!, args: w[at + S.HibernateArgs]! };
  }
  if ((bits & Bit.HasFlags) !== 0) {
    const flags: ProcessFlags = {
      minHeapSize: w[at + S.FlagMinHeapSize]!,
      minBinVheapSize: w[at + S.FlagMinBinVheapSize]!,
      maxHeapSize: {
        size: w[at + S.FlagMaxHeapSize]!,
        kill: (bits & Bit.FlagMaxHeapKill) !== 0,
        errorLogger: (bits & Bit.FlagMaxHeapErrorLogger) !== 0,
      },
      fullsweepAfter: w[at + S.FlagFullsweepAfter]!,
      messageQueueData: (bits & Bit.FlagOffHeapQueue) !== 0 ? 'off_heap' : 'on_heap',
      saveCalls: w[at + S.FlagSaveCalls]!,
      sensitive: (bits & Bit.FlagSensitive) !== 0,
      errorHandler: w[at + S.FlagErrorHandler]!,
    };
    p.flags = flags;
  }

  let i = at + S.Words;
  const take = (): Int32Array => {
    const n = w[i]!;
    const out = w.slice(i + 1, i + 1 + n);
    i += 1 + n;
    return out;
  };
  const x = take();
  p.savedX = x.length === 0 ? p.savedX : x;
  p.fragments = Array.from(take());
  p.dictionary = Array.from(take());
  const links = take();
  for (const n of links) p.links.add(n);
  p.monitoredBy = restoreMonitors(take(), (refId, pid, name) => ({ watcher: pid, target: p.pid, refId, name }));
  p.monitoring = restoreMonitors(take(), (refId, pid, name) => ({ watcher: p.pid, target: pid, refId, name }));
  const suspendees = take();
  if (suspendees.length > 0) {
    p.suspendees = new Map();
    for (let k = 0; k < suspendees.length; k += 2) p.suspendees.set(suspendees[k]!, suspendees[k + 1]!);
  }
  Atomics.store(w, pcb + Pcb.State, 0);
  mem.free(at);
  return p;
}

function restoreMonitors(words: Int32Array, entry: (refId: number, pid: Term, name: Term) => MonitorEntry): Map<number, MonitorEntry> | undefined {
  if (words.length === 0) return undefined;
  const table = new Map<number, MonitorEntry>();
  for (let k = 0; k < words.length; k += 3) table.set(words[k]!, entry(words[k]!, words[k + 1]!, words[k + 2]!));
  return table;
}

// Scratch for moving a double in and out of two words.
const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);

function writeFloat(mem: Memory, at: number, v: number): void {
  f64[0] = v;
  mem.i32[at] = f64w[0]!;
  mem.i32[at + 1] = f64w[1]!;
}

function readFloat(mem: Memory, at: number): number {
  f64w[0] = mem.i32[at]!;
  f64w[1] = mem.i32[at + 1]!;
  return f64[0]!;
}
