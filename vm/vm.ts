/**
 * The virtual machine: memory, atoms, code tables, processes and (for now)
 * one inline scheduler on the calling thread, in the architecture brief's
 * direct start-up mode: no boot script; modules load from the code path on
 * first call; the group leader is an I/O server written in Erlang
 * (vm/runtime/beamjs_io.erl) over two native functions for standard I/O.
 *
 * One scheduler, on the calling thread (issue 6 brings worker threads).
 * The run queue, each process's control words and message queues, the
 * process table, registered names, aliases and erlang timers are in shared
 * memory (vm/registry.ts); one process acts on another only through those
 * or by a signal in its inbox (the "signals" section below). The Process
 * objects are still JS objects of this thread (docs/architecture.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../bifs/index.js';
import { downArrived, dropMonitor, monitorArrived, notifyMonitors } from '../bifs/erlang_process.js';
import { answerInfoRequest } from '../bifs/process_info.js';
import { gcRequestArrived } from '../bifs/erlang_gc.js';
import { releaseSuspensions } from '../bifs/process_flags.js';
import { schedulerStatsExit } from '../bifs/scheduler_stats.js';
import { etsOwnerExited } from '../bifs/ets.js';
import { BIF_TABLE, lookupBif, sealBifRegistry, type BifEntry } from '../bifs/registry.js';
import { GcKind } from '../gc/collect.js';
import { GcState, collectProcess } from '../gc/policy.js';
import { copyTerm, sizeOfTerm } from '../gc/copy.js';
import { Msg, Pcb, Sig, SigKind, Slot } from '../scheduler/layout.js';
import type { RunQueue } from '../scheduler/run_queue.js';
import { Schedulers } from '../scheduler/schedulers.js';
import { runOneSlice, SliceResult } from '../scheduler/loop.js';
import { TimerHeap } from '../scheduler/timers.js';
import { dropMessage, fetchInbox, freeQueue, inboxEmpty, MessageBuilder, pushInbox, queueLength, type SignalHandler } from './mailbox.js';
import { functionAt, BinSpecCache, CatchTable, ExportTable, ModuleTable, type LoadedModule } from './code/code_table.js';
import { attachModule, loadModule } from './code/load.js';
import { OP_APPLY2_STUB, OP_APPLY_STUB, OP_BIF_STUB_ERROR, OP_CALL_BIF_RETURN, OP_PROCESS_EXIT } from './code/ops.js';
import { RunResult, newRegisters, run, type Registers } from './interp.js';
import { Memory, type MemoryOptions } from './memory.js';
import { Process, ProcessStatus } from './process.js';
import { AtomTable, commonAtom } from './term/atoms.js';
import { displayText } from './term/display.js';
import { makeSmall, NIL, isAtom, isLocalPid, makeBoxed, makeHeader, makeLocalPid, pidData, pidOfData, type Term } from './term/tags.js';
import { mkInt, mkList, mkString, mkTuple, mkTuple3, tupleElement, type Builder } from './term/make.js';
import { mapFromArrays } from './term/maps.js';
import { systemTimeMicro } from '../bifs/erlang_system.js';
import { Halt } from './halt.js';
import { CLASS_ERROR } from './errors.js';
import { Jit, type JitState } from './jit.js';
import { restoreState, saveState } from './process_state.js';
import { ProcessTable, SharedMap } from './registry.js';
export { Halt };

export interface VMOptions {
  /** Directories searched for .beam files, in order, before the OTP and Elixir libraries. */
  codePath?: string[];
  /** Add the installed OTP's lib/*\/ebin and Elixir's (default true). */
  otpLibraries?: boolean;
  memory?: MemoryOptions;
  /** Reductions per time slice. */
  slice?: number;
  /** Collect garbage at every allocation point, to flush out GC bugs (default: BEAMJS_GC_STRESS=1 in the environment). */
  gcStress?: boolean;
  /**
   * Save every process's state into shared memory and restore it at each
   * scheduling point, as a move to another scheduler does, to flush out state
   * the move would lose (default: BEAMJS_MIGRATE_STRESS=1 in the environment).
   */
  migrateStress?: boolean;
  /** The JIT tier: false turns it off (also BEAMJS_JIT=0); `threshold` local calls before a function is compiled. */
  jit?: false | { threshold?: number };
  /** Where standard output goes (default: synchronous writes to fd 1). */
  stdout?: (bytes: Uint8Array) => void;
  /** A line of standard input, or undefined at end of input (default: synchronous reads of fd 0). */
  stdin?: () => Uint8Array | undefined;
  /** Where standard error goes (default: synchronous writes to fd 2). */
  stderr?: (bytes: Uint8Array) => void;
  /** The Erlang/OTP root directory code:root_dir/0 reports (default: ERL_ROOT, else the erl on PATH). */
  erlRoot?: string;
  /**
   * The shared memory of a VM created before (in this thread or another):
   * this VM attaches to it instead of formatting a new one, and shares its
   * atoms, loaded code, export table and BIF stubs (`memory` is ignored).
   */
  attach?: SharedArrayBuffer;
  /** Scheduler records to lay out in a new memory (default 1: this thread's inline scheduler). */
  schedulers?: number;
  /** The scheduler this context runs (default 0). */
  schedulerIndex?: number;
}

/**
 * Diagnostic traces to stderr (BEAMJS_TRACE_MESSAGES, _SLICES, _EXITS), read
 * once: process.env is slow, and sends and slices are frequent.
 */
const TRACE = {
  messages: !!process.env.BEAMJS_TRACE_MESSAGES,
  slices: !!process.env.BEAMJS_TRACE_SLICES,
  exits: !!process.env.BEAMJS_TRACE_EXITS,
};

/** Words of each BIF's stub in the stub block. */
const BIF_STUB_WORDS = 2;

/** Words of the VM's own stub code: one per special native plus the process exit stub. */
const SPECIAL_STUBS: Record<string, number> = {
  'erlang:apply/3': OP_APPLY_STUB,
  'erlang:apply/2': OP_APPLY2_STUB,
  'erlang:error/1': OP_BIF_STUB_ERROR,
  'erlang:error/2': OP_BIF_STUB_ERROR,
  'erlang:error/3': OP_BIF_STUB_ERROR,
  'erlang:exit/1': OP_BIF_STUB_ERROR,
  'erlang:throw/1': OP_BIF_STUB_ERROR,
  'erlang:raise/3': OP_BIF_STUB_ERROR,
};

/** Alias modes, as the alias table holds them. */
export const enum AliasMode {
  Explicit = 1,
  Demonitor = 2,
  ReplyDemonitor = 3,
  Reply = 4,
}

/** Values of a timer-table entry: message block, destination, start_timer flag, deadline high and low words. */
const TIMER_VALUES = 5;

export class VM {
  readonly mem: Memory;
  readonly atoms: AtomTable;
  readonly exports: ExportTable;
  /** This thread's view of the shared module registry. */
  readonly modules: ModuleTable;
  readonly catches: CatchTable;
  /** bs_create_bin segment lists (shared blocks, vm/code/transform.ts) decoded by this thread. */
  readonly binSpecs: BinSpecCache;
  readonly codePath: string[];
  /** The JS objects of the processes this thread owns, by pid number (a cache: the process table is shared). */
  readonly processes = new Map<number, Process>();
  /** Every live process: pid number -> control block, in shared memory. */
  readonly procTable: ProcessTable;
  /** Registered names (atom -> pid), in shared memory; each process's name is also its Pcb.Name word. */
  readonly names: SharedMap;
  /** The schedulers' shared state (scheduler/schedulers.ts) and the one this context runs. */
  readonly schedulers: Schedulers;
  readonly schedulerIndex: number;
  /** This scheduler's run queue (shared memory: other threads wake processes into it). */
  readonly runQueue: RunQueue;
  /** Receive timeouts and erlang timers, earliest first. */
  private readonly timerHeap = new TimerHeap();
  private readonly regs: Registers = newRegisters();
  /** Modules this context found on no directory of its code path. */
  private readonly missing = new Set<Term>();
  /** Address of the stub every process returns to at the end of its initial call. */
  readonly exitStub: number;
  /** Stub code per special native (apply, error...), by BIF index. */
  private readonly specialStubs = new Map<number, number[]>();
  readonly slice: number;
  /** Messages receive has looked at (loop_rec), for tests of the receive-marker optimisation. */
  receiveScans = 0;
  readonly gcStress: boolean;
  readonly migrateStress: boolean;
  /** Garbage collection: system-wide defaults, statistics, the long_gc monitor (gc/policy.ts). */
  readonly gc: GcState;
  /** The JIT tier (vm/jit.ts) and the state it hands over with the interpreter. */
  readonly jit: Jit;
  readonly jitState: JitState = { pc: 0, cp: 0, reds: 0, live: 0, ipc: 0 };
  readonly stdout: (bytes: Uint8Array) => void;
  readonly stdin: () => Uint8Array | undefined;
  readonly stderr: (bytes: Uint8Array) => void;
  ioServer: Process | undefined;
  /** The installed Erlang/OTP's root directory. */
  readonly erlRoot: string;

