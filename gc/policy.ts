/**
 * When and how a process is collected, and what the VM counts about it
 * (gc/collect.ts does the copying):
 *
 *   collectProcess   every collection of a running process goes through here
 *                    (vm.collect from the allocation points, the requests of
 *                    garbage_collect/0,1,2): times it, counts it, reports a
 *                    long one to the system monitor ({long_gc, Ms}) and
 *                    enforces max_heap_size (kill and/or an error report).
 *   serviceRequest   a collection asked for by erts_internal:garbage_collect
 *                    or request_system_task, made with the process's saved
 *                    registers before it runs again (a BIF never collects: the
 *                    terms it holds in JS would not be roots).
 *   GcState          shared by the VM's threads: the system-wide defaults (system_flag
 *                    fullsweep_after, min_heap_size, min_bin_vheap_size,
 *                    max_heap_size), statistics(garbage_collection), the
 *                    longest pause, and the long_gc monitor.
 *
 * One collection touches only its own process's memory, so it never pauses
 * another process beyond the scheduler thread it runs on.
 */
import type { Process } from '../vm/process.js';
import type { VM } from '../vm/vm.js';
import type { Memory } from '../vm/memory.js';
import { Slot } from '../scheduler/layout.js';
import { type Term, makeSmall, NIL } from '../vm/term/tags.js';
import { mkInt, mkList, mkTuple, mkTuple2 } from '../vm/term/make.js';
import { GcKind, MIN_BIN_VHEAP, collectGarbage } from './collect.js';
import { MIN_HEAP_SIZE, nextHeapSize } from '../vm/process.js';
import { displayText } from '../vm/term/display.js';
import { mapFromArrays } from '../vm/term/maps.js';

const TRACE_GC = !!process.env.BEAMJS_TRACE_GC;

/** Word offsets of the GC state block (Slot.GcState). */
const enum G {
  FullsweepAfter = 0,
  MinHeapSize,
  MinBinVheapSize,
  MaxHeapSize,
  MaxHeapKill,
  MaxHeapErrorLogger,
  Monitor,
  LongGcMs,
  /** Float64 and BigInt64 statistics from here (8-byte aligned: the block is). */
  Count = 8,
  ReclaimedWords = 10,
  LongestPauseMs = 12,
  TotalPauseMs = 14,
  Words = 16,
}

/**
 * The system-wide GC settings and statistics, in shared memory: every
 * scheduler thread's VM context sees the same system_flag values and adds
 * to the same counts. (The pause figures are plain float stores: a lost
 * update between two threads' collections only blurs a statistic.)
 */
export class GcState {
  private readonly w: Int32Array;
  private readonly f64: Float64Array;
  private readonly i64: BigInt64Array;
  private readonly at: number;

  constructor(mem: Memory, attach: boolean) {
    const w = mem.i32;
    if (!attach) {
      // 8-byte alignment for the Float64/BigInt64 words: one spare word.
      const block = mem.allocZeroed(G.Words + 1);
      const at = (block + 1) & ~1;
      w[at + G.FullsweepAfter] = 65535;
      w[at + G.MinHeapSize] = MIN_HEAP_SIZE;
      w[at + G.MinBinVheapSize] = MIN_BIN_VHEAP;
      w[at + G.MaxHeapKill] = 1;
      w[at + G.MaxHeapErrorLogger] = 1;
      w[at + G.Monitor] = NIL;
      w[at + G.LongGcMs] = -1;
      Atomics.store(w, Slot.GcState, at);
    }
    this.at = Atomics.load(w, Slot.GcState);
    this.w = w;
    this.f64 = new Float64Array(mem.buffer, 0, Math.floor(mem.buffer.byteLength / 8));
    this.i64 = new BigInt64Array(mem.buffer, 0, Math.floor(mem.buffer.byteLength / 8));
  }

