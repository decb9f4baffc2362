/**
 * erlang:process_info/1,2: what a process looks like from outside. The
 * items whose values the real VM defines exactly (status, queue, links,
 * dictionary, names, flags, calls) are exact; sizes and reductions are
 * this VM's own (words of its 32-bit terms; reductions as the interpreter
 * counts them, which is close to but not exactly the real VM's count).
 */
import { Msg, Pcb, SigKind } from '../scheduler/layout.js';
import { queueLength, queuedBlocks } from '../vm/mailbox.js';
import { ATOM_FALSE, ATOM_TRUE, ATOM_UNDEFINED, commonAtom } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { NIL, isAtom, isLocalPid, makeSmall, pidOfData, type Term } from '../vm/term/tags.js';
import { listToArray, mkList, mkTuple, mkTuple2, mkTuple3, mkInt } from '../vm/term/make.js';
import { copyTerm } from '../gc/copy.js';
import { ProcessStatus, type Process } from '../vm/process.js';
import { functionAt } from '../vm/code/code_table.js';
import { currentStacktrace } from '../vm/interp_cold.js';
import { BIF_RETRY, defineBifs, lookupBif } from './registry.js';
import { sizeOfTerm } from '../gc/copy.js';
import { flagItem } from './process_flags.js';
import { gcInfo, totalHeapWords, youngHeapWords } from '../gc/policy.js';
/** {Id, Size, RefCount} of each off-heap binary the process references (young and old ProcBins). */
function binaryItems(t: Process): [number, number, number][] {
  const w = t.mem.i32;
  const out: [number, number, number][] = [];
  for (const head of [t.offHeap, t.oldOffHeap]) {
    for (let pb = head; pb !== 0; pb = w[pb + 3]!) {
      const block = w[pb + 2]!;
      // The size word of a writable buffer is 0: its used bytes are in the flags word (PB_FLAGS = 4).
      const size = w[pb + 1]! !== 0 ? w[pb + 1]! : (w[pb + 4]! >>> 1) >>> 3;
      out.push([block * 4, size, Atomics.load(w, block)]);
    }
  }
  return out;
}
import { monitorsHeldBy, monitoredBy } from './erlang_process.js';

const DEFAULT_ITEMS = [
  'current_function', 'initial_call', 'status', 'message_queue_len', 'links', 'dictionary', 'trap_exit',
  'error_handler', 'priority', 'group_leader', 'total_heap_size', 'heap_size', 'stack_size', 'reductions',
  'garbage_collection', 'suspending',
];

function mfaAt(p: Process, addr: number): Term {
  const mod = p.vm.modules.byAddress(addr);
  const fn = mod === undefined ? undefined : functionAt(mod, addr);
  if (mod === undefined || fn === undefined) return ATOM_UNDEFINED;
  return mkTuple3(p, mod.name, fn.name, makeSmall(fn.arity));
}

/**
 * The value of one item about `t`, built on `p`: the caller, or `t` itself
 * when it answers a caller of another thread (answerInfoRequest); undefined
 * for an unknown item. Reads t's JS state: t is this thread's.
 */
function item(p: Process, t: Process, name: string): Term | undefined {
  const a = (s: string): Term => p.atoms.intern(s);
  switch (name) {
    case 'status': {
      const running = t === p.vm.current;
      if (t.suspended > 0 && !running) return a('suspended');
      if (running) return a('running');
      if (t.status === ProcessStatus.Exiting) return a('exiting');
      // Woken only by signals (this request among them) in a receive with nothing new: it waits on.
      const w = t.mem.i32;
      const waiting = t.status === ProcessStatus.Waiting || (t.inReceive && !t.timedOut && w[w[t.pcb + Pcb.Save]!] === 0);
      return a(waiting ? 'waiting' : 'runnable');
    }
    case 'message_queue_len':
      return makeSmall(queueLength(t.mem.i32, t.pcb, p.vm.onSignal));
    case 'messages': {
      // Copied out of the message blocks: the blocks go when the messages are received.
      const w = t.mem.i32;
      return mkList(p, queuedBlocks(w, t.pcb, p.vm.onSignal).map((b) => copyTerm(t, t.mem.i32[b + Msg.Term]!, p)));
    }
    case 'links':
      return mkList(p, [...t.links].map(pidOfData).filter((pid) => p.vm.pcbOf(pid) !== 0));
    case 'dictionary': {
      const pairs: Term[] = [];
      for (let i = 0; i < t.dictionary.length; i += 2) {
        const k = t === p ? t.dictionary[i]! : copyTerm(t, t.dictionary[i]!, p);
        const v = t === p ? t.dictionary[i + 1]! : copyTerm(t, t.dictionary[i + 1]!, p);
        pairs.push(mkTuple2(p, k, v));
      }
      return mkList(p, pairs);
    }
    case 'trap_exit':
      return t.trapExit ? ATOM_TRUE : ATOM_FALSE;
    case 'registered_name':
      return p.vm.nameOf(t) || NIL;
    case 'group_leader':
      return t.groupLeader;
    case 'initial_call':
      return mkTuple3(p, t.initialCall[0], t.initialCall[1], makeSmall(t.initialCall[2]));
    case 'current_function':
      if (t.hibernated) return mkTuple3(p, a('erlang'), a('hibernate'), makeSmall(3));
      return mfaAt(p, t.pc);
    case 'current_stacktrace':
      if (t.hibernated) return mkList(p, [mkTuple(p, [a('erlang'), a('hibernate'), makeSmall(3), NIL])]);
      return currentStacktrace(p.vm, p, t);
    case 'reductions':
      // Past 2^27 within seconds of running: not always a small.
      return mkInt(p, t.reductions);
    case 'heap_size':
      return mkInt(p, youngHeapWords(t));
    case 'total_heap_size':
      return mkInt(p, totalHeapWords(t));
    case 'stack_size':
      return mkInt(p, t.blockEnd - t.stackTop);
    case 'memory':
      // Bytes of shared memory the process holds: its heaps (young, old, fragments, received
      // messages) and its control block, each block with its allocator size word. The JS object
      // that caches the rest of its state on the thread running it is not counted
      // (docs/architecture.md, Processes).
      return mkInt(p, (totalHeapWords(t) + (t.oldHeap !== 0 ? 1 : 0) + 1 + t.mem.blockWords(t.pcb) + 1) * 4);
    case 'garbage_collection':
      return gcInfo(p, t);
    case 'binary':
      return mkList(p, binaryItems(t).map(([id, size, refs]) => mkTuple3(p, mkInt(p, id), mkInt(p, size), mkInt(p, refs))));
    case 'suspending':
      return NIL;
    case 'monitors':
      return mkList(p, monitorsHeldBy(p, t).map((target) => mkTuple2(p, a('process'), target)));
    case 'monitored_by':
      return mkList(p, monitoredBy(t));
    default:
      return flagItem(p, t, name);
  }
}