  constructor(options: VMOptions = {}) {
    sealBifRegistry();
    const attach = options.attach;
    this.mem = attach === undefined ? Memory.create(options.memory) : Memory.attach(attach);
    if (attach === undefined) {
      this.atoms = AtomTable.format(this.mem);
      this.exports = ExportTable.format(this.mem);
      ModuleTable.format(this.mem);
      CatchTable.format(this.mem);
      Jit.format(this.mem);
    } else {
      this.atoms = new AtomTable(this.mem);
      this.exports = new ExportTable(this.mem);
    }
    this.modules = new ModuleTable(this.mem, (version) => attachModule(this, version));
    this.catches = new CatchTable(this.mem);
    this.binSpecs = new BinSpecCache(this.mem);
    this.gc = new GcState(this.mem, attach !== undefined);
    this.schedulers = attach === undefined ? Schedulers.format(this.mem, options.schedulers ?? 1) : Schedulers.attach(this.mem);
    this.schedulerIndex = options.schedulerIndex ?? 0;
    this.runQueue = this.schedulers.queues[this.schedulerIndex]!;
    this.procTable = new ProcessTable(this.mem);
    this.names = new SharedMap(this.mem, Slot.Names, Slot.NamesLock, 1);
    this.aliasTable = new SharedMap(this.mem, Slot.Aliases, Slot.AliasesLock, 2);
    this.timerTable = new SharedMap(this.mem, Slot.Timers, Slot.TimersLock, TIMER_VALUES);
    this.messageBuilder = new MessageBuilder(this.mem, this.atoms);
    this.slice = options.slice ?? 4000;
    this.gcStress = options.gcStress ?? process.env.BEAMJS_GC_STRESS === '1';
    this.migrateStress = options.migrateStress ?? process.env.BEAMJS_MIGRATE_STRESS === '1';
    this.jit = new Jit(this, options.jit === false ? { enabled: false } : { threshold: options.jit?.threshold });
    this.stdout = options.stdout ?? defaultStdout;
    this.stdin = options.stdin ?? defaultStdin;
    this.stderr = options.stderr ?? defaultStderr;
    this.codePath = [...(options.codePath ?? []), runtimeDir()];
    if (attach === undefined) this.systemLogger = this.atoms.intern('logger');
    this.erlRoot = options.erlRoot ?? erlRoot();
    if (options.otpLibraries !== false) this.codePath.push(...libraryDirs());

    for (const bif of BIF_TABLE) {
      const special = SPECIAL_STUBS[bif.key];
      if (special !== undefined && !bif.hostOnly) this.specialStubs.set(bif.index, [special, special === OP_APPLY_STUB ? 3 : bif.index]);
    }
    if (attach === undefined) this.formatStubs();
    this.exitStub = this.mem.i32[Slot.BifStubs]!;
    // An attached context calls BIFs by the index the formatting thread gave them: the registries must agree.
    const count = this.mem.i32[Slot.BifStubCount]!;
    for (const bif of BIF_TABLE) {
      if (!bif.hostOnly && bif.index >= count) throw new Error(`BIF ${bif.key} has no stub in the attached memory (index ${bif.index})`);
    }
  }

  /** Writes the stubs of a fresh memory: the process exit point and one body per BIF, published in the export table. */
  private formatStubs(): void {
    const stubs = this.mem.alloc(2 + BIF_TABLE.length * BIF_STUB_WORDS);
    this.mem.refresh();
    const w = this.mem.i32;
    w[Slot.BifStubs] = stubs;
    w[Slot.BifStubCount] = BIF_TABLE.length;
    w[stubs] = OP_PROCESS_EXIT;
    w[stubs + 1] = 0;
    for (const bif of BIF_TABLE) {
      if (bif.hostOnly) continue; // another VM's host native (vm/api.ts)
      const at = stubs + 2 + bif.index * BIF_STUB_WORDS;
      const words = this.stubFor(bif.index);
      w[at] = words[0]!;
      w[at + 1] = words[1]!;
      const e = this.exports.entry(this.atoms.intern(bif.module), this.atoms.intern(bif.name), bif.arity);
      this.exports.setAddress(e, at);
    }
  }

  /** A builder for terms that outlive no process (arguments copied into a new process at spawn). */
  scratchBuilder(): { mem: Memory; atoms: AtomTable; alloc(words: number): number } {
    return { mem: this.mem, atoms: this.atoms, alloc: (words: number) => this.mem.alloc(words) };
  }

  /** The stub words the loader writes for a native that replaces a module's function. */
  stubFor(bifIndex: number): number[] {
    return this.specialStubs.get(bifIndex) ?? [OP_CALL_BIF_RETURN, bifIndex];
  }

  bif(module: string, name: string, arity: number): BifEntry {
    const e = lookupBif(module, name, arity);
    if (e === undefined) throw new Error(`BIF ${module}:${name}/${arity} is not registered`);
    return e;
  }

  // ---------------------------------------------------------------- code

  /** Loads a module (the current version, loaded by any context, becomes old). */
  load(bytes: Uint8Array): LoadedModule {
    this.mem.lock(Slot.CodeLock);
    try {
      const m = loadModule(this, bytes);
      this.missing.delete(m.name);
      return m;
    } finally {
      this.mem.unlock(Slot.CodeLock);
    }
  }

  /**
   * Makes `module` loaded: by any context already, else from `module`.beam
   * on the code path; false if there is none. Two contexts asking at once
   * load it once (the second finds it in the registry under the lock).
   */
  autoload(module: Term): boolean {
    if (this.modules.get(module) !== undefined) return true;
    if (this.missing.has(module)) return false;
    const name = this.atoms.name(module);
    for (const dir of this.codePath) {
      const file = join(dir, `${name}.beam`);
      if (existsSync(file)) {
        const bytes = readFileSync(file);
        this.mem.lock(Slot.CodeLock);
        try {
          if (this.modules.get(module) === undefined) loadModule(this, bytes);
        } finally {
          this.mem.unlock(Slot.CodeLock);
        }
        return true;
      }
    }
    this.missing.add(module);
    return false;
  }

  /**
   * erlang:delete_module/1: the current code becomes old and the module's
   * exports stop pointing at it (a later call loads it again, as the
   * error_handler would). False when it still has old code (badarg),
   * undefined when it is not loaded.
   */
  deleteModule(module: Term): boolean | undefined {
    this.mem.lock(Slot.CodeLock);
    try {
      if (this.modules.old(module) !== undefined) return false;
      const m = this.modules.get(module);
      if (m === undefined) return undefined;
      for (const e of this.exports.entriesOf(module)) {
        const at = this.exports.address(e);
        if (at >= m.code && at < m.codeEnd) this.exports.setAddress(e, 0); // not the BIF stubs of module erlang
      }
      this.modules.retire(module);
      return true;
    } finally {
      this.mem.unlock(Slot.CodeLock);
    }
  }

  // ---------------------------------------------------------------- processes