  /** System-wide defaults for new processes (erlang:system_flag/2). */
  get fullsweepAfter(): number { return this.w[this.at + G.FullsweepAfter]!; }
  set fullsweepAfter(v: number) { this.w[this.at + G.FullsweepAfter] = v; }
  get minHeapSize(): number { return this.w[this.at + G.MinHeapSize]!; }
  set minHeapSize(v: number) { this.w[this.at + G.MinHeapSize] = v; }
  get minBinVheapSize(): number { return this.w[this.at + G.MinBinVheapSize]!; }
  set minBinVheapSize(v: number) { this.w[this.at + G.MinBinVheapSize] = v; }
  get maxHeapSize(): number { return this.w[this.at + G.MaxHeapSize]!; }
  set maxHeapSize(v: number) { this.w[this.at + G.MaxHeapSize] = v; }
  get maxHeapKill(): boolean { return this.w[this.at + G.MaxHeapKill] === 1; }
  set maxHeapKill(v: boolean) { this.w[this.at + G.MaxHeapKill] = v ? 1 : 0; }
  get maxHeapErrorLogger(): boolean { return this.w[this.at + G.MaxHeapErrorLogger] === 1; }
  set maxHeapErrorLogger(v: boolean) { this.w[this.at + G.MaxHeapErrorLogger] = v ? 1 : 0; }
  /** erlang:system_monitor/2: the monitoring pid and its long_gc threshold (ms; -1 = off). */
  get monitor(): Term { return this.w[this.at + G.Monitor]!; }
  set monitor(v: Term) { this.w[this.at + G.Monitor] = v; }
  get longGcMs(): number { return this.w[this.at + G.LongGcMs]!; }
  set longGcMs(v: number) { this.w[this.at + G.LongGcMs] = v; }

  /** statistics(garbage_collection): collections and words reclaimed. */
  get count(): number { return Number(Atomics.load(this.i64, (this.at + G.Count) >>> 1)); }
  get reclaimedWords(): number { return Number(Atomics.load(this.i64, (this.at + G.ReclaimedWords) >>> 1)); }
  /** Pauses in milliseconds. */
  get longestPauseMs(): number { return this.f64[(this.at + G.LongestPauseMs) >>> 1]!; }
  get totalPauseMs(): number { return this.f64[(this.at + G.TotalPauseMs) >>> 1]!; }

  /** Counts one collection. */
  counted(reclaimedWords: number, ms: number): void {
    Atomics.add(this.i64, (this.at + G.Count) >>> 1, 1n);
    Atomics.add(this.i64, (this.at + G.ReclaimedWords) >>> 1, BigInt(Math.max(0, reclaimedWords)));
    this.f64[(this.at + G.TotalPauseMs) >>> 1]! += ms;
    if (ms > this.longestPauseMs) this.f64[(this.at + G.LongestPauseMs) >>> 1] = ms;
  }

  /** Gives a new process the system's defaults. */
  applyDefaults(p: Process): void {
    p.fullsweepAfter = this.fullsweepAfter;
    p.minHeapSize = this.minHeapSize;
    p.binVheapLimit = p.binOldVheapLimit = p.binVheapMin = this.minBinVheapSize;
    p.maxHeapSize = this.maxHeapSize;
    p.maxHeapKill = this.maxHeapKill;
    p.maxHeapErrorLogger = this.maxHeapErrorLogger;
  }
}

/** Words of the young block and fragments (process_info heap_size). */
export function youngHeapWords(p: Process): number {
  return p.blockEnd - p.block + p.fragmentWords + p.messageWords;
}

/** Young and old heap words (process_info total_heap_size, what max_heap_size limits). */
export function totalHeapWords(p: Process): number {
  return youngHeapWords(p) + (p.oldEnd - p.oldHeap);
}

/** Words in use: young heap + stack + fragments + old heap. */
function usedWords(p: Process): number {
  return p.heap.top - p.block + (p.blockEnd - p.stackTop) + p.fragmentWords + (p.oldTop - p.oldHeap);
}

/** Collects p (running, or not with x = p.savedX); `kind` Auto lets the collector choose minor or fullsweep. */
export function collectProcess(vm: VM, p: Process, x: Int32Array, live: number, need: number, kind: GcKind = GcKind.Auto): void {
  const gc = vm.gc;
  const before = usedWords(p);
  const t0 = performance.now();
  const full = collectGarbage(p, x, live, need, undefined, kind);
  const ms = performance.now() - t0;
  if (TRACE_GC) {
    vm.writeStderr(
      `beamjs gc: ${displayText(vm, p.pid)} ${full ? 'full' : 'minor'} live=${live} need=${need} young=${p.heap.top - p.block}/${p.blockEnd - p.block} stack=${p.blockEnd - p.stackTop} old=${p.oldTop - p.oldHeap}/${p.oldEnd - p.oldHeap} bin=${p.binVheap}/${p.binVheapLimit} ${ms.toFixed(3)}ms\n`,
    );
  }
  p.gcCount++;
  gc.counted(before - usedWords(p) + need, ms);
  if (gc.longGcMs >= 0 && ms >= gc.longGcMs && gc.monitor !== NIL) reportLongGc(vm, p, ms, full);
  if (p.maxHeapSize > 0 && totalHeapWords(p) > p.maxHeapSize) maxHeapReached(vm, p);
}