/**
 * The process asked about, alive, once it has handled the signals that
 * reached it (the real VM answers after the caller's earlier signals);
 * `remote` when it is alive on another scheduler thread.
 */
function target(p: Process, pid: Term): Process | undefined | 'remote' {
  if (!isLocalPid(pid)) throw badarg();
  const t = p.vm.processOf(pid);
  if (t === undefined) return p.vm.pcbOf(pid) !== 0 ? 'remote' : undefined;
  if (t !== p) p.vm.handleSignalsOf(t);
  return t.status === ProcessStatus.Exited ? undefined : t;
}

/** process_info/1 (`what` undefined) or /2 about t, built on p; badarg for a bad item. */
function info(p: Process, t: Process, what: Term | undefined): Term {
  if (what === undefined) {
    const items = [...DEFAULT_ITEMS];
    if (p.vm.nameOf(t) !== 0) items.unshift('registered_name');
    return mkList(p, items.map((n) => mkTuple2(p, p.atoms.intern(n), item(p, t, n)!)));
  }
  if (isAtom(what)) {
    const name = p.atoms.name(what);
    const v = item(p, t, name);
    if (v === undefined) throw badarg();
    // registered_name of an unregistered process is [] rather than a tuple.
    if (name === 'registered_name' && v === NIL) return NIL;
    return mkTuple2(p, what, v);
  }
  const list = listToArray(p, what)!;
  return mkList(
    p,
    list.map((it) => {
      if (!isAtom(it)) throw badarg();
      const v = item(p, t, p.atoms.name(it));
      if (v === undefined) throw badarg();
      return mkTuple2(p, it, v);
    }),
  );
}

/**
 * process_info of a process another scheduler thread owns: its state is
 * that thread's, so the caller sends it a request signal and waits (the
 * BIF parks the process and throws BIF_RETRY; the call runs again when the
 * answer has woken it). The answer is a term in the reply block, adopted
 * by the caller (vm/vm.ts handleSignal), so nothing is copied twice.
 */
function remoteInfo(p: Process, pid: Term, what: Term | undefined): Term {
  const vm = p.vm;
  if (p.reply !== 0) {
    const r = p.reply;
    p.reply = 0;
    if (r === commonAtom('badarg')) throw badarg();
    return r;
  }
  if (p.awaitingReply === 0) {
    const id = vm.newRefId();
    p.awaitingReply = id;
    const words = what === undefined ? 0 : sizeOfTerm(vm, what);
    vm.signal(pid, SigKind.InfoRequest, p.pid, id, words, what === undefined ? undefined : (b) => copyTerm(vm, what, b));
  }
  // Asked, not yet answered (a message may have woken it): wait on.
  vm.parking.add(p);
  throw BIF_RETRY;
}

/** The request of remoteInfo reached `t`, on the thread that owns it: the answer goes back as a signal. */
export function answerInfoRequest(t: Process, from: Term, id: number, what: Term): void {
  let r: Term;
  try {
    r = info(t, t, what === 0 ? undefined : what);
  } catch {
    r = commonAtom('badarg');
  }
  t.vm.signal(from, SigKind.InfoReply, t.pid, id, sizeOfTerm(t.vm, r), (b) => copyTerm(t.vm, r, b));
}

defineBifs('erlang', 'bif', {
  'process_info/1': (p, [pid]) => {
    const t = target(p, pid!);
    if (t === 'remote') return remoteInfo(p, pid!, undefined);
    return t === undefined ? ATOM_UNDEFINED : info(p, t, undefined);
  },
  'process_info/2': (p, [pid, what]) => {
    if (!isAtom(what!) && listToArray(p, what!) === undefined) throw badarg();
    const t = target(p, pid!);
    if (t === 'remote') return remoteInfo(p, pid!, what!);
    return t === undefined ? ATOM_UNDEFINED : info(p, t, what!);
  },
});
for (const arity of [1, 2]) lookupBif('erlang', 'process_info', arity)!.mayRetry = true;

void commonAtom;
void mkInt;