  /** A new process that will call M:F(Args...). */
  spawn(module: Term, fun: Term, args: Term[], parent?: Process, heapWords = this.gc.minHeapSize): Process {
    // A shared counter: pids stay unique when other threads spawn too.
    const number = Atomics.add(this.mem.i32, Slot.PidCounter, 1) + 1;
    const pid = makeLocalPid(number & 0x7fff, (number >>> 15) & 0x1fff);
    const p = new Process(this.mem, this.atoms, pid, heapWords);
    p.vm = this;
    this.gc.applyDefaults(p);
    p.groupLeader = parent?.groupLeader ?? this.ioServer?.pid ?? pid;
    p.initialCall = [module, fun, args.length];
    const copied = args.map((a) => copyTerm(this, a, p));
    p.savedX = Int32Array.from(copied);
    p.cp = this.exitStub;
    const e = this.exports.entry(module, fun, args.length);
    let addr = this.exports.address(e);
    if (addr === 0) {
      this.autoload(module);
      addr = this.exports.address(e);
    }
    if (addr === 0) {
      // Not defined: start in erlang:apply(M, F, Args), which raises undef as the real VM does.
      p.savedX = Int32Array.from([module, fun, mkList(p, copied)]);
      addr = this.exports.address(this.exports.entry(this.atoms.intern('erlang'), this.atoms.intern('apply'), 3));
    }
    p.pc = addr;
    this.processes.set(pidData(pid), p);
    this.procTable.set(number, p.pcb);
    this.schedulers.adopt(p.pcb, this.schedulerIndex);
    this.runQueue.enqueue(p.pcb);
    return p;
  }

  processOf(pid: Term): Process | undefined {
    if (!isLocalPid(pid)) return undefined;
    const p = this.processes.get(pidData(pid));
    return p !== undefined && p.pid === pid ? p : undefined;
  }

  /** The control block of a live local process, or 0 (through the shared process table: any thread's processes). */
  pcbOf(pid: Term): number {
    if (!isLocalPid(pid)) return 0;
    const pcb = this.procTable.pcb(pidData(pid));
    return pcb !== 0 && Atomics.load(this.mem.i32, pcb + Pcb.Pid) === pid ? pcb : 0;
  }

  // ---------------------------------------------------------------- registered names

  /** The pid registered as `name`, or 0. */
  whereis(name: Term): Term {
    return this.names.get(name);
  }

  /** The process of this thread registered as `name`. */
  registeredProcess(name: Term): Process | undefined {
    const pid = this.whereis(name);
    return pid === 0 ? undefined : this.processOf(pid);
  }

  /**
   * Registers the live process `pid` as `name`: undefined when done, else
   * why not, as register/2's error_info cause names it (`notalive`, `none`
   * for a name taken, `registered_name` for a process that has one).
   */
  register(name: Term, pid: Term): 'notalive' | 'none' | 'registered_name' | undefined {
    const pcb = this.pcbOf(pid);
    if (pcb === 0) return 'notalive';
    let named = false;
    const done = this.names.insert(name, [pid], () => {
      const w = this.mem.i32;
      named = w[pcb + Pcb.Name] !== 0;
      if (named) return false;
      w[pcb + Pcb.Name] = name;
      return true;
    });
    return done ? undefined : named ? 'registered_name' : 'none';
  }

  /** Removes `name` (and, from its process, the name word); false when nobody had it. */
  unregister(name: Term): boolean {
    return this.names.take(name, undefined, (w, at) => {
      const pcb = this.pcbOf(w[at]!);
      if (pcb !== 0) w[pcb + Pcb.Name] = 0;
      return true;
    });
  }

  /** p's registered name, or 0. */
  nameOf(p: Process): Term {
    return p.pcb === 0 ? 0 : this.mem.i32[p.pcb + Pcb.Name]!;
  }

  // ---------------------------------------------------------------- aliases

  /**
   * Process aliases (OTP 24+): reference id -> the owner's pid and how the
   * alias ends (AliasMode), in shared memory.
   */
  readonly aliasTable: SharedMap;
  private readonly aliasOut = new Int32Array(2);

  setAlias(refId: number, owner: Process, mode: AliasMode): void {
    owner.madeAliases = true;
    this.aliasTable.insert(refId, [owner.pid, mode]);
  }

  /** Removes the aliases a process that has ended still holds (messages to them were dropped anyway). */
  private dropAliasesOf(p: Process): void {
    for (const [id, owner] of this.aliasTable.entries()) if (owner === p.pid) this.dropAlias(id!, p.pid);
  }

  /** Ends the alias refId if `owner` holds it and `ends(mode)` says so; whether it did. */
  dropAlias(refId: number, owner: Term, ends: (mode: AliasMode) => boolean = () => true): boolean {
    return this.aliasTable.take(refId, undefined, (w, at) => w[at] === owner && ends(w[at + 1]! as AliasMode));
  }

  /** The control block a message to `dest` goes to: a pid, a registered name, or an alias (0: nobody). */
  resolveDest(dest: Term): number {
    if (isLocalPid(dest)) return this.pcbOf(dest);
    if (isAtom(dest)) return this.pcbOf(this.whereis(dest));
    const id = this.refId(dest);
    if (id < 0) return 0;
    // One look under the lock: a reply alias is taken out by the message that uses it.
    const out = this.aliasOut;
    out[0] = 0;
    const taken = this.aliasTable.take(id, undefined, (w, at) => {
      out[0] = w[at]!;
      out[1] = w[at + 1]!;
      return out[1] === AliasMode.Reply || out[1] === AliasMode.ReplyDemonitor;
    });
    const owner = out[0]!;
    if (owner === 0) return 0;
    // The monitor of a reply_demonitor alias ends with the reply: the owner drops it, before it sees the reply.
    if (taken && out[1] === AliasMode.ReplyDemonitor) this.signal(owner, SigKind.AliasReply, 0, id);
    return this.pcbOf(owner);
  }

  /** Sends a copy of msg to dest (a pid, a registered name or an alias); a dead destination drops it. */
  send(_from: Process, dest: Term, msg: Term): void {
    const pcb = this.resolveDest(dest);
    if (pcb !== 0) this.deliverTo(pcb, msg);
  }

  /** Copies msg (a term in any memory this thread may read) into a new message block for target and posts it. */
  deliver(target: Process, msg: Term): void {
    if (target.pcb !== 0) this.deliverTo(target.pcb, msg);
  }

  /** deliver to a control block (a process of any thread). */
  deliverTo(pcb: number, msg: Term): void {
    const b = this.messageBuilder;
    const size = sizeOfTerm(this, msg);
    b.open(size);
    this.post(pcb, b.close(copyTerm(this, msg, b, undefined, size)));
  }

  /** Builds a message of at most `words` words with `build` and posts it to the process `pcb` (any thread's; nothing when 0). */
  deliverBuilt(pcb: number, words: number, build: (b: Builder) => Term): void {
    if (pcb === 0) return;
    const b = this.messageBuilder;
    b.open(words);
    this.post(pcb, b.close(build(b)));
  }

  private readonly messageBuilder: MessageBuilder;

  /** Pushes a filled message block on pcb's inbox and wakes its process if it waits (exactly once: compareExchange). */
  private post(pcb: number, block: number): void {
    const w = this.mem.i32;
    if (TRACE.messages) {
      const t = w[block + Msg.Term]!;
      this.writeStderr(`beamjs: ${displayText(this, w[pcb + Pcb.Pid]!)} <- ${(t & 3) === 0 ? `signal ${t >>> 2} from ${displayText(this, w[block + Sig.From]!)}` : displayText(this, t)}\n`);
    }
    pushInbox(w, pcb, block);
    this.wake(pcb);
  }

  /** Makes a waiting process runnable on its owner's queue; only the caller whose compareExchange wins enqueues it. */
  private wake(pcb: number): void {
    this.schedulers.wake(pcb);
  }

  /** A new reference (make_ref/0) built on p's heap. */
  makeRef(p: Process): Term {
    return this.refWithId(p, this.newRefId());
  }

