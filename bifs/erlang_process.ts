/**
 * BIFs about processes, code and the VM itself that the direct start-up and
 * sequential library code need: self/0, make_ref/0, send, monitor,
 * group_leader, the process dictionary, module_info, halt, raise/3 and the
 * apply entries (whose bodies are interpreter stubs, vm/vm.ts); links,
 * exit signals, monitors, the spawn variants and timers. Process flags,
 * suspension and hibernate are in process_flags.ts, process_info in
 * process_info.ts.
 */
import { ATOM_FALSE, ATOM_OK, ATOM_TRUE, ATOM_UNDEFINED, commonAtom } from '../vm/term/atoms.js';
import { ErlangException, badarg, erlError, CLASS_ERROR, CLASS_EXIT, CLASS_THROW } from '../vm/errors.js';
import { Halt } from '../vm/halt.js';
import { exactEqual } from '../vm/term/compare.js';
import { NIL, isAtom, isLocalPid, isSmall, pidData, smallVal, type Term } from '../vm/term/tags.js';
import type { Builder } from '../vm/term/make.js';
import { intValue, listToArray, listToString, mkBinary, mkList, mkTuple2, mkTuple3, mkTuple, isTuple, tupleArity, tupleElement, iolistToBytes, isFun as isFunTerm, mkInt as mkIntTerm } from '../vm/term/make.js';
import { copyTerm, sizeOfTerm } from '../gc/copy.js';
import type { Process } from '../vm/process.js';
import { AliasMode } from '../vm/vm.js';
import { defineBifs } from './registry.js';
import { Msg, Pcb, SigKind } from '../scheduler/layout.js';
import { dropMessage, fetchInbox, unlinkAt } from '../vm/mailbox.js';
import { parseSpawnOptions, type SpawnOptions } from './process_flags.js';
import { monotonicMs } from './erlang_system.js';

const ATOM_DOWN = commonAtom('DOWN');
const ATOM_PROCESS = commonAtom('process');
const ATOM_NOPROC = commonAtom('noproc');

/**
 * A process monitor. Both ends index it by the reference's id (vm.refId:
 * terms move when their process collects, ids do not): the monitored
 * process in `monitoredBy`, the watcher in `monitoring`, so monitor,
 * demonitor and the 'DOWN' at exit cost O(1) per monitor. Each end keeps
 * its own entry and learns of the other's changes by signals (Monitor,
 * Demonitor, Down: vm/vm.ts handleSignal), so neither touches the other's
 * JS state. Pids, never Process objects: the other end may live on
 * another thread.
 */
export interface MonitorEntry {
  readonly watcher: Term;
  readonly target: Term;
  readonly refId: number;
  /** The registered name monitored (an atom), or 0 when monitored by pid. */
  readonly name: Term;
}

/** The monitored item as 'DOWN' and process_info show it: the pid, or {Name, Node}. */
function monitoredItem(b: Builder, m: MonitorEntry): Term {
  return m.name === 0 ? m.target : mkTuple2(b, m.name, commonAtom('nonode@nohost'));
}

/** Both ends of a monitor at once: only for a process the watcher has just spawned (spawn_monitor), which has run no code. */
function addMonitor(watcher: Process, target: Process, refId: number, name: Term): void {
  const m: MonitorEntry = { watcher: watcher.pid, target: target.pid, refId, name };
  (target.monitoredBy ??= new Map()).set(refId, m);
  (watcher.monitoring ??= new Map()).set(refId, m);
}

/** The Monitor signal reached the monitored process `t`. */
export function monitorArrived(t: Process, watcher: Term, refId: number, name: Term): void {
  (t.monitoredBy ??= new Map()).set(refId, { watcher, target: t.pid, refId, name });
}

/**
 * A Down signal reached the watcher: whether its monitor still stands (then
 * the 'DOWN' message is queued; after demonitor it is dropped). An alias
 * that ends with the monitor ends here.
 */
export function downArrived(w: Process, refId: number): boolean {
  if (w.monitoring?.delete(refId) !== true) return false;
  w.vm.dropAlias(refId, w.pid, (mode) => mode === AliasMode.Demonitor || mode === AliasMode.ReplyDemonitor);
  return true;
}

