/**
 * Process flags and process control that the SMP issue does not change:
 * process_flag/2,3 with the real VM's return values (the old value) and
 * badarg rules, the spawn_opt options, erlang:suspend_process/1,2 (through
 * erts_internal:suspend_process/2, as erlang.erl calls it) and
 * resume_process/1, and erlang:hibernate/3.
 *
 * What has effect now: trap_exit; min_heap_size (the first heap of a spawned
 * process); suspension (the scheduler skips a suspended process); hibernate
 * (the stack is dropped, the heap collected, and the process resumes in
 * M:F(A) at its next message). priority, max_heap_size, fullsweep_after,
 * message_queue_data, save_calls and sensitive are recorded and reported by
 * process_info; the SMP run queues and the generational GC give them effect.
 */
import { ATOM_FALSE, ATOM_TRUE, ATOM_UNDEFINED, commonAtom } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { NIL, isAtom, isLocalPid, isSmall, makeSmall, smallVal, type Term } from '../vm/term/tags.js';
import { isTuple, listToArray, mkInt, mkTuple2, tupleArity, tupleElement, intValue, mkList, mkTuple3 } from '../vm/term/make.js';
import { type Process, type ProcessFlags } from '../vm/process.js';
import { isMapTerm, mapForEach, mapFromArrays } from '../vm/term/maps.js';
import { defineBifs } from './registry.js';
import { SigKind } from '../scheduler/layout.js';

const PRIORITIES = ['max', 'high', 'normal', 'low'];

/** The real VM's heap sizes: 12, 38, then each the sum of the two before plus one (233, 376, 610 ...), then +20%. */
export function heapSizeAtLeast(words: number): number {
  let a = 12;
  let b = 38;
  if (words <= a) return a;
  while (b < words) {
    if (b < 1_300_000) {
      const c = a + b + 1;
      a = b;
      b = c;
    } else b = Math.floor(b * 1.2);
  }
  return b;
}

/** The default flags of a new process (OTP 25's defaults). */
function defaultFlags(p: Process): ProcessFlags {
  return {
    minHeapSize: 233,
    minBinVheapSize: 46422,
    maxHeapSize: { size: 0, kill: true, errorLogger: true },
    fullsweepAfter: 65535,
    messageQueueData: 'on_heap',
    saveCalls: 0,
    sensitive: false,
    errorHandler: p.atoms.intern('error_handler'),
  };
}

export function flagsOf(p: Process): ProcessFlags {
  return (p.flags ??= defaultFlags(p));
}

/** A non-negative integer that fits a JS number, else undefined. */
function natural(p: Process, t: Term): number | undefined {
  const v = intValue(p, t);
  if (v === undefined) return undefined;
  const n = typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n ? Number(v) : -1) : v;
  return n >= 0 ? n : undefined;
}

/** min_heap_size / min_bin_vheap_size: rounded up to a heap size, never below the default. */
function minSize(n: number, floor: number): number {
  return n <= floor ? floor : heapSizeAtLeast(n);
}

/** max_heap_size as an integer or a map #{size, kill, error_logger}; undefined when malformed. */
function parseMaxHeap(p: Process, v: Term, minHeap: number): ProcessFlags['maxHeapSize'] | undefined {
  const check = (size: number | undefined): boolean => size !== undefined && size < 2 ** 57 && (size === 0 || size >= minHeap);
  if (isSmall(v) || intValue(p, v) !== undefined) {
    const size = natural(p, v);
    return check(size) ? { size: size!, kill: true, errorLogger: true } : undefined;
  }
  const m = mapPairs(p, v);
  if (m === undefined) return undefined;
  const out = { size: -1, kill: true, errorLogger: true };
  for (const [k, val] of m) {
    const key = isAtom(k) ? p.atoms.name(k) : '';
    if (key === 'size') {
      const size = natural(p, val);
      if (!check(size)) return undefined;
      out.size = size!;
    } else if (key === 'kill' || key === 'error_logger') {
      if (val !== ATOM_TRUE && val !== ATOM_FALSE) return undefined;
      if (key === 'kill') out.kill = val === ATOM_TRUE;
      else out.errorLogger = val === ATOM_TRUE;
    } else return undefined;
  }
  return out.size < 0 ? undefined : out;
}

/** The pairs of a map, or undefined for a non-map. */
function mapPairs(p: Process, m: Term): [Term, Term][] | undefined {
  if (!isMapTerm(p, m)) return undefined;
  const out: [Term, Term][] = [];
  mapForEach(p, m, (k, v) => out.push([k, v]));
  return out;
}