  /** A reference id never handed out before, on any thread (a shared counter). */
  newRefId(): number {
    return Atomics.add(this.mem.i32, Slot.RefCounter, 1) + 1;
  }

  /** The reference with this id, built on p's heap (the same id gives an equal reference). */
  refWithId(p: Builder, n: number): Term {
    const at = p.alloc(4);
    const w = this.mem.i32;
    w[at] = makeHeader(3, 0x4);
    w[at + 1] = n & 0x3ffff;
    w[at + 2] = Math.floor(n / 0x40000) | 0;
    w[at + 3] = 0;
    return makeBoxed(at);
  }

  /**
   * The id of a local reference, which JS-side tables keep instead of the
   * term (a term moves when its process collects garbage); -1 if not one of ours.
   */
  refId(t: Term): number {
    if ((t & 3) !== 2) return -1;
    const w = this.mem.i32;
    const at = t >>> 2;
    if (w[at] !== makeHeader(3, 0x4) || w[at + 3] !== 0) return -1;
    return w[at + 1]! + w[at + 2]! * 0x40000;
  }

  /** A collection at an allocation point: x[0..live-1] are the live registers; leaves `need` words free. */
  collect(p: Process, x: Int32Array, live: number, need: number, kind: GcKind = GcKind.Auto): void {
    collectProcess(this, p, x, live, need, kind);
    this.mem.refresh();
    if (p.stackTop - p.heap.top < need) throw new Error(`GC left ${p.stackTop - p.heap.top} free words, ${need} needed`);
  }

  /**
   * erlang timers (send_after, start_timer), reference id -> [message
   * block, destination, 1 for start_timer, deadline (epoch microseconds,
   * high and low words)], in shared memory: any thread may read or cancel a
   * timer; the thread that set it fires it (its timer heap). Taking the
   * entry out of the table is what claims a timer, so it is fired or
   * cancelled, never both.
   */
  readonly timerTable: SharedMap;
  private readonly timerOut = new Int32Array(TIMER_VALUES);

  /**
   * erlang:send_after/3 (timeout = false) and start_timer/3 ({timeout, Ref, Msg}):
   * the message is copied out of the process now, into a message block
   * that a send_after timer posts as it is; returns the timer's reference.
   */
  startTimer(p: Process, ms: number, dest: Term, msg: Term, timeout: boolean): Term {
    const id = this.newRefId();
    const ref = this.refWithId(p, id);
    const b = this.messageBuilder;
    const size = sizeOfTerm(this, msg);
    b.open(size);
    const block = b.close(copyTerm(this, msg, b, undefined, size));
    const at = performance.now() + ms;
    const micros = Math.round((performance.timeOrigin + at) * 1000);
    const hi = Math.floor(micros / 2 ** 32);
    this.timerTable.insert(id, [block, dest, timeout ? 1 : 0, hi, (micros - hi * 2 ** 32) | 0]);
    this.timerHeap.push({ at, seq: -1, target: id });
    return ref;
  }

  /** Milliseconds left on a timer (removing it when `cancel`), or undefined if there is none. */
  timerLeft(ref: Term, cancel: boolean): number | undefined {
    const id = this.refId(ref);
    const t = this.timerOut;
    if (!(cancel ? this.timerTable.take(id, t) : this.timerTable.read(id, t))) return undefined;
    if (cancel) dropMessage(this.mem, t[0]!);
    const deadlineMs = (t[3]! * 2 ** 32 + (t[4]! >>> 0)) / 1000;
    return Math.max(0, Math.ceil(deadlineMs - (performance.timeOrigin + performance.now())));
  }

  /** Delivers an erlang timer's message, unless it has been cancelled. */
  private fireVmTimer(id: number): void {
    const t = this.timerOut;
    if (!this.timerTable.take(id, t)) return;
    const block = t[0]!;
    const dest = t[1]!;
    const pcb = isAtom(dest) ? this.pcbOf(this.whereis(dest)) : this.pcbOf(dest);
    if (pcb === 0 || t[2] === 0) {
      if (pcb === 0) dropMessage(this.mem, block);
      else this.post(pcb, block);
      return;
    }
    const w = this.mem.i32;
    const msg = w[block + Msg.Term]!;
    const timeoutAtom = this.atoms.intern('timeout');
    const b = this.messageBuilder;
    b.open(sizeOfTerm(this, msg) + 4 + 4);
    const out = b.close(mkTuple3(b, timeoutAtom, this.refWithId(b, id), copyTerm(this, msg, b)));
    dropMessage(this.mem, block);
    this.post(pcb, out);
  }

  /** Cancels the timers addressed to a pid (its process has ended; those addressed to a name stay). */
  private cancelTimersOf(pid: Term): void {
    for (const [id, , dest] of this.timerTable.entries()) {
      if (dest === pid && this.timerTable.take(id!, this.timerOut, (w, at) => w[at + 1] === pid)) dropMessage(this.mem, this.timerOut[0]!);
    }
  }

  setReceiveTimer(p: Process, ms: number): void {
    p.timeoutAt = performance.now() + ms;
    this.timerHeap.push({ at: p.timeoutAt, seq: ++p.timerSeq, target: p });
  }