/** Drops the monitor `refId` that `watcher` holds, telling the monitored process; whether there was one. */
export function dropMonitor(watcher: Process, refId: number): boolean {
  const m = watcher.monitoring?.get(refId);
  if (m === undefined) return false;
  watcher.monitoring!.delete(refId);
  watcher.vm.signal(m.target, SigKind.Demonitor, watcher.pid, refId);
  return true;
}

/** At exit: the monitors p held are dropped at their targets, and its watchers get a Down signal each. */
export function notifyMonitors(p: Process): void {
  const vm = p.vm;
  if (p.monitoring !== undefined) {
    const held = p.monitoring;
    p.monitoring = undefined;
    for (const m of held.values()) vm.signal(m.target, SigKind.Demonitor, p.pid, m.refId);
  }
  if (p.monitoredBy === undefined) return;
  const down = p.monitoredBy;
  p.monitoredBy = undefined;
  const words = 6 + 4 + 3 + sizeOfTerm(vm, p.exitReason);
  for (const m of down.values()) {
    vm.signal(m.watcher, SigKind.Down, p.pid, m.refId, words, (b) =>
      mkTuple(b, [ATOM_DOWN, vm.refWithId(b, m.refId), ATOM_PROCESS, monitoredItem(b, m), copyTerm(vm, p.exitReason, b)]),
    );
  }
}

/**
 * Dest ! Msg (the send instruction and erlang:send/2,3): a pid, an alias, a
 * registered name or {Name, Node} on this node; badarg for anything else and
 * for a name nobody has registered, as the real VM raises.
 */
export function send(p: Process, dest: Term, msg: Term): Term {
  if (isTuple(p, dest) && tupleArity(p, dest) === 2) {
    // {Name, Node}: only this node exists; a message to a name nobody has there is dropped.
    const name = tupleElement(p, dest, 1);
    const node = tupleElement(p, dest, 2);
    if (!isAtom(name) || !isAtom(node)) throw badarg();
    if (node !== commonAtom('nonode@nohost') || p.vm.whereis(name) === 0) return msg;
    dest = name;
  }
  if (isAtom(dest)) {
    if (p.vm.whereis(dest) === 0) throw badarg();
  } else if (!isLocalPid(dest) && p.vm.refId(dest) < 0) throw badarg();
  p.vm.send(p, dest, msg);
  return msg;
}

/** monitor/2,3: a process monitor, with an alias when the options ask for one. */
function monitor(p: Process, type: Term, target: Term, opts?: Term): Term {
  if (type !== ATOM_PROCESS) throw badarg();
  if (isTuple(p, target) && tupleArity(p, target) === 2) {
    const name = tupleElement(p, target, 1);
    if (!isAtom(name) || !isAtom(tupleElement(p, target, 2))) throw badarg();
  } else if (!isAtom(target) && !isLocalPid(target)) throw badarg();
  let aliasMode: AliasMode | undefined;
  if (opts !== undefined) {
    const list = listToArray(p, opts);
    if (list === undefined) throw badarg();
    for (const o of list) {
      if (!isTuple(p, o) || tupleArity(p, o) !== 2) throw badarg();
      const k = p.atoms.name(tupleElement(p, o, 1));
      const v = tupleElement(p, o, 2);
      if (k === 'alias') {
        const mode = isAtom(v) ? p.atoms.name(v) : '';
        if (mode === 'explicit_unalias') aliasMode = AliasMode.Explicit;
        else if (mode === 'demonitor') aliasMode = AliasMode.Demonitor;
        else if (mode === 'reply_demonitor') aliasMode = AliasMode.ReplyDemonitor;
        else throw badarg();
      } else if (k !== 'tag') throw badarg();
    }
  }
  const ref = p.vm.makeRef(p);
  const id = p.vm.refId(ref);
  if (aliasMode !== undefined) p.vm.setAlias(id, p, aliasMode);
  let t: Term = 0;
  if (isTuple(p, target)) {
    const node = tupleElement(p, target, 2);
    t = node === commonAtom('nonode@nohost') ? p.vm.whereis(tupleElement(p, target, 1)) : 0;
  } else t = isAtom(target) ? p.vm.whereis(target) : target;
  const shown = isTuple(p, target) ? target : isAtom(target) ? mkTuple2(p, target, commonAtom('nonode@nohost')) : target;
  if (t === 0 || p.vm.pcbOf(t) === 0) {
    if (aliasMode === AliasMode.Demonitor || aliasMode === AliasMode.ReplyDemonitor) p.vm.dropAlias(id, p.pid);
    p.vm.deliver(p, mkTuple(p, [ATOM_DOWN, ref, ATOM_PROCESS, shown, ATOM_NOPROC]));
  } else {
    const byName = isTuple(p, target) ? tupleElement(p, target, 1) : isAtom(target) ? target : 0;
    (p.monitoring ??= new Map()).set(id, { watcher: p.pid, target: t, refId: id, name: byName });
    p.vm.signal(t, SigKind.Monitor, p.pid, id, 0, byName === 0 ? undefined : () => byName);
  }
  return ref;
}