function maxHeapTerm(p: Process, m: ProcessFlags['maxHeapSize']): Term {
  return buildMap(p, [
    [p.atoms.intern('error_logger'), m.errorLogger ? ATOM_TRUE : ATOM_FALSE],
    [p.atoms.intern('kill'), m.kill ? ATOM_TRUE : ATOM_FALSE],
    [p.atoms.intern('size'), mkInt(p, m.size)],
  ]);
}

function buildMap(p: Process, pairs: [Term, Term][]): Term {
  return mapFromArrays(p, pairs.map((e) => e[0]), pairs.map((e) => e[1]));
}

/**
 * One flag: returns the old value, or undefined when the flag or the value
 * is not accepted (badarg). `spawning` is true for spawn_opt (no return value
 * is needed, the same checks apply).
 */
function setFlag(p: Process, t: Process, flag: string, v: Term): Term | undefined {
  const f = flagsOf(t);
  switch (flag) {
    case 'trap_exit': {
      if (v !== ATOM_TRUE && v !== ATOM_FALSE) return undefined;
      const old = t.trapExit;
      t.trapExit = v === ATOM_TRUE;
      return old ? ATOM_TRUE : ATOM_FALSE;
    }
    case 'priority': {
      const name = isAtom(v) ? p.atoms.name(v) : '';
      if (!PRIORITIES.includes(name)) return undefined;
      const old = t.priority;
      t.priority = name;
      return p.atoms.intern(old);
    }
    case 'save_calls': {
      const n = natural(p, v);
      if (n === undefined || n > 10000) return undefined;
      const old = f.saveCalls;
      f.saveCalls = n;
      return makeSmall(old);
    }
    case 'sensitive': {
      if (v !== ATOM_TRUE && v !== ATOM_FALSE) return undefined;
      const old = f.sensitive;
      f.sensitive = v === ATOM_TRUE;
      return old ? ATOM_TRUE : ATOM_FALSE;
    }
    case 'min_heap_size': {
      const n = natural(p, v);
      if (n === undefined || n >= 2 ** 57) return undefined;
      const old = f.minHeapSize;
      f.minHeapSize = minSize(n, 233);
      return mkInt(p, old);
    }
    case 'min_bin_vheap_size': {
      const n = natural(p, v);
      if (n === undefined || n >= 2 ** 57) return undefined;
      const old = f.minBinVheapSize;
      f.minBinVheapSize = minSize(n, 46422);
      return mkInt(p, old);
    }
    case 'max_heap_size': {
      const m = parseMaxHeap(p, v, f.minHeapSize);
      if (m === undefined) return undefined;
      const old = maxHeapTerm(p, f.maxHeapSize);
      f.maxHeapSize = m;
      return old;
    }
    case 'fullsweep_after': {
      const n = natural(p, v);
      if (n === undefined || !isSmall(v)) return undefined;
      const old = f.fullsweepAfter;
      f.fullsweepAfter = n;
      return mkInt(p, old);
    }
    case 'message_queue_data': {
      const name = isAtom(v) ? p.atoms.name(v) : '';
      if (name !== 'on_heap' && name !== 'off_heap') return undefined;
      const old = f.messageQueueData;
      f.messageQueueData = name;
      return p.atoms.intern(old);
    }
    case 'error_handler': {
      if (!isAtom(v)) return undefined;
      const old = f.errorHandler;
      f.errorHandler = v;
      return old;
    }
    case 'scheduler':
      // Deprecated: accepted and ignored; the old value is 0 (no binding).
      return isSmall(v) ? makeSmall(0) : undefined;
    default:
      return undefined;
  }
}

/**
 * Gives the recorded GC flags (min_heap_size, min_bin_vheap_size,
 * max_heap_size, fullsweep_after) effect: the collector (gc/policy.ts)
 * reads them from the process's own fields.
 */
function applyGcFlags(t: Process): void {
  const f = t.flags;
  if (f === undefined) return;
  t.minHeapSize = f.minHeapSize;
  t.fullsweepAfter = f.fullsweepAfter;
  t.maxHeapSize = f.maxHeapSize.size;
  t.maxHeapKill = f.maxHeapSize.kill;
  t.maxHeapErrorLogger = f.maxHeapSize.errorLogger;
  if (t.binVheapMin !== f.minBinVheapSize) t.binVheapMin = t.binVheapLimit = t.binOldVheapLimit = f.minBinVheapSize;
}

