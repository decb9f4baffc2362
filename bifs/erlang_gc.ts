/**
 * Garbage collection from Erlang: erts_internal:garbage_collect/1 and
 * request_system_task/3 (behind erlang:garbage_collect/0,1,2, which are
 * OTP's own code), erlang:statistics/1, erlang:memory/0,1, the GC flags of
 * erlang:system_flag/2, and erlang:system_monitor/0,1,2 (long_gc).
 *
 * A BIF never collects (the terms it holds in JS are no roots): it asks
 * (p.gcRequest) and yields; the collection is made with the saved registers
 * before the process runs again (gc/policy.ts serviceRequest). Another
 * process is not running while this one is (one scheduler thread), so it is
 * collected at once with its saved registers.
 */
import { ATOM_FALSE, ATOM_TRUE, ATOM_UNDEFINED } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { NIL, type Term, isAtom, isLocalPid, isSmall, makeSmall, smallVal } from '../vm/term/tags.js';
import { isMap, isTuple, listToArray, mkInt, mkList, mkTuple2, mkTuple3, tupleArity, tupleElement } from '../vm/term/make.js';
import { ProcessStatus, type Process } from '../vm/process.js';
import { heapSizeOption, serviceRequest, totalHeapWords } from '../gc/policy.js';
import { defineBifs } from './registry.js';
import { schedulerStatistics } from './scheduler_stats.js';
import { mapFromArrays, mapGet } from '../vm/term/maps.js';
import { SigKind } from '../scheduler/layout.js';
import { copyTerm, sizeOfTerm } from '../gc/copy.js';

const a = (p: Process, s: string): Term => p.atoms.intern(s);

/** Asks for a collection of p itself: made when it yields, right after this BIF. */
function requestOwn(p: Process, major: boolean): void {
  p.gcRequest = Math.max(p.gcRequest, major ? 2 : 1);
  p.yieldRequested = true;
}

/** Collects a process other than the running one now; false when it has ended. */
function collectOther(p: Process, t: Process, major: boolean): boolean {
  if (t.status === ProcessStatus.Exited || t.pcb === 0) return false;
  t.gcRequest = Math.max(t.gcRequest, major ? 2 : 1);
  serviceRequest(p.vm, t);
  return true;
}

/**
 * garbage_collect(Pid) from a process of another scheduler reached `t` on
 * its owner's thread: collected now (or, if it is the process running here,
 * before it runs on), then {garbage_collect, ReqId, true} to the asker.
 */
export function gcRequestArrived(t: Process, from: Term, major: boolean, reqId: Term): void {
  if (t === t.vm.current) requestOwn(t, major);
  else collectOther(t, t, major);
  t.vm.send(t, from, mkTuple3(t, a(t, 'garbage_collect'), reqId, ATOM_TRUE));
}

const startedAt = performance.now();
let lastWallClock = 0;
let lastRuntime = 0;

/** The words of memory the processes hold (heaps, fragments, old heaps, control blocks), and the off-heap binaries they reference. */
function processTotals(p: Process): { processes: number; used: number; binary: number } {
  let processes = 0;
  let used = 0;
  const blocks = new Set<number>();
  let binary = 0;
  const w = p.mem.i32;
  // The processes of this thread only: the others' sizes are in their owners' JS state (a known gap with
  // several schedulers, docs/architecture.md).
  for (const t of p.vm.processes.values()) {
    if (t.pcb === 0) continue;
    processes += totalHeapWords(t) * 4 + 512;
    used += (t.heap.top - t.block + (t.blockEnd - t.stackTop) + t.fragmentWords + (t.oldTop - t.oldHeap)) * 4 + 512;
    for (const head of [t.offHeap, t.oldOffHeap]) {
      for (let pb = head; pb !== 0; pb = w[pb + 3]!) {
        const block = w[pb + 2]!;
        if (blocks.has(block)) continue;
        blocks.add(block);
        binary += p.mem.blockWords(block) * 4;
      }
    }
  }
  return { processes, used, binary };
}

const MEMORY_TYPES = ['total', 'processes', 'processes_used', 'system', 'atom', 'atom_used', 'binary', 'code', 'ets'];

/**
 * erlang:memory/0 values. total is what the shared allocator has handed out;
 * processes and binary are counted from the processes; atom, code and ets are
 * not tracked separately (part of system, reported as 0... except atom, the
 * atom table's allocation).
 */