function dictIndex(p: Process, key: Term): number {
  const d = p.dictionary;
  for (let i = 0; i < d.length; i += 2) if (d[i] === key || exactEqual(p, d[i]!, key)) return i;
  return -1;
}

function moduleInfo(p: Process, module: Term, item?: Term): Term {
  const m = p.vm.modules.get(module);
  if (m === undefined) throw badarg();
  const exportsList = (): Term =>
    mkList(
      p,
      m.exports.map(([f, a]) => mkTuple2(p, f, (a << 4) | 15)),
    );
  const items: Record<string, () => Term> = {
    module: () => module,
    exports: exportsList,
    functions: () => mkList(p, m.functions.map((f) => mkTuple2(p, f.name, (f.arity << 4) | 15))),
    attributes: () => copyTerm(p, m.attributes, p),
    compile: () => copyTerm(p, m.compileInfo, p),
    md5: () => mkBinary(p, m.md5),
    nifs: () => NIL,
  };
  if (item !== undefined) {
    const f = isAtom(item) ? items[p.atoms.name(item)] : undefined;
    if (f === undefined) throw badarg();
    return f();
  }
  return mkList(
    p,
    ['module', 'exports', 'attributes', 'compile', 'md5'].map((k) => mkTuple2(p, p.atoms.intern(k), items[k]!())),
  );
}

function haltStatus(p: Process, s: Term | undefined): number | string {
  if (s === undefined) return 0;
  if (isSmall(s) && smallVal(s) >= 0) return smallVal(s);
  if (s === p.atoms.intern('abort')) return 'abort';
  const text = listToString(p, s);
  if (text !== undefined) return text;
  throw badarg();
}