/** The options of spawn_opt: link, monitor, and flags applied to the new process before it runs. */
export interface SpawnOptions {
  link: boolean;
  monitor: boolean;
  heapWords: number | undefined;
  apply: (child: Process) => void;
}

export function parseSpawnOptions(p: Process, opts: Term): SpawnOptions {
  const list = listToArray(p, opts);
  const bad = (): never => {
    throw badarg(p.atoms.intern('badopt'));
  };
  if (list === undefined) bad();
  const out: SpawnOptions = { link: false, monitor: false, heapWords: undefined, apply: () => {} };
  const settings: [string, Term][] = [];
  for (const o of list!) {
    if (isAtom(o)) {
      const name = p.atoms.name(o);
      if (name === 'link') out.link = true;
      else if (name === 'monitor') out.monitor = true;
      else bad();
      continue;
    }
    if (!isTuple(p, o) || tupleArity(p, o) !== 2 || !isAtom(tupleElement(p, o, 1))) bad();
    const k = p.atoms.name(tupleElement(p, o, 1));
    const v = tupleElement(p, o, 2);
    if (k === 'monitor') {
      if (listToArray(p, v) === undefined) bad();
      out.monitor = true;
      continue;
    }
    if (!['priority', 'fullsweep_after', 'min_heap_size', 'min_bin_vheap_size', 'max_heap_size', 'message_queue_data'].includes(k)) bad();
    settings.push([k, v]);
  }
  // Check the values on a scratch record now, so a bad option fails before anything is spawned.
  const probe = { atoms: p.atoms, trapExit: false, priority: 'normal', flags: undefined } as unknown as Process;
  for (const [k, v] of settings) if (setFlag(p, probe, k, v) === undefined) bad();
  const minHeap = (probe as Process).flags?.minHeapSize;
  if (minHeap !== undefined && minHeap > 233) out.heapWords = minHeap;
  out.apply = (child) => {
    child.priority = probe.priority;
    if (probe.flags !== undefined) child.flags = { ...probe.flags };
    applyGcFlags(child);
  };
  return out;
}

// ---------------------------------------------------------------- suspension

/** The suspensions p holds (suspendee pid -> count), made on first use; a field of p, so it moves with p between schedulers. */
function suspendedBy(p: Process): Map<Term, number> {
  return (p.suspendees ??= new Map());
}

/** The process of a pid if it is alive (on this thread or another: the shared process table). */
function alive(p: Process, pid: Term): boolean {
  return p.vm.pcbOf(pid) !== 0;
}

/** One of p's suspensions of pid ends: a Resume signal (the suspendee waits for it: the signal wakes it). */
function resume(p: Process, pid: Term): void {
  p.vm.signal(pid, SigKind.Resume, p.pid, 0);
}

/** Releases the suspensions a process holds (when it exits). */
export function releaseSuspensions(p: Process): void {
  const m = p.suspendees;
  if (m === undefined) return;
  p.suspendees = undefined;
  for (const [pid, count] of m) for (let i = 0; i < count; i++) resume(p, pid);
}

defineBifs('erts_internal', 'bif', {
  /** true | false (unless_suspending and already suspended) | badopt | badarg, as erlang.erl expects. */
  'suspend_process/2': (p, [pid, opts]) => {
    const list = listToArray(p, opts!);
    if (list === undefined) return p.atoms.intern('badarg');
    let unlessSuspending = false;
    let async: Term | undefined;
    for (const o of list) {
      if (o === p.atoms.intern('unless_suspending')) unlessSuspending = true;
      else if (o === p.atoms.intern('asynchronous')) async = ATOM_UNDEFINED;
      else if (isTuple(p, o) && tupleArity(p, o) === 2 && tupleElement(p, o, 1) === p.atoms.intern('asynchronous')) async = tupleElement(p, o, 2);
      else return p.atoms.intern('badopt');
    }
    if (!isLocalPid(pid!) || pid === p.pid) return p.atoms.intern('badarg');
    if (!alive(p, pid!)) return p.atoms.intern('badarg');
    const mine = suspendedBy(p);
    const held = mine.get(pid!) ?? 0;
    let result: Term = ATOM_TRUE;
    if (unlessSuspending && held > 0) result = ATOM_FALSE;
    else {
      mine.set(pid!, held + 1);
      // A Suspend signal; handled now when the target is this thread's, as the real BIF returns once the
      // target is suspended (a target on another scheduler stops at its next scheduling point).
      p.vm.signal(pid!, SigKind.Suspend, p.pid, 0);
      const t = p.vm.processOf(pid!);
      if (t !== undefined) p.vm.handleSignalsOf(t);
    }
    if (async !== undefined) {
      if (async !== ATOM_UNDEFINED) p.vm.deliver(p, mkTuple2(p, async, result === ATOM_TRUE ? p.atoms.intern('suspended') : p.atoms.intern('not_suspended')));
      return ATOM_TRUE;
    }
    return result;
  },
});