/** Makes the collection p.gcRequest asks for, with the saved registers as roots (p is not running). */
export function serviceRequest(vm: VM, p: Process): void {
  const kind = p.gcRequest === 2 ? GcKind.Full : GcKind.Minor;
  p.gcRequest = 0;
  collectProcess(vm, p, p.savedX, p.savedX.length, 0, kind);
}

function reportLongGc(vm: VM, p: Process, ms: number, _full: boolean): void {
  // The monitor, on any scheduler (the shared process table).
  const target = vm.pcbOf(gc(vm).monitor);
  if (target === 0) return;
  const a = (s: string): Term => vm.atoms.intern(s);
  const items: [string, number][] = [
    ['timeout', Math.round(ms)],
    ['old_heap_block_size', p.oldEnd - p.oldHeap],
    ['heap_block_size', p.blockEnd - p.block],
    ['mbuf_size', p.fragmentWords],
    ['stack_size', p.blockEnd - p.stackTop],
    ['old_heap_size', p.oldTop - p.oldHeap],
    ['heap_size', p.heap.top - p.block],
  ];
  vm.deliverBuilt(target, 5 + items.length * 5 + 8, (b) =>
    mkTuple(b, [a('monitor'), p.pid, a('long_gc'), mkList(b, items.map(([k, v]) => mkTuple2(b, a(k), mkInt(b, v))))]),
  );
}

const gc = (vm: VM): GcState => vm.gc;

/**
 * max_heap_size reached: as the real VM, an error report (when error_logger
 * is set) and the process killed with reason `killed` (when kill is set); it
 * ends at its next scheduling point.
 */
function maxHeapReached(vm: VM, p: Process): void {
  if (p.maxHeapErrorLogger) {
    vm.writeStderr(
      `=ERROR REPORT====\n     Process:          ${displayText(vm, p.pid)}\n     Context:          maximum heap size reached\n` +
        `     Max Heap Size:    ${p.maxHeapSize}\n     Total Heap Size:  ${totalHeapWords(p)}\n     Kill:             ${p.maxHeapKill}\n` +
        `     Error Logger:     ${p.maxHeapErrorLogger}\n`,
    );
  }
  if (p.maxHeapKill && p.pendingExit === undefined) {
    p.pendingExit = vm.atoms.intern('killed');
    p.yieldRequested = true;
  }
}

/** The value of min_heap_size / min_bin_vheap_size as the real VM reports it (rounded up to a heap size). */
export function heapSizeOption(words: number): number {
  return nextHeapSize(Math.max(words, MIN_HEAP_SIZE));
}

/** The garbage_collection item of process_info: the real VM's keys, in its order. */
export function gcInfo(b: Process, p: Process): Term {
  const a = (s: string): Term => b.atoms.intern(s);
  const maxHeap = mapOf(b, [
    [a('error_logger'), p.maxHeapErrorLogger ? a('true') : a('false')],
    [a('kill'), p.maxHeapKill ? a('true') : a('false')],
    [a('size'), mkInt(b, p.maxHeapSize)],
  ]);
  return mkList(b, [
    mkTuple2(b, a('max_heap_size'), maxHeap),
    mkTuple2(b, a('min_bin_vheap_size'), mkInt(b, p.binVheapMin)),
    mkTuple2(b, a('min_heap_size'), mkInt(b, p.minHeapSize)),
    mkTuple2(b, a('fullsweep_after'), mkInt(b, p.fullsweepAfter)),
    mkTuple2(b, a('minor_gcs'), makeSmall(p.minorSinceFull)),
  ]);
}

function mapOf(b: Process, pairs: [Term, Term][]): Term {
  return mapFromArrays(b, pairs.map((q) => q[0]), pairs.map((q) => q[1]));
}