  reportInternalError(p: Process, e: unknown): void {
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`beamjs: internal error in process ${this.pidText(p.pid)}: ${text}\n`);
  }

  /** "module:function/arity" of a code address, for diagnostics. */
  describeAddress(addr: number): string {
    const m = this.modules.byAddress(addr);
    if (m === undefined) return `stub@${addr}`;
    const f = functionAt(m, addr);
    return `${m.nameText}:${f === undefined ? '?' : `${this.atoms.name(f.name)}/${f.arity}`}+${addr - (f?.start ?? m.code)}`;
  }

  pidText(pid: Term): string {
    return displayText(this, pid);
  }

  // ---------------------------------------------------------------- scheduling

  /**
   * A process taken from a run queue, before it runs: handles its signals
   * (as the real VM does before a process runs) and says whether to run it.
   * Not when it has ended (an exit among the signals ends it here), nor
   * when it is suspended or was woken in a receive by signals only: then it
   * waits again without running code (a message, a resume or its receive
   * timer wakes it). Every scheduler loop calls this before `run`.
   */
  admit(p: Process): boolean {
    if (p.status === ProcessStatus.Exited) return false;
    const pcb = p.pcb;
    if (!inboxEmpty(this.mem.i32, pcb)) {
      this.mem.refresh();
      fetchInbox(this.mem.i32, pcb, this.onSignal);
    }
    if (p.pendingExit !== undefined) {
      this.terminate(p, p.pendingExit);
      return false;
    }
    const w = this.mem.i32;
    if (p.suspended > 0 || (p.inReceive && !p.timedOut && w[w[pcb + Pcb.Save]!] === 0)) {
      p.status = ProcessStatus.Waiting;
      if (!inboxEmpty(w, pcb)) this.wake(pcb);
      return false;
    }
    p.inReceive = false;
    return true;
  }

  /**
   * Runs processes until `until()` holds or nothing can run. Receive timers
   * are served by sleeping this thread until the next deadline.
   */
  runUntil(until: () => boolean): void {
    while (!until()) {
      const pcb = this.runQueue.dequeue();
      if (pcb === 0) {
        if (!this.fireTimers()) return;
        continue;
      }
      runOneSlice(this.schedulers, this.schedulerIndex, pcb, this.sliceRunner);
      if (this.timerHeap.size > 0 && this.timerHeap.next <= performance.now()) this.fireTimers(false);
    }
  }

  /**
   * Runs one slice of the process `pcb` (taken from this scheduler's queue)
   * and settles what comes next: Yield — still runnable, the caller queues it
   * (or gives it to another scheduler); Wait — waiting, or already placed
   * (hibernated with messages, parked for the host, ended before it ran);
   * Exit — it ended in this slice.
   */
  runSlice(pcb: number): SliceResult {
    const p = this.ownProcess(pcb);
    if (p === undefined || p.status === ProcessStatus.Exited) return SliceResult.Wait;
    // Signals first (an exit among them ends it), and a process woken by signals alone waits on.
    if (!this.admit(p)) return (p.status as ProcessStatus) === ProcessStatus.Exited ? SliceResult.Exit : SliceResult.Wait;
    p.hibernated = false;
    p.status = ProcessStatus.Running;
    this.current = p;
    const reds = p.reductions;
    const r = run(this, p, this.regs, this.slice);
    this.schedulers.addReductions(this.schedulerIndex, p.reductions - reds);
    this.current = undefined;
    if (p.pendingExit !== undefined && r !== RunResult.Exit) {
      // An exit signal it sent itself (exit(self(), R), a link to itself...): it ends now.
      this.terminate(p, p.pendingExit);
      return SliceResult.Exit;
    }
    if (TRACE.slices) this.writeStderr(`beamjs: ${displayText(this, p.pid)} slice ended (${r}) at ${this.describeAddress(p.pc)}\n`);
    let next: SliceResult;
    if (r === RunResult.Yield && p.hibernate !== undefined) {
      this.hibernate(p);
      next = SliceResult.Wait;
    } else if (r === RunResult.Yield) {
      if (this.parking.delete(p)) {
        // A native that waits for the host (vm/api.ts), or a BIF for another thread, parked it: it waits until
        // woken. Waiting published first, then a look at the inbox: an answer that came meanwhile wakes it.
        p.status = ProcessStatus.Waiting;
        next = SliceResult.Wait;
        if (!inboxEmpty(this.mem.i32, p.pcb)) this.wake(p.pcb);
      } else {
        p.status = ProcessStatus.Runnable;
        next = SliceResult.Yield;
      }
      p.preempted = next === SliceResult.Yield;
    } else if (r === RunResult.Wait) {
      // Receive looked at everything it had: a message that came since is in the inbox. Publish
      // Waiting first, then look: a sender either sees Waiting (and wakes it) or pushed before the look.
      p.inReceive = true;
      p.preempted = false;
      p.status = ProcessStatus.Waiting;
      next = SliceResult.Wait;
      if (!inboxEmpty(this.mem.i32, p.pcb)) this.wake(p.pcb);
    } else {
      this.exit(p);
      return SliceResult.Exit;
    }
    if (this.migrateStress && p.pcb !== 0) this.moveState(p);
    return next;
  }

  /**
   * This thread's JS object of the process `pcb`: from its cache, or built
   * from the state another scheduler saved when it handed the process over
   * (vm/process_state.ts). Undefined when the process has ended.
   */
  ownProcess(pcb: number): Process | undefined {
    const p = this.cachedProcess(pcb);
    if (p !== undefined) return p;
    if (Atomics.load(this.mem.i32, pcb + Pcb.State) === 0) return undefined;
    const q = restoreState(this, this.mem, this.atoms, pcb);
    this.processes.set(pidData(q.pid), q);
    // Its receive timer was in the old owner's timer heap: armed again here (same deadline).
    if (q.timeoutAt >= 0) this.timerHeap.push({ at: q.timeoutAt, seq: ++q.timerSeq, target: q });
    return q;
  }

  /**
   * Hands a process this thread owns to another scheduler: its state goes
   * into shared memory and leaves this thread's cache. Only a process that
   * used up its last slice goes (false: it stays): one that only answers
   * messages keeps its partners' cache and is woken without a thread hop.
   */
  giveAway(pcb: number): boolean {
    const p = this.cachedProcess(pcb);
    if (p === undefined) return true; // saved already (it came here and never ran)
    if (!p.preempted) return false;
    saveState(p);
    this.processes.delete(pidData(p.pid));
    return true;
  }

  /** This thread's JS object of the process `pcb`, if it has one. */
  private cachedProcess(pcb: number): Process | undefined {
    const p = this.processes.get(pidData(this.mem.i32[pcb + Pcb.Pid]!));
    return p !== undefined && p.pcb === pcb ? p : undefined;
  }

  /** runSlice bound once, for the inline loop. */
  private readonly sliceRunner = (pcb: number): SliceResult => this.runSlice(pcb);

  /** Saves p's state into shared memory and restores it into the same object: what a move between schedulers does. */
  private moveState(p: Process): void {
    saveState(p);
    restoreState(this, this.mem, this.atoms, p.pcb, p);
  }

  /**
   * erlang:hibernate(M, F, A) took effect: the stack is dropped, the heap
   * collected down to the call's arguments and what the process still owns
   * (dictionary), and the process waits; its next message (or one already
   * queued) starts M:F(A...) with an empty stack.
   */
  private hibernate(p: Process): void {
    const h = p.hibernate!;
    p.hibernate = undefined;
    p.stackTop = p.blockEnd;
    p.heap.end = p.blockEnd;
    p.cp = this.exitStub;
    p.savedX = Int32Array.from([h.module, h.fun, h.args]);
    this.collect(p, p.savedX, 3, 0);
    // Start in erlang:apply/3, as spawn does for a function that is not loaded yet.
    p.pc = this.exports.address(this.exports.entry(this.atoms.intern('erlang'), this.atoms.intern('apply'), 3));
    const w = this.mem.i32;
    w[p.pcb + Pcb.Save] = p.pcb + Pcb.QueueHead;
    p.timeoutAt = -1;
    p.waitArmed = false;
    p.hibernated = true;
    const queued = queueLength(w, p.pcb, this.onSignal);
    if (p.pendingExit !== undefined) return this.terminate(p, p.pendingExit);
    if (queued > 0) {
      p.status = ProcessStatus.Runnable;
      this.runQueue.enqueue(p.pcb);
    } else {
      p.inReceive = true;
      p.status = ProcessStatus.Waiting;
      if (!inboxEmpty(w, p.pcb)) this.wake(p.pcb);
    }
  }

  /**
   * Processes that yielded to wait for the host rather than for a message:
   * a native that returns a promise (vm/api.ts) adds its process and
   * requests a yield; the process then waits (not runnable) until
   * wakeProcess. A message wakes it too (it re-enters the native, which
   * parks it again while the promise is pending).
   */
  readonly parking = new Set<Process>();

  /** Makes a waiting process runnable (a parked one, when its promise settles). */
  wakeProcess(p: Process): void {
    if (p.pcb !== 0) this.wake(p.pcb);
  }

  /**
   * For a driver on an event loop (scheduler/inline.ts): fires the timers
   * that are due, without sleeping; returns the milliseconds until the next
   * timer, or -1 when there is none.
   */
  pollTimers(): number {
    this.fireTimers(false);
    return this.timerHeap.size === 0 ? -1 : Math.max(0, this.timerHeap.next - performance.now());
  }

  /** Called as each process ends, before its heap is released (the embedding API's calls). */
  onProcessExit: ((p: Process) => void) | undefined;

  /**
   * Fires the timers that are due: receive timeouts wake their process at
   * the timeout branch; erlang timers deliver their message. When nothing
   * can run, sleeps until the next deadline (if `sleep`). Returns false when
   * nothing can ever run again (no runnable process and no timer).
   */
  private fireTimers(sleep = true): boolean {
    const heap = this.timerHeap;
    for (;;) {
      const now = performance.now();
      for (let e = heap.popDue(now); e !== undefined; e = heap.popDue(now)) {
        if (typeof e.target === 'number') {
          this.fireVmTimer(e.target);
          continue;
        }
        const p = e.target as Process;
        if (p.timerSeq !== e.seq || p.timeoutAt < 0) continue;
        // Handed to another scheduler since: its new owner armed the timer again.
        if (this.processes.get(pidData(p.pid)) !== p) continue;
        // Due: a waiting process resumes at its timeout branch; a runnable one (woken by a message
        // its receive may not match) takes that branch at its next wait_timeout.
        p.timedOut = true;
        p.timeoutAt = -1;
        // Waiting for a resume rather than a message (suspended while runnable): its receive looks first.
        if (p.status !== ProcessStatus.Waiting || !p.inReceive) continue;
        p.pc = p.timeoutPc;
        this.wake(p.pcb);
      }
      if (this.runQueue.length > 0) return true;
      if (heap.size === 0) return false;
      if (!sleep) return true;
      sleepMs(Math.max(0, heap.next - performance.now()));
    }
  }

  /** The process running on this thread, if any. */
  current: Process | undefined;

  // ---------------------------------------------------------------- signals

  /**
   * Sends a signal (scheduler/layout.ts `SigKind`) from the process `from`
   * to `target`: a block in target's inbox, handled by target's owner when
   * it moves its inbox (handleSignal), in order with from's messages. A
   * waiting target is woken. `build` makes the payload term in the block
   * (at most `words` words).
   */
  signal(to: Term, kind: SigKind, from: Term, aux: number, words = 0, build?: (b: Builder) => Term): void {
    const pcb = this.pcbOf(to);
    if (pcb === 0) {
      // It ended before the signal could reach it: the answer it would have given (link and monitor
      // payloads are immediates, so the scratch builder allocates nothing).
      if (kind === SigKind.Link || kind === SigKind.Monitor || kind === SigKind.InfoRequest) this.answerDead(to, kind, from, aux, build === undefined ? 0 : build(this.scratchBuilder()));
      return;
    }
    const b = this.messageBuilder;
    b.open(Sig.Words + words);
    const at = b.alloc(Sig.Words);
    const payload = build === undefined ? 0 : build(b);
    const w = this.mem.i32;
    w[at] = from;
    w[at + 1] = aux;
    w[at + 2] = payload;
    this.post(pcb, b.close(kind));
  }

  /** fetchInbox's handler for the processes of this thread. */
  readonly onSignal: SignalHandler = (pcb, block) => this.handleSignal(pcb, block);

  /**
   * One signal to the process of `pcb`, in its context: returns the block
   * to queue as a message ('EXIT' of a trapping process, 'DOWN') or 0.
   * Nothing here ends the process: an exit sets `pendingExit`, which the
   * caller acts on (runUntil, the receive instructions, handleSignalsOf),
   * so the queue being moved is never freed under fetchInbox.
   */
  private handleSignal(pcb: number, block: number): number {
    const w = this.mem.i32;
    const p = this.processOf(w[pcb + Pcb.Pid]!);
    const kind = w[block + Msg.Term]!;
    const from = w[block + Sig.From]!;
    if (p === undefined || p.status === ProcessStatus.Exited || p.pendingExit !== undefined) {
      const refId = w[block + Sig.Aux]!;
      const name = w[block + Sig.Payload]!;
      dropMessage(this.mem, block);
      this.answerDead(w[pcb + Pcb.Pid]!, kind, from, refId, name);
      return 0;
    }
    switch (kind) {
      case SigKind.Link:
        p.links.add(pidData(from));
        break;
      case SigKind.Unlink:
        p.links.delete(pidData(from));
        break;
      case SigKind.LinkExit:
        // Only while the link stands: once unlink/1 has returned, no exit signal of that link arrives.
        if (!p.links.delete(pidData(from))) break;
        return this.exitArrived(p, block, false);
      case SigKind.Exit:
        return this.exitArrived(p, block, true);
      case SigKind.Monitor:
        monitorArrived(p, from, w[block + Sig.Aux]!, w[block + Sig.Payload]!);
        break;
      case SigKind.Demonitor:
        p.monitoredBy?.delete(w[block + Sig.Aux]!);
        break;
      case SigKind.Down:
        if (!downArrived(p, w[block + Sig.Aux]!)) break;
        w[block + Msg.Term] = w[block + Sig.Payload]!;
        return block;
      case SigKind.AliasReply:
        dropMonitor(p, w[block + Sig.Aux]!);
        break;
      case SigKind.GroupLeader:
        p.groupLeader = w[block + Sig.Payload]!;
        break;
      case SigKind.Suspend:
        p.suspended++;
        if (p === this.current) p.yieldRequested = true;
        break;
      case SigKind.Resume:
        if (p.suspended > 0) p.suspended--;
        break;
      case SigKind.InfoRequest:
        answerInfoRequest(p, from, w[block + Sig.Aux]!, w[block + Sig.Payload]!);
        break;
      case SigKind.GcRequest:
        gcRequestArrived(p, from, w[block + Sig.Aux]! === 1, w[block + Sig.Payload]!);
        break;
      case SigKind.InfoReply:
        if (p.awaitingReply !== w[block + Sig.Aux]) break; // an answer nobody waits for any more
        // The block becomes a heap fragment holding the answer, as a received message does.
        p.awaitingReply = 0;
        p.reply = w[block + Sig.Payload]! || commonAtom('badarg');
        p.adoptMessage(block);
        return 0;
    }
    dropMessage(this.mem, block);
    return 0;
  }

  /**
   * An exit signal (payload {'EXIT', From, Reason}) reaches a live process,
   * as the real VM acts on it: `kill` from exit/2 ends it with `killed`; a
   * process trapping exits gets the payload as a message; `normal` is
   * ignored; anything else ends it with that reason.
   */
  private exitArrived(p: Process, block: number, viaExit2: boolean): number {
    const w = this.mem.i32;
    const msg = w[block + Sig.Payload]!;
    const reason = tupleElement(this.scratchBuilder(), msg, 3);
    if (viaExit2 && reason === commonAtom('kill')) {
      dropMessage(this.mem, block);
      this.ending(p, commonAtom('killed'));
      return 0;
    }
    if (p.trapExit) {
      w[block + Msg.Term] = msg;
      return block;
    }
    if (reason === commonAtom('normal')) {
      dropMessage(this.mem, block);
      return 0;
    }
    // The reason stays in the signal's block, which becomes one of p's heap fragments.
    p.adoptMessage(block);
    this.ending(p, reason);
    return 0;
  }

  /** Marks p to end with this reason at the next point its owner checks (it may be running). */
  private ending(p: Process, reason: Term): void {
    p.pendingExit = reason;
    if (p === this.current) p.yieldRequested = true;
  }

  /**
   * The answer of a process that has ended (or is ending) to a signal: a
   * link gets an exit signal `noproc`, a monitor a 'DOWN' with `noproc`,
   * as on the real VM; the rest are dropped.
   */
  private answerDead(dead: Term, kind: number, to: Term, refId: number, name: Term): void {
    // process_info of a process that has ended meanwhile: undefined, as for one that was gone before.
    if (kind === SigKind.InfoRequest) return this.signal(to, SigKind.InfoReply, dead, refId, 0, () => commonAtom('undefined'));
    if (kind !== SigKind.Link && kind !== SigKind.Monitor) return;
    const noproc = commonAtom('noproc');
    if (kind === SigKind.Link) {
      this.signal(to, SigKind.LinkExit, dead, 0, 4, (b) => mkTuple3(b, commonAtom('EXIT'), dead, noproc));
      return;
    }
    this.signal(to, SigKind.Down, dead, refId, 6 + 4 + 3, (b) => {
      const item = name === 0 ? dead : mkTuple(b, [name, commonAtom('nonode@nohost')]);
      return mkTuple(b, [commonAtom('DOWN'), this.refWithId(b, refId), commonAtom('process'), item, noproc]);
    });
  }

  /**
   * Lets t, a process of this thread that is not running, handle the
   * signals that have reached it, as the real VM makes is_process_alive/1,
   * process_info/2 and suspend_process/2 see the effect of the caller's
   * earlier signals. (A process of another thread handles them itself
   * before it answers a process_info request.)
   */
  handleSignalsOf(t: Process): void {
    if (t === this.current || t.pcb === 0 || inboxEmpty(this.mem.i32, t.pcb)) return;
    this.mem.refresh();
    fetchInbox(this.mem.i32, t.pcb, this.onSignal);
    if (t.pendingExit !== undefined) this.terminate(t, t.pendingExit);
  }

  /**
   * exit/2: an exit signal from `from` with `reason` to `target`. To
   * another process it travels through target's inbox; to itself it acts
   * at once (and the process ends when its BIF call returns).
   */
  exitSignal(sender: Process, to: Term, reason: Term): void {
    const from = sender.pid;
    if (to !== from) {
      this.signal(to, SigKind.Exit, from, 0, sizeOfTerm(this, reason) + 4, (b) => mkTuple3(b, commonAtom('EXIT'), from, copyTerm(this, reason, b)));
      return;
    }
    const target = sender;
    if (reason === commonAtom('kill')) return this.terminate(target, commonAtom('killed'));
    if (target.trapExit) {
      this.deliverBuilt(target.pcb, sizeOfTerm(this, reason) + 4, (b) => mkTuple3(b, commonAtom('EXIT'), from, copyTerm(this, reason, b)));
      return;
    }
    // exit(self(), normal) ends the caller too.
    this.terminate(target, copyTerm(this, reason, target));
  }

  /** Ends a process with this reason (now, or at its next scheduling point if it is running). */
  terminate(p: Process, reason: Term): void {
    if (p.status === ProcessStatus.Exited) return;
    if (p === this.current) {
      p.pendingExit = reason;
      p.yieldRequested = true;
      return;
    }
    p.pendingExit = undefined;
    p.exitReason = reason;
    p.exitClass = NIL;
    if (p.status === ProcessStatus.Runnable) this.schedulers.remove(p.pcb);
    this.exit(p);
  }

  /**
   * Links a process to one it has just spawned, both sides at once: the
   * child is new and this thread's, and has run no code yet. Between
   * running processes, link/1 and unlink/1 travel as signals.
   */
  link(a: Process, b: Process): void {
    a.links.add(pidData(b.pid));
    b.links.add(pidData(a.pid));
  }

  private exit(p: Process): void {
    p.status = ProcessStatus.Exited;
    const reason = p.exitReason;
    const normal = reason === commonAtom('normal');
    if (TRACE.exits) this.writeStderr(`beamjs: ${displayText(this, p.pid)} exited: ${displayText(this, reason)}\n`);
    const isMain = p.pid === this.mem.i32[Slot.MainPid];
    if (!normal && !isMain && p !== this.kernel && p.exitClass === CLASS_ERROR) this.reportUncaught(p, reason);
    const name = this.nameOf(p);
    if (name !== 0) this.names.take(name, undefined, (w, at) => w[at] === p.pid);
    this.procTable.clear(pidData(p.pid));
    // Tables it owns go to their heirs or are deleted (bifs/ets.ts).
    etsOwnerExited(this, p);
    // Signals that came too late get a dead process's answers (handleSignal sees it Exited).
    this.mem.refresh();
    fetchInbox(this.mem.i32, p.pcb, this.onSignal);
    // Exit signals to the linked processes, then 'DOWN' to the monitors.
    if (p.hasLinks) {
      const words = sizeOfTerm(this, reason) + 4;
      const exitMsg = (b: Builder): Term => mkTuple3(b, commonAtom('EXIT'), p.pid, copyTerm(this, reason, b));
      for (const n of p.links) this.signal(pidOfData(n), SigKind.LinkExit, p.pid, 0, words, exitMsg);
      p.links.clear();
    }
    notifyMonitors(p);
    releaseSuspensions(p);
    this.cancelTimersOf(p.pid);
    schedulerStatsExit(p);
    if (p.madeAliases) this.dropAliasesOf(p);
    this.onProcessExit?.(p);
    if (isMain) {
      // The main thread waits on this word (vm/smp.ts); the reason's text goes back in this scheduler's report.
      this.mainExitText = displayText(this, reason);
      Atomics.store(this.mem.i32, Slot.MainStatus, normal ? 1 : 2);
      Atomics.notify(this.mem.i32, Slot.MainStatus);
    }
    if (p !== this.mainProcess) {
      this.processes.delete(pidData(p.pid));
      // With several schedulers a sender on another thread may have looked the process up just before it
      // left the process table: its control block is freed once every scheduler has passed a turn.
      p.release(this.schedulers.count > 1 ? (pcb) => this.graveyard.push(pcb, this.schedulers.retire()) : undefined);
    }
  }

  /** Control blocks of ended processes waiting to be freed, with their epochs (pairs). */
  private readonly graveyard: number[] = [];

  /** Frees the retired control blocks no scheduler can still hold (a late message in one is freed with it). */
  reclaim(): void {
    const g = this.graveyard;
    let kept = 0;
    for (let i = 0; i < g.length; i += 2) {
      const pcb = g[i]!;
      const epoch = g[i + 1]!;
      if (this.schedulers.passed(epoch)) {
        // Signals that came after the exit get a dead process's answers (noproc), messages are dropped.
        fetchInbox(this.mem.i32, pcb, this.onSignal);
        freeQueue(this.mem, pcb);
        this.mem.free(pcb);
      } else {
        g[kept++] = pcb;
        g[kept++] = epoch;
      }
    }
    g.length = kept;
  }

  /** The entry process's exit reason (display text), on the thread where it ended. */
  mainExitText: string | undefined;

  /** Whether the entry process of `beamjs run` has ended (on any scheduler). */
  mainExited(): boolean {
    return Atomics.load(this.mem.i32, Slot.MainStatus) !== 0;
  }

  /**
   * The real VM's report of a process ended by an uncaught error: an event
   * sent to the `logger` process (logger_server logs it with logger:log/4),
   * exactly as the emulator sends it. Without a logger (start-up failed), the
   * report is written as logger's default handler would, with the reason as
   * erlang:display writes it.
   */
  private reportUncaught(p: Process, reason: Term): void {
    const dest = this.systemLogger;
    if (dest === commonAtom('undefined')) return;
    const pcb = isAtom(dest) ? this.pcbOf(this.whereis(dest)) : this.pcbOf(dest);
    if (pcb === 0) {
      const text = `=ERROR REPORT==== ${reportTime()} ===\nError in process ${displayText(this, p.pid)} with exit value:\n${displayText(this, reason)}\n\n`;
      this.stdout(Buffer.from(text, 'latin1'));
      return;
    }
    // Built straight into the message block (never on the logger's heap): the reason's words and
    // at most 256 for the rest (the format string is 88, the tuple, list and two small maps under 60).
    const a = (s: string): Term => this.atoms.intern(s);
    const b = this.messageBuilder;
    b.open(sizeOfTerm(this, reason) + 256);
    const copy = copyTerm(this, reason, b);
    const emulator = mapFromArrays(b, [a('emulator'), a('tag')], [commonAtom('true'), a('error')]);
    const meta = mapFromArrays(b, [a('error_logger'), a('gl'), a('pid'), a('time')], [emulator, p.groupLeader, p.pid, mkInt(b, systemTimeMicro())]);
    const format = mkString(b, 'Error in process ~p with exit value:~n~p~n');
    this.post(pcb, b.close(mkTuple(b, [a('log'), a('error'), format, mkList(b, [p.pid, copy]), meta])));
  }

  writeStderr(text: string): void {
    // Synchronous (the VM's stderr callback): from a scheduler thread, process.stderr would go through the main thread's event loop.
    this.stderr(Buffer.from(text));
  }

  private mainProcess: Process | undefined;

  /**
   * Direct start-up: starts the I/O server, calls M:F(Args) in a new process
   * and runs until it ends. Returns the exit status (0 normal, 1 uncaught
   * error, N for halt(N)) and the entry process.
   */
  runMain(module: string, fun: string, args: Term[] | undefined): { status: number | string; process: Process; halted: boolean } {
    const halted = this.startMain(module, fun, args ?? []);
    if (halted !== undefined) return { status: halted, process: this.kernel!, halted: true };
    const p = this.mainProcess!;
    try {
      this.runUntil(() => p.status === ProcessStatus.Exited);
      if (p.status === ProcessStatus.Exited) this.drain();
    } catch (e) {
      if (e instanceof Halt) {
        this.flushIo();
        return { status: e.status, process: p, halted: true };
      }
      throw e;
    }
    this.flushIo();
    if (p.status !== ProcessStatus.Exited) {
      this.writeStderr('beamjs: the entry process is waiting for a message that nothing can send (deadlock)\n');
      return { status: 1, process: p, halted: false };
    }
    return { status: p.exitReason === commonAtom('normal') ? 0 : 1, process: p, halted: false };
  }

  /**
   * The start-up of `beamjs run` up to the entry process: the I/O servers,
   * the kernel application, then M:F(Args) spawned (not yet run) as the
   * entry process. Returns halt's status if the start-up halted.
   */
  startMain(module: string, fun: string, args: Term[]): number | string | undefined {
    this.startIoServer();
    try {
      this.startKernel();
    } catch (e) {
      if (e instanceof Halt) {
        this.flushIo();
        return e.status;
      }
      throw e;
    }
    const p = this.spawn(this.atoms.intern(module), this.atoms.intern(fun), args);
    // erl -run calls the entry function from a process that traps exits; so does direct start-up.
    p.trapExit = true;
    this.mainProcess = p;
    this.mem.i32[Slot.MainPid] = p.pid;
    return undefined;
  }

  /**
   * Gives every process of this thread to the schedulers (the main thread,
   * before it starts them: vm/smp.ts). Each one's state goes into shared
   * memory; the runnable ones stay in scheduler 0's queue, where the others
   * find them. A waiting process with a receive timeout is woken so that a
   * scheduler takes it and arms the timer (its receive then waits again).
   */
  handAllOver(): void {
    for (const p of this.processes.values()) {
      const timed = p.timeoutAt >= 0 && p.status === ProcessStatus.Waiting;
      saveState(p);
      if (timed) this.wake(p.pcb);
    }
    this.processes.clear();
    this.mainProcess = undefined;
    this.kernel = undefined;
    this.ioServer = undefined;
  }

  /** erlang:system_flag(system_logger, _): where reportUncaught sends (the name logger, a pid, or undefined). */
  get systemLogger(): Term {
    return Atomics.load(this.mem.i32, Slot.SystemLogger);
  }

  set systemLogger(t: Term) {
    // An atom or a pid: immediates, so the word is valid on every thread.
    Atomics.store(this.mem.i32, Slot.SystemLogger, t);
  }

  /** Set by beamjs_kernel:started/0 when the kernel application runs. */
  kernelStarted = false;
  /** The start-up process (vm/runtime/beamjs_kernel.erl), alive for the VM's lifetime as init is. */
  kernel: Process | undefined;

  /**
   * Direct start-up of the kernel application (vm/runtime/beamjs_kernel.erl):
   * logger_server, application_controller, kernel_sup with logger's default
   * handler. Runs until it is done; a failure is reported on stderr and the
   * VM goes on without them.
   */
  private startKernel(): void {
    if (this.kernel !== undefined) return;
    // logger and application_controller keep their state in ETS tables: without ETS, direct mode runs without them.
    if (lookupBif('ets', 'new', 2) === undefined) return;
    // Without OTP's kernel library on the code path (otpLibraries: false) there is nothing to start.
    if (!this.autoload(this.atoms.intern('logger_server'))) return;
    const k = this.spawn(this.atoms.intern('beamjs_kernel'), this.atoms.intern('start'), []);
    this.kernel = k;
    this.runUntil(() => this.kernelStarted || k.status === ProcessStatus.Exited);
    if (!this.kernelStarted) {
      const why = k.status === ProcessStatus.Exited ? displayText(this, k.exitReason) : 'it is waiting for a message';
      this.writeStderr(`beamjs: kernel start-up failed (${why}); logger and the kernel servers are not running\n`);
    }
  }

  /**
   * When the entry function has returned: lets every process that can run
   * finish what it is doing (logger's handler writing the reports it was
   * sent, as erl's init:stop lets it flush), without waiting for timers,
   * for at most a second.
   */
  private drain(): void {
    // Bounded: processes that never stop running (a ping-pong left behind) must not keep the VM alive.
    const deadline = performance.now() + 1000;
    this.runUntil(() => this.runQueue.length === 0 || performance.now() > deadline);
  }

  /** Lets the I/O server finish writing what it was sent. */
  private flushIo(): void {
    const io = this.ioServer;
    if (io === undefined) return;
    this.runUntil(() => io.status === ProcessStatus.Waiting && inboxEmpty(this.mem.i32, io.pcb));
  }

  /** Starts the group leader of direct start-up (beamjs_io) and registers user and standard_error. */
  startIoServer(): void {
    if (this.ioServer !== undefined) return;
    const io = this.spawn(this.atoms.intern('beamjs_io'), this.atoms.intern('start'), []);
    io.groupLeader = io.pid;
    this.ioServer = io;
    this.register(this.atoms.intern('user'), io.pid);
    const err = this.spawn(this.atoms.intern('beamjs_io'), this.atoms.intern('start'), [makeSmall(2)]);
    err.groupLeader = io.pid;
    this.register(this.atoms.intern('standard_error'), err.pid);
  }
}