function memoryValues(p: Process): Map<string, number> {
  const total = p.mem.allocatedWords * 4;
  const { processes, used, binary } = processTotals(p);
  const atomCount = p.atoms.count;
  const atom = atomCount * 16;
  return new Map([
    ['total', total],
    ['processes', processes],
    ['processes_used', used],
    ['system', Math.max(0, total - processes)],
    ['atom', atom],
    ['atom_used', atom],
    ['binary', binary],
    ['code', 0],
    ['ets', 0],
  ]);
}

function statistics(p: Process, what: Term): Term {
  if (!isAtom(what)) throw badarg();
  const vm = p.vm;
  const now = performance.now() - startedAt;
  switch (p.atoms.name(what)) {
    case 'garbage_collection':
      return mkTuple3(p, mkInt(p, vm.gc.count), mkInt(p, vm.gc.reclaimedWords), makeSmall(0));
    case 'wall_clock': {
      const ms = Math.floor(now);
      const r = mkTuple2(p, mkInt(p, ms), mkInt(p, ms - lastWallClock));
      lastWallClock = ms;
      return r;
    }
    case 'runtime': {
      const ms = Math.floor(process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000);
      const r = mkTuple2(p, mkInt(p, ms), mkInt(p, ms - lastRuntime));
      lastRuntime = ms;
      return r;
    }
    default: {
      const t = schedulerStatistics(p, p.atoms.name(what));
      if (t === undefined) throw badarg();
      return t;
    }
  }
}

/** An integer option of at least `min`. */
function intArg(t: Term, min = 0): number {
  if (!isSmall(t) || smallVal(t) < min) throw badarg();
  return smallVal(t);
}

/** A max_heap_size value: a size, or a map with size, kill and error_logger. */
function maxHeapArg(p: Process, t: Term): { size: number; kill?: boolean; errorLogger?: boolean } {
  if (isSmall(t)) return { size: intArg(t) };
  if (!isMap(p, t)) throw badarg();
  const get = (k: string): Term | undefined => mapGet(p, t, a(p, k));
  const size = get('size');
  const kill = get('kill');
  const el = get('error_logger');
  const bool = (v: Term | undefined): boolean | undefined => {
    if (v === undefined) return undefined;
    if (v !== ATOM_TRUE && v !== ATOM_FALSE) throw badarg();
    return v === ATOM_TRUE;
  };
  return { size: size === undefined ? 0 : intArg(size), kill: bool(kill), errorLogger: bool(el) };
}

function maxHeapMap(p: Process, size: number, kill: boolean, errorLogger: boolean): Term {
  // The same shape process_info(garbage_collection) shows.
  return mapFromArrays(p, [a(p, 'error_logger'), a(p, 'kill'), a(p, 'size')], [errorLogger ? ATOM_TRUE : ATOM_FALSE, kill ? ATOM_TRUE : ATOM_FALSE, mkInt(p, size)]);
}

/**
 * The GC flags of erlang:system_flag/2 (fullsweep_after, min_heap_size,
 * min_bin_vheap_size, max_heap_size): the old value, or undefined when
 * `name` is not one of them (bifs/erlang_system.ts owns the BIF).
 */
export function gcSystemFlag(p: Process, name: string, value: Term): Term | undefined {
  const gc = p.vm.gc;
  switch (name) {
    case 'fullsweep_after': {
      const old = gc.fullsweepAfter;
      gc.fullsweepAfter = intArg(value);
      return mkInt(p, old);
    }
    case 'min_heap_size': {
      const old = gc.minHeapSize;
      gc.minHeapSize = heapSizeOption(intArg(value));
      return mkInt(p, old);
    }
    case 'min_bin_vheap_size': {
      const old = gc.minBinVheapSize;
      gc.minBinVheapSize = heapSizeOption(intArg(value));
      return mkInt(p, old);
    }
    case 'max_heap_size': {
      const old = maxHeapMap(p, gc.maxHeapSize, gc.maxHeapKill, gc.maxHeapErrorLogger);
      const m = maxHeapArg(p, value);
      gc.maxHeapSize = m.size;
      if (m.kill !== undefined) gc.maxHeapKill = m.kill;
      if (m.errorLogger !== undefined) gc.maxHeapErrorLogger = m.errorLogger;
      return old;
    }
    default:
      return undefined;
  }
}