defineBifs('erlang', 'bif', {
  'self/0': (p) => p.pid,
  'make_ref/0': (p) => p.vm.makeRef(p),
  'send/2': (p, [d, m]) => send(p, d!, m!),
  '!/2': (p, [d, m]) => send(p, d!, m!),
  'send/3': (p, [d, m]) => {
    send(p, d!, m!);
    return ATOM_OK;
  },
  'monitor/2': (p, [type, target]) => monitor(p, type!, target!),
  'monitor/3': (p, [type, target, opts]) => monitor(p, type!, target!, opts!),
  'alias/0': (p) => {
    const ref = p.vm.makeRef(p);
    p.vm.setAlias(p.vm.refId(ref), p, AliasMode.Explicit);
    return ref;
  },
  'alias/1': (p, [opts]) => {
    const list = listToArray(p, opts!);
    if (list === undefined) throw badarg();
    let mode = AliasMode.Explicit;
    for (const o of list) {
      if (o === p.atoms.intern('reply')) mode = AliasMode.Reply;
      else if (o !== p.atoms.intern('explicit_unalias')) throw badarg();
    }
    const ref = p.vm.makeRef(p);
    p.vm.setAlias(p.vm.refId(ref), p, mode);
    return ref;
  },
  'unalias/1': (p, [ref]) => {
    const id = p.vm.refId(ref!);
    if (id < 0) throw badarg();
    return p.vm.dropAlias(id, p.pid) ? ATOM_TRUE : ATOM_FALSE;
  },
  'demonitor/1': (p, [ref]) => {
    if (p.vm.refId(ref!) < 0) throw badarg();
    return demonitor(p, ref!, false);
  },
  'demonitor/2': (p, [ref, opts]) => {
    const o = listToArray(p, opts!);
    if (o === undefined || p.vm.refId(ref!) < 0) throw badarg();
    if (!o.every((x) => x === p.atoms.intern('flush') || x === p.atoms.intern('info'))) throw badarg();
    return demonitor(p, ref!, o.includes(p.atoms.intern('flush')), o.includes(p.atoms.intern('info')));
  },
  'group_leader/0': (p) => p.groupLeader,
  'group_leader/2': (p, [gl, pid]) => {
    if (!isLocalPid(pid!) || !isLocalPid(gl!) || p.vm.pcbOf(pid!) === 0) throw badarg();
    if (pid === p.pid) p.groupLeader = gl!;
    else p.vm.signal(pid!, SigKind.GroupLeader, p.pid, 0, 0, () => gl!);
    return ATOM_TRUE;
  },
  'is_process_alive/1': (p, [pid]) => {
    if (!isLocalPid(pid!)) throw badarg();
    // The answer reflects the signals the caller sent before (exit(Pid, kill), then is_process_alive(Pid) is false).
    const t = p.vm.processOf(pid!);
    if (t !== undefined && t !== p) p.vm.handleSignalsOf(t);
    return p.vm.pcbOf(pid!) !== 0 ? ATOM_TRUE : ATOM_FALSE;
  },
  'register/2': (p, [name, pid]) => {
    if (!isAtom(name!) || name === ATOM_UNDEFINED || !isLocalPid(pid!)) throw badarg();
    // One name per process, one process per name: both checked under the names' mutex.
    const refused = p.vm.register(name!, pid!);
    if (refused !== undefined) throw badarg(p.atoms.intern(refused));
    return ATOM_TRUE;
  },
  'unregister/1': (p, [name]) => {
    if (!isAtom(name!) || !p.vm.unregister(name!)) throw badarg();
    return ATOM_TRUE;
  },
  'whereis/1': (p, [name]) => {
    if (!isAtom(name!)) throw badarg();
    return p.vm.whereis(name!) || ATOM_UNDEFINED;
  },
  'put/2': (p, [k, v]) => {
    const i = dictIndex(p, k!);
    if (i < 0) {
      p.dictionary.push(k!, v!);
      return ATOM_UNDEFINED;
    }
    const old = p.dictionary[i + 1]!;
    p.dictionary[i + 1] = v!;
    return old;
  },
  'get/1': (p, [k]) => {
    const i = dictIndex(p, k!);
    return i < 0 ? ATOM_UNDEFINED : p.dictionary[i + 1]!;
  },
  'get/0': (p) => {
    const pairs: Term[] = [];
    for (let i = 0; i < p.dictionary.length; i += 2) pairs.push(mkTuple2(p, p.dictionary[i]!, p.dictionary[i + 1]!));
    return mkList(p, pairs);
  },
  'get_keys/0': (p) => {
    const keys: Term[] = [];
    for (let i = 0; i < p.dictionary.length; i += 2) keys.push(p.dictionary[i]!);
    return mkList(p, keys);
  },
  'get_keys/1': (p, [v]) => {
    const keys: Term[] = [];
    for (let i = 0; i < p.dictionary.length; i += 2) if (exactEqual(p, p.dictionary[i + 1]!, v!)) keys.push(p.dictionary[i]!);
    return mkList(p, keys);
  },
  'erase/1': (p, [k]) => {
    const i = dictIndex(p, k!);
    if (i < 0) return ATOM_UNDEFINED;
    const old = p.dictionary[i + 1]!;
    p.dictionary.splice(i, 2);
    return old;
  },
  'erase/0': (p) => {
    const pairs: Term[] = [];
    for (let i = 0; i < p.dictionary.length; i += 2) pairs.push(mkTuple2(p, p.dictionary[i]!, p.dictionary[i + 1]!));
    p.dictionary = [];
    return mkList(p, pairs);
  },
  'get_module_info/1': (p, [m]) => moduleInfo(p, m!),
  'get_module_info/2': (p, [m, i]) => moduleInfo(p, m!, i!),
  'module_loaded/1': (p, [m]) => {
    if (!isAtom(m!)) throw badarg();
    return p.vm.modules.get(m!) !== undefined ? ATOM_TRUE : ATOM_FALSE;
  },
  'function_exported/3': (p, [m, f, a]) => {
    if (!isAtom(m!) || !isAtom(f!) || !isSmall(a!)) throw badarg();
    const e = p.vm.exports.find(m!, f!, smallVal(a!));
    return e !== undefined && p.vm.exports.address(e) !== 0 && p.vm.modules.get(m!) !== undefined ? ATOM_TRUE : ATOM_FALSE;
  },
  'halt/0': () => {
    throw new Halt(0);
  },
  'halt/1': (p, [s]) => {
    throw new Halt(haltStatus(p, s));
  },
  'halt/2': (p, [s, opts]) => {
    if (listToArray(p, opts!) === undefined) throw badarg();
    throw new Halt(haltStatus(p, s));
  },
  'nif_error/1': (_p, [r]) => {
    throw erlError(r!);
  },
  'nif_error/2': (_p, [r, a]) => {
    throw new ErlangException(CLASS_ERROR, r!, undefined, a);
  },
  'yield/0': (p) => {
    p.yieldRequested = true;
    return ATOM_TRUE;
  },
  'spawn/3': (p, [m, f, a]) => {
    const args = listToArray(p, a!);
    if (!isAtom(m!) || !isAtom(f!) || args === undefined) throw badarg();
    return p.vm.spawn(m!, f!, args, p).pid;
  },
  'raise/3': (p, [cls, reason, trace]) => {
    // A bad class or stack trace is not raised: raise/3 returns badarg, as the real BIF does.
    if (cls !== CLASS_ERROR && cls !== CLASS_EXIT && cls !== CLASS_THROW) return commonAtom('badarg');
    if (listToArray(p, trace!) === undefined) return commonAtom('badarg');
    throw new ErlangException(cls!, reason!, undefined, undefined, trace);
  },
  // Bodies are interpreter stubs (vm/vm.ts SPECIAL_STUBS); never called as functions.
  'apply/2': () => {
    throw new Error('erlang:apply/2 is an interpreter stub');
  },
  'apply/3': () => {
    throw new Error('erlang:apply/3 is an interpreter stub');
  },
});