/** Local time as logger's report header shows it: 21-Nov-2026::13:35:11.597121 */
function reportTime(): string {
  const d = new Date();
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number): string => String(n).padStart(2, '0');
  const micro = String(d.getMilliseconds() * 1000).padStart(6, '0');
  return `${two(d.getDate())}-${months[d.getMonth()]}-${d.getFullYear()}::${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${micro}`;
}

function defaultStdout(bytes: Uint8Array): void {
  writeAllSync(1, bytes);
}

function defaultStderr(bytes: Uint8Array): void {
  writeSync(2, bytes);
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      // The reader went away (`beamjs run ... | head`): stop the VM quietly, as erl does on SIGPIPE.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') throw new Halt(0);
      throw e;
    }
  }
}

function defaultStdin(): Uint8Array | undefined {
  const out: number[] = [];
  const buf = new Uint8Array(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        sleepMs(5);
        continue;
      }
      if ((e as NodeJS.ErrnoException).code === 'EOF') n = 0;
      else throw e;
    }
    if (n === 0) return out.length === 0 ? undefined : Uint8Array.from(out);
    out.push(buf[0]!);
    if (buf[0] === 10) return Uint8Array.from(out);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** The directory of the VM's own runtime modules (beamjs_io.beam ...). */
function runtimeDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [join(here, 'runtime'), join(here, '..', 'vm', 'runtime'), join(here, '..', '..', 'vm', 'runtime')]) {
    if (existsSync(join(c, 'beamjs_io.beam'))) return c;
  }
  return join(here, 'runtime');
}

