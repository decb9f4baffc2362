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
 *   GcState          per VM: the system-wide defaults (system_flag
 *                    fullsweep_after, min_heap_size, min_bin_vheap_size,
 *                    max_heap_size), statistics(garbage_collection), the
 *                    longest pause, and the long_gc monitor.
 *
 * One collection touches only its own process's memory, so it never pauses
 * another process beyond the scheduler thread it runs on.
 */
import type { Process } from '../vm/process.js';
import type { VM } from '../vm/vm.js';
import { type Term, makeSmall, NIL } from '../vm/term/tags.js';
import { mkInt, mkList, mkTuple, mkTuple2 } from '../vm/term/make.js';
import { GcKind, MIN_BIN_VHEAP, collectGarbage } from './collect.js';
import { MIN_HEAP_SIZE, nextHeapSize } from '../vm/process.js';
import { displayText } from '../vm/term/display.js';
import { mapFromArrays } from '../vm/term/maps.js';

const TRACE_GC = !!process.env.BEAMJS_TRACE_GC;

export class GcState {
  /** System-wide defaults for new processes (erlang:system_flag/2). */
  fullsweepAfter = 65535;
  minHeapSize = MIN_HEAP_SIZE;
  minBinVheapSize = MIN_BIN_VHEAP;
  maxHeapSize = 0;
  maxHeapKill = true;
  maxHeapErrorLogger = true;
  /** statistics(garbage_collection): collections and words reclaimed. */
  count = 0;
  reclaimedWords = 0;
  /** Pauses in milliseconds. */
  longestPauseMs = 0;
  totalPauseMs = 0;
  /** erlang:system_monitor/2: the monitoring pid and its long_gc threshold (ms; -1 = off). */
  monitor: Term = NIL;
  longGcMs = -1;

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
  gc.count++;
  gc.reclaimedWords += Math.max(0, before - usedWords(p) + need);
  gc.totalPauseMs += ms;
  if (ms > gc.longestPauseMs) gc.longestPauseMs = ms;
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
  // SMP: reads another process's JS state (builds the report on the monitor's heap)
  const target = vm.processOf(gc(vm).monitor);
  if (target === undefined) return;
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