function demonitor(p: Process, ref: Term, flush: boolean, info = false): Term {
  let found = false;
  p.vm.dropAlias(p.vm.refId(ref), p.pid, (mode) => mode !== AliasMode.Explicit);
  found = dropMonitor(p, p.vm.refId(ref));
  if (flush) {
    // Drop the 'DOWN' messages for ref from the queue (p is its owner).
    const w = p.mem.i32;
    fetchInbox(w, p.pcb, p.vm.onSignal);
    let slot = p.pcb + Pcb.QueueHead;
    while (w[slot] !== 0) {
      const msg = w[w[slot]! + Msg.Term]!;
      if (isTuple(p, msg) && tupleArity(p, msg) === 5 && tupleElement(p, msg, 1) === ATOM_DOWN && exactEqual(p, tupleElement(p, msg, 2), ref)) {
        dropMessage(p.mem, unlinkAt(w, p.pcb, slot));
      } else slot = w[slot]! + Msg.Next;
    }
    w[p.pcb + Pcb.Save] = p.pcb + Pcb.QueueHead;
  }
  return info ? (found ? ATOM_TRUE : ATOM_FALSE) : ATOM_TRUE;
}


export { mkTuple3, iolistToBytes };

defineBifs('net_kernel', 'bif', {
  // Every I/O server on this (only) node speaks the unicode I/O protocol.
  'dflag_unicode_io/1': () => ATOM_TRUE,
});