/** ebin directories of the installed OTP (ERL_ROOT, else erl on PATH, else /usr/lib/erlang) and Elixir. */
export function libraryDirs(): string[] {
  const dirs: string[] = [];
  const root = erlRoot();
  const lib = join(root, 'lib');
  if (existsSync(lib)) {
    for (const app of readdirSync(lib).sort()) {
      const ebin = join(lib, app, 'ebin');
      if (existsSync(ebin)) dirs.push(ebin);
    }
  }
  for (const elixirLib of ['/usr/lib/elixir/lib', '/usr/local/lib/elixir/lib']) {
    if (!existsSync(elixirLib)) continue;
    for (const app of readdirSync(elixirLib).sort()) {
      const ebin = join(elixirLib, app, 'ebin');
      if (existsSync(ebin)) dirs.push(ebin);
    }
    break;
  }
  return dirs;
}

function erlRoot(): string {
  if (process.env.ERL_ROOT) return process.env.ERL_ROOT;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const erl = join(dir, 'erl');
    if (existsSync(erl)) {
      try {
        const real = realpathSync(erl);
        // .../lib/erlang/bin/erl or .../erts-X/bin/erl
        let d = dirname(dirname(real));
        if (!existsSync(join(d, 'lib')) && existsSync(join(dirname(d), 'lib'))) d = dirname(d);
        if (existsSync(join(d, 'lib'))) return d;
      } catch {
        // fall through
      }
    }
  }
  return '/usr/lib/erlang';
}

import { readdirSync, readSync, realpathSync, writeSync } from 'node:fs';
export { NIL };