defineBifs('erlang', 'bif', {
  'resume_process/1': (p, [pid]) => {
    if (!isLocalPid(pid!)) throw badarg();
    const mine = p.suspendees;
    const held = mine?.get(pid!) ?? 0;
    if (!alive(p, pid!) || held === 0) throw badarg();
    if (held === 1) mine!.delete(pid!);
    else mine!.set(pid!, held - 1);
    resume(p, pid!);
    return ATOM_TRUE;
  },
  'process_flag/2': (p, [flag, value]) => {
    if (!isAtom(flag!)) throw badarg();
    const old = setFlag(p, p, p.atoms.name(flag!), value!);
    if (old === undefined) throw badarg();
    applyGcFlags(p);
    return old;
  },
  'process_flag/3': (p, [pid, flag, value]) => {
    if (!isLocalPid(pid!) || flag !== p.atoms.intern('save_calls')) throw badarg();
    // save_calls has no visible effect here (it is recorded only): a process of another scheduler keeps its own.
    const t = p.vm.processOf(pid!);
    if (!alive(p, pid!)) throw badarg();
    const old = setFlag(p, t ?? p, 'save_calls', value!);
    if (old === undefined) throw badarg();
    return old;
  },
  /**
   * hibernate(M, F, A): never returns. The scheduler (vm.ts) drops the
   * stack, collects the heap and leaves the process waiting; its next
   * message starts M:F(A...).
   */
  'hibernate/3': (p, [m, f, a]) => {
    if (!isAtom(m!) || !isAtom(f!) || listToArray(p, a!) === undefined) throw badarg();
    p.hibernate = { module: m!, fun: f!, args: a! };
    p.yieldRequested = true;
    return ATOM_TRUE;
  },
});

/** process_info's suspending item about t (a process of this thread): [{Suspendee, ActiveCount, OutstandingCount}]. */
export function suspendingList(p: Process, t: Process): Term {
  const m = t.suspendees;
  if (m === undefined) return NIL;
  const out: Term[] = [];
  for (const [pid, count] of m) if (t.vm.pcbOf(pid) !== 0) out.push(mkTuple3(p, pid, makeSmall(count), makeSmall(0)));
  return mkList(p, out);
}

/** process_info items about flags (undefined for other items). */
export function flagItem(p: Process, t: Process, name: string): Term | undefined {
  const f = flagsOf(t);
  switch (name) {
    case 'priority':
      return p.atoms.intern(t.priority);
    case 'min_heap_size':
      return mkInt(p, f.minHeapSize);
    case 'min_bin_vheap_size':
      return mkInt(p, f.minBinVheapSize);
    case 'max_heap_size':
      return maxHeapTerm(p, f.maxHeapSize);
    case 'fullsweep_after':
      return mkInt(p, f.fullsweepAfter);
    case 'message_queue_data':
      return p.atoms.intern(f.messageQueueData);
    case 'error_handler':
      return f.errorHandler;
    case 'sensitive':
      return f.sensitive ? ATOM_TRUE : ATOM_FALSE;
    case 'garbage_collection': {
      const a = (s: string): Term => p.atoms.intern(s);
      return mkList(p, [
        mkTuple2(p, a('max_heap_size'), maxHeapTerm(p, f.maxHeapSize)),
        mkTuple2(p, a('min_bin_vheap_size'), mkInt(p, f.minBinVheapSize)),
        mkTuple2(p, a('min_heap_size'), mkInt(p, f.minHeapSize)),
        mkTuple2(p, a('fullsweep_after'), mkInt(p, f.fullsweepAfter)),
        mkTuple2(p, a('minor_gcs'), mkInt(p, t.gcCount)),
      ]);
    }
    case 'suspending':
      return suspendingList(p, t);
    default:
      return undefined;
  }
}

void smallVal;
void commonAtom;