// ---------------------------------------------------------------- links, exit signals, spawn variants, timers

const ATOM_EXIT = commonAtom('EXIT');

/** A spawn of M:F(Args) or of a fun (erlang:apply(Fun, [])), with the link/monitor options applied. */
function spawnWith(p: Process, m: Term, f: Term, args: Term[], link: boolean, monitor: boolean, opts?: SpawnOptions): Term {
  const child = p.vm.spawn(m, f, args, p, opts?.heapWords);
  opts?.apply(child);
  if (link) p.vm.link(p, child);
  if (!monitor) return child.pid;
  const ref = p.vm.makeRef(p);
  addMonitor(p, child, p.vm.refId(ref), 0);
  return mkTuple2(p, child.pid, ref);
}

function mfa(p: Process, m: Term, f: Term, a: Term): [Term, Term, Term[]] {
  const args = listToArray(p, a);
  if (!isAtom(m) || !isAtom(f) || args === undefined) throw badarg();
  return [m, f, args];
}

function funSpawn(p: Process, fun: Term): [Term, Term, Term[]] {
  if (!isFunTerm(p, fun)) throw badarg();
  return [p.atoms.intern('erlang'), p.atoms.intern('apply'), [fun, NIL]];
}

/**
 * The delay in milliseconds of send_after/start_timer: Time is relative (a
 * non-negative integer) or, with [{abs, true}], an erlang:monotonic_time(millisecond)
 * value; a bad option or time raises badarg as the real BIF does.
 */
function timerDelay(p: Process, t: Term, opts?: Term): number {
  let abs = false;
  if (opts !== undefined) {
    const list = listToArray(p, opts);
    if (list === undefined) throw badarg(p.atoms.intern('badopt'));
    for (const o of list) {
      if (!isTuple(p, o) || tupleArity(p, o) !== 2 || tupleElement(p, o, 1) !== p.atoms.intern('abs')) throw badarg(p.atoms.intern('badopt'));
      const v = tupleElement(p, o, 2);
      if (v !== ATOM_TRUE && v !== ATOM_FALSE) throw badarg(p.atoms.intern('badopt'));
      abs = v === ATOM_TRUE;
    }
  }
  const v = intValue(p, t);
  if (v === undefined) throw badarg(p.atoms.intern('time'));
  const n = Number(v);
  if (abs) return Math.max(0, n - monotonicMs());
  if (n < 0 || n > 2 ** 52) throw badarg(p.atoms.intern('time'));
  return n;
}

function timerDest(_p: Process, d: Term): Term {
  if (!isLocalPid(d) && !isAtom(d)) throw badarg();
  return d;
}