defineBifs('erts_internal', 'bif', {
  'garbage_collect/1': (p, [type]) => {
    if (type !== a(p, 'major') && type !== a(p, 'minor')) throw badarg();
    requestOwn(p, type === a(p, 'major'));
    return ATOM_TRUE;
  },
  /** {garbage_collect, ReqId, Type} for Pid: collects it and sends {garbage_collect, ReqId, true | false} to the caller. */
  'request_system_task/3': (p, [pid, _prio, req]) => {
    if (!isLocalPid(pid!) || !isTuple(p, req!) || tupleArity(p, req!) !== 3) throw badarg();
    if (tupleElement(p, req!, 1) !== a(p, 'garbage_collect')) throw badarg();
    const reqId = tupleElement(p, req!, 2);
    const major = tupleElement(p, req!, 3) === a(p, 'major');
    let done = false;
    if (pid === p.pid) {
      requestOwn(p, major);
      done = true;
    } else {
      const t = p.vm.processOf(pid!);
      if (t === undefined && p.vm.pcbOf(pid!) !== 0) {
        // On another scheduler: its owner collects it and answers (gcRequestArrived).
        p.vm.signal(pid!, SigKind.GcRequest, p.pid, major ? 1 : 0, sizeOfTerm(p.vm, reqId), (b) => copyTerm(p.vm, reqId, b));
        return ATOM_TRUE;
      }
      done = t !== undefined && collectOther(p, t, major);
    }
    p.vm.deliver(p, mkTuple3(p, a(p, 'garbage_collect'), reqId, done ? ATOM_TRUE : ATOM_FALSE));
    return ATOM_TRUE;
  },
});

defineBifs('erlang', 'bif', {
  'statistics/1': (p, [what]) => statistics(p, what!),
  'memory/0': (p) => {
    const v = memoryValues(p);
    return mkList(p, MEMORY_TYPES.map((k) => mkTuple2(p, a(p, k), mkInt(p, v.get(k)!))));
  },
  'memory/1': (p, [what]) => {
    const v = memoryValues(p);
    const one = (t: Term): number => {
      if (!isAtom(t) || !v.has(p.atoms.name(t))) throw badarg();
      return v.get(p.atoms.name(t))!;
    };
    if (isAtom(what!)) return mkInt(p, one(what!));
    const list = listToArray(p, what!);
    if (list === undefined) throw badarg();
    return mkList(p, list.map((t) => mkTuple2(p, t, mkInt(p, one(t)))));
  },
  'system_monitor/0': (p) => monitorSetting(p),
  'system_monitor/1': (p, [arg]) => {
    const old = monitorSetting(p);
    if (arg === ATOM_UNDEFINED) {
      p.vm.gc.monitor = NIL;
      p.vm.gc.longGcMs = -1;
      return old;
    }
    if (!isTuple(p, arg!) || tupleArity(p, arg!) !== 2) throw badarg();
    setMonitor(p, tupleElement(p, arg!, 1), tupleElement(p, arg!, 2));
    return old;
  },
  'system_monitor/2': (p, [pid, opts]) => {
    const old = monitorSetting(p);
    setMonitor(p, pid!, opts!);
    return old;
  },
});

/** The current system monitor as {Pid, Options}, or undefined. */
function monitorSetting(p: Process): Term {
  const gc = p.vm.gc;
  if (gc.monitor === NIL) return ATOM_UNDEFINED;
  return mkTuple2(p, gc.monitor, mkList(p, [mkTuple2(p, a(p, 'long_gc'), mkInt(p, gc.longGcMs))]));
}

/** system_monitor(Pid, Options): long_gc is honoured; the other options are accepted and ignored. */
function setMonitor(p: Process, pid: Term, opts: Term): void {
  if (!isLocalPid(pid)) throw badarg();
  const list = listToArray(p, opts);
  if (list === undefined) throw badarg();
  let longGc = -1;
  for (const o of list) {
    if (isTuple(p, o) && tupleArity(p, o) === 2 && tupleElement(p, o, 1) === a(p, 'long_gc')) longGc = intArg(tupleElement(p, o, 2));
  }
  const gc = p.vm.gc;
  gc.monitor = longGc >= 0 ? pid : NIL;
  gc.longGcMs = longGc;
}