defineBifs('erlang', 'bif', {
  'link/1': (p, [pid]) => {
    if (!isLocalPid(pid!)) throw badarg();
    if (p.vm.pcbOf(pid!) === 0) {
      // The real VM: a process trapping exits gets {'EXIT', Pid, noproc}; one that does not gets a noproc error.
      if (!p.trapExit) throw erlError(ATOM_NOPROC);
      p.vm.deliver(p, mkTuple3(p, ATOM_EXIT, pid!, ATOM_NOPROC));
      return ATOM_TRUE;
    }
    // This side now, the other by a Link signal (a dead end answers it with an exit signal noproc).
    if (pid !== p.pid && !p.links.has(pidData(pid!))) {
      p.links.add(pidData(pid!));
      p.vm.signal(pid!, SigKind.Link, p.pid, 0);
    }
    return ATOM_TRUE;
  },
  'unlink/1': (p, [pid]) => {
    if (!isLocalPid(pid!)) throw badarg();
    if (p.links.delete(pidData(pid!))) p.vm.signal(pid!, SigKind.Unlink, p.pid, 0);
    return ATOM_TRUE;
  },
  'exit/2': (p, [pid, reason]) => {
    if (!isLocalPid(pid!)) throw badarg();
    p.vm.exitSignal(p, pid!, reason!);
    return ATOM_TRUE;
  },
  'spawn/1': (p, [fun]) => spawnWith(p, ...funSpawn(p, fun!), false, false),
  'spawn_link/1': (p, [fun]) => spawnWith(p, ...funSpawn(p, fun!), true, false),
  'spawn_link/3': (p, [m, f, a]) => spawnWith(p, ...mfa(p, m!, f!, a!), true, false),
  'spawn_monitor/1': (p, [fun]) => spawnWith(p, ...funSpawn(p, fun!), false, true),
  'spawn_monitor/3': (p, [m, f, a]) => spawnWith(p, ...mfa(p, m!, f!, a!), false, true),
  'spawn_opt/2': (p, [fun, opts]) => {
    const [m, f, args] = funSpawn(p, fun!);
    const o = parseSpawnOptions(p, opts!);
    return spawnWith(p, m, f, args, o.link, o.monitor, o);
  },
  'spawn_opt/4': (p, [m, f, a, opts]) => {
    const [mm, ff, args] = mfa(p, m!, f!, a!);
    const o = parseSpawnOptions(p, opts!);
    return spawnWith(p, mm, ff, args, o.link, o.monitor, o);
  },
  'send_after/3': (p, [t, d, msg]) => p.vm.startTimer(p, timerDelay(p, t!), timerDest(p, d!), msg!, false),
  'send_after/4': (p, [t, d, msg, o]) => p.vm.startTimer(p, timerDelay(p, t!, o!), timerDest(p, d!), msg!, false),
  'start_timer/3': (p, [t, d, msg]) => p.vm.startTimer(p, timerDelay(p, t!), timerDest(p, d!), msg!, true),
  'start_timer/4': (p, [t, d, msg, o]) => p.vm.startTimer(p, timerDelay(p, t!, o!), timerDest(p, d!), msg!, true),
  'cancel_timer/1': (p, [ref]) => timerResult(p, ref!, true),
  'cancel_timer/2': (p, [ref, opts]) => timerResult(p, ref!, true, opts),
  'read_timer/1': (p, [ref]) => timerResult(p, ref!, false),
  'read_timer/2': (p, [ref, opts]) => timerResult(p, ref!, false, opts),
  'registered/0': (p) => mkList(p, p.vm.names.entries().map((e) => e[0]!)),
  'processes/0': (p) => {
    const w = p.mem.i32;
    return mkList(p, p.vm.procTable.all().map((pcb) => w[pcb + Pcb.Pid]!));
  },
});

/** cancel_timer / read_timer: milliseconds left or false; with [{async, true}] the answer comes as a message. */
function timerResult(p: Process, ref: Term, cancel: boolean, opts?: Term): Term {
  if (p.vm.refId(ref) < 0) throw badarg();
  let async = false;
  let info = true;
  if (opts !== undefined) {
    const list = listToArray(p, opts);
    if (list === undefined) throw badarg();
    for (const o of list) {
      if (!isTuple(p, o) || tupleArity(p, o) !== 2) throw badarg();
      const k = tupleElement(p, o, 1);
      const v = tupleElement(p, o, 2);
      if (k === p.atoms.intern('async')) async = v === ATOM_TRUE;
      else if (k === p.atoms.intern('info')) info = v === ATOM_TRUE;
      else throw badarg();
    }
  }
  const left = p.vm.timerLeft(ref, cancel);
  const result = left === undefined ? ATOM_FALSE : mkIntTerm(p, left);
  if (!async) return info ? result : ATOM_OK;
  if (info) p.vm.deliver(p, mkTuple3(p, p.atoms.intern(cancel ? 'cancel_timer' : 'read_timer'), ref, result));
  return ATOM_OK;
}

/** process_info's monitors item: Pid | {Name, Node} (built on p) for each monitor `t` holds. */
export function monitorsHeldBy(p: Process, t: Process): Term[] {
  return [...(t.monitoring?.values() ?? [])].map((m) => monitoredItem(p, m));
}

/** process_info's monitored_by item: the pids monitoring `t`. */
export function monitoredBy(t: Process): Term[] {
  return [...(t.monitoredBy?.values() ?? [])].map((m) => m.watcher);
}
