/**
 * The virtual machine: memory, atoms, code tables, processes and (for now)
 * one inline scheduler on the calling thread, in the architecture brief's
 * direct start-up mode: no boot script; modules load from the code path on
 * first call; the group leader is an I/O server written in Erlang
 * (vm/runtime/beamjs_io.erl) over two native functions for standard I/O.
 *
 * One scheduler, on the calling thread (issue 6 brings worker threads).
 * The run queue and each process's control words and message queues are in
 * shared memory; the Process objects, timers, registered names and aliases
 * are still JS objects of this thread (docs/architecture.md, Known gaps).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../bifs/index.js';
import { notifyMonitors } from '../bifs/erlang_process.js';
import { releaseSuspensions } from '../bifs/process_flags.js';
import { schedulerStatsExit } from '../bifs/scheduler_stats.js';
import { etsOwnerExited } from '../bifs/ets.js';
import { BIF_TABLE, lookupBif, type BifEntry } from '../bifs/registry.js';
import { GcKind } from '../gc/collect.js';
import { GcState, collectProcess } from '../gc/policy.js';
import { copyTerm, sizeOfTerm } from '../gc/copy.js';
import { Msg, Pcb } from '../scheduler/layout.js';
import type { RunQueue } from '../scheduler/run_queue.js';
import { Schedulers } from '../scheduler/schedulers.js';
import { TimerHeap } from '../scheduler/timers.js';
import { inboxEmpty, MessageBuilder, pushInbox, queueLength } from './mailbox.js';
import { functionAt, CatchTable, ExportTable, FunTable, ModuleTable, type LoadedModule } from './code/code_table.js';
import { loadModule } from './code/load.js';
import { OP_APPLY2_STUB, OP_APPLY_STUB, OP_BIF_STUB_ERROR, OP_CALL_BIF_RETURN, OP_PROCESS_EXIT } from './code/ops.js';
import { RunResult, newRegisters, run, type Registers } from './interp.js';
import { Memory, type MemoryOptions } from './memory.js';
import { Process, ProcessStatus } from './process.js';
import { AtomTable, commonAtom } from './term/atoms.js';
import { displayText } from './term/display.js';
import { makeSmall, NIL, isAtom, isLocalPid, makeBoxed, makeHeader, makeLocalPid, pidData, type Term } from './term/tags.js';
import { mkInt, mkList, mkString, mkTuple, mkTuple3, type Builder } from './term/make.js';
import { mapFromArrays } from './term/maps.js';
import { systemTimeMicro } from '../bifs/erlang_system.js';
import { Halt } from './halt.js';
import { CLASS_ERROR } from './errors.js';
import type { BinSpec } from './term/bits_build.js';
import { Jit, type JitState } from './jit.js';
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

export class VM {
  readonly mem: Memory;
  readonly atoms: AtomTable;
  readonly exports: ExportTable;
  readonly modules = new ModuleTable();
  readonly funs = new FunTable();
  readonly catches = new CatchTable();
  /** bs_create_bin segment lists, decoded at load time (vm/code/transform.ts). */
  readonly binSpecs: BinSpec[] = [];
  readonly codePath: string[];
  readonly processes = new Map<number, Process>();
  readonly registered = new Map<Term, Process>();
  /** The schedulers' shared state (one scheduler until the worker threads run the VM). */
  readonly schedulers: Schedulers;
  /** The scheduler this thread runs: its processes have this Pcb.Owner. */
  readonly schedulerIndex = 0;
  /** This thread's run queue (shared memory: other threads wake processes into it). */
  readonly runQueue: RunQueue;
  /** Receive timeouts and erlang timers, earliest first. */
  private readonly timerHeap = new TimerHeap();
  private readonly regs: Registers = newRegisters();
  private nextPid = 1;
  private readonly missing = new Set<Term>();
  /** Address of the stub every process returns to at the end of its initial call. */
  readonly exitStub: number;
  /** Stub code per special native (apply, error...), by BIF index. */
  private readonly specialStubs = new Map<number, number[]>();
  readonly slice: number;
  /** Messages receive has looked at (loop_rec), for tests of the receive-marker optimisation. */
  receiveScans = 0;
  readonly gcStress: boolean;
  /** Garbage collection: system-wide defaults, statistics, the long_gc monitor (gc/policy.ts). */
  readonly gc = new GcState();
  /** The JIT tier (vm/jit.ts) and the state it hands over with the interpreter. */
  readonly jit: Jit;
  readonly jitState: JitState = { pc: 0, cp: 0, reds: 0, live: 0, ipc: 0 };
  readonly stdout: (bytes: Uint8Array) => void;
  readonly stdin: () => Uint8Array | undefined;
  readonly stderr: (bytes: Uint8Array) => void;
  private refCounter = 0;
  ioServer: Process | undefined;
  /** The installed Erlang/OTP's root directory. */
  readonly erlRoot: string;

  constructor(options: VMOptions = {}) {
    this.mem = Memory.create(options.memory);
    this.atoms = AtomTable.format(this.mem);
    this.exports = new ExportTable(this.mem);
    this.schedulers = Schedulers.format(this.mem, 1);
    this.runQueue = this.schedulers.queues[this.schedulerIndex]!;
    this.messageBuilder = new MessageBuilder(this.mem, this.atoms);
    this.slice = options.slice ?? 4000;
    this.gcStress = options.gcStress ?? process.env.BEAMJS_GC_STRESS === '1';
    this.jit = new Jit(this, options.jit === false ? { enabled: false } : { threshold: options.jit?.threshold });
    this.stdout = options.stdout ?? defaultStdout;
    this.stdin = options.stdin ?? defaultStdin;
    this.stderr = options.stderr ?? defaultStderr;
    this.codePath = [...(options.codePath ?? []), runtimeDir()];
    this.systemLogger = this.atoms.intern('logger');
    this.erlRoot = options.erlRoot ?? erlRoot();
    if (options.otpLibraries !== false) this.codePath.push(...libraryDirs());

    // Stubs: the process exit point and one body per BIF, published in the export table.
    const bifStubWords = 2;
    const stubs = this.mem.alloc(2 + BIF_TABLE.length * bifStubWords);
    this.mem.refresh();
    const w = this.mem.i32;
    this.exitStub = stubs;
    w[stubs] = OP_PROCESS_EXIT;
    w[stubs + 1] = 0;
    for (const bif of BIF_TABLE) {
      if (bif.hostOnly) continue; // another VM's host native (vm/api.ts)
      const at = stubs + 2 + bif.index * bifStubWords;
      const special = SPECIAL_STUBS[bif.key];
      const words = special === undefined ? [OP_CALL_BIF_RETURN, bif.index] : [special, special === OP_APPLY_STUB ? 3 : bif.index];
      if (special !== undefined) this.specialStubs.set(bif.index, words);
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

  load(bytes: Uint8Array): LoadedModule {
    const m = loadModule(this, bytes);
    this.missing.delete(m.name);
    return m;
  }

  /** Finds `module`.beam on the code path and loads it; false if there is none. */
  autoload(module: Term): boolean {
    if (this.modules.get(module) !== undefined) return true;
    if (this.missing.has(module)) return false;
    const name = this.atoms.name(module);
    for (const dir of this.codePath) {
      const file = join(dir, `${name}.beam`);
      if (existsSync(file)) {
        this.load(readFileSync(file));
        return true;
      }
    }
    this.missing.add(module);
    return false;
  }

  // ---------------------------------------------------------------- processes

  /** A new process that will call M:F(Args...). */
  spawn(module: Term, fun: Term, args: Term[], parent?: Process, heapWords = this.gc.minHeapSize): Process {
    const number = this.nextPid++;
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
    this.schedulers.adopt(p.pcb, this.schedulerIndex);
    this.runQueue.enqueue(p.pcb);
    return p;
  }

  processOf(pid: Term): Process | undefined {
    if (!isLocalPid(pid)) return undefined;
    const p = this.processes.get(pidData(pid));
    return p !== undefined && p.pid === pid ? p : undefined;
  }

  /**
   * Process aliases (OTP 24+): reference id → the process that receives
   * messages sent to the reference, and how the alias ends.
   */
  readonly aliases = new Map<number, { owner: Process; mode: 'explicit' | 'demonitor' | 'reply_demonitor' | 'reply' }>();

  /** The process a message to `dest` goes to: a pid, a registered name, {Name, Node} on this node, or an alias. */
  resolveDest(dest: Term): Process | undefined {
    if (isAtom(dest)) return this.registered.get(dest);
    if (isLocalPid(dest)) return this.processOf(dest);
    const id = this.refId(dest);
    if (id >= 0) {
      const alias = this.aliases.get(id);
      if (alias === undefined) return undefined;
      if (alias.mode === 'reply_demonitor' || alias.mode === 'reply') {
        this.aliases.delete(id);
        if (alias.mode === 'reply_demonitor') this.onAliasReply?.(alias.owner, id);
      }
      return alias.owner;
    }
    return undefined;
  }

  /** Set by the monitor BIFs: drops the monitor of a reply_demonitor alias when its reply arrives. */
  onAliasReply: ((owner: Process, refId: number) => void) | undefined;

  /** Sends a copy of msg to dest (a pid, a registered name or an alias); a dead destination drops it. */
  send(_from: Process, dest: Term, msg: Term): void {
    const target = this.resolveDest(dest);
    if (target === undefined || target.pcb === 0) return;
    this.deliver(target, msg);
  }

  /** Copies msg (a term in any memory this thread may read) into a new message block for target and posts it. */
  deliver(target: Process, msg: Term): void {
    if (target.pcb === 0) return;
    const b = this.messageBuilder;
    const size = sizeOfTerm(this, msg);
    b.open(size);
    this.post(target, b.close(copyTerm(this, msg, b, undefined, size)));
  }

  /** Builds a message of at most `words` words with `build` and posts it to target (nothing when it has ended). */
  deliverBuilt(target: Process, words: number, build: (b: Builder) => Term): void {
    if (target.pcb === 0) return;
    const b = this.messageBuilder;
    b.open(words);
    this.post(target, b.close(build(b)));
  }

  private readonly messageBuilder: MessageBuilder;

  /** Pushes a filled message block on target's inbox and wakes it if it waits (exactly once: compareExchange). */
  private post(target: Process, block: number): void {
    const w = this.mem.i32;
    if (TRACE.messages) this.writeStderr(`beamjs: ${displayText(this, target.pid)} <- ${displayText(this, w[block + Msg.Term]!)}\n`);
    pushInbox(w, target.pcb, block);
    this.wake(target.pcb);
  }

  /** Makes a waiting process runnable on its owner's queue; only the caller whose compareExchange wins enqueues it. */
  private wake(pcb: number): void {
    this.schedulers.wake(pcb);
  }

  /** A new reference (make_ref/0) built on p's heap. */
  makeRef(p: Process): Term {
    return this.refWithId(p, ++this.refCounter);
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

  /** Timers of erlang:send_after/start_timer, by reference id. */
  readonly timers = new Map<number, { at: number; dest: Term; msg: Term; timeout: boolean }>();

  /**
   * erlang:send_after/3 (timeout = false) and start_timer/3 ({timeout, Ref, Msg}):
   * the message is copied out of the process now; returns the timer's reference.
   * Provisional: the copy's memory is not reclaimed after delivery.
   */
  startTimer(p: Process, ms: number, dest: Term, msg: Term, timeout: boolean): Term {
    const ref = this.makeRef(p);
    const saved = copyTerm(p, msg, this.scratchBuilder());
    const at = performance.now() + ms;
    const id = this.refId(ref);
    this.timers.set(id, { at, dest, msg: saved, timeout });
    this.timerHeap.push({ at, seq: -1, target: id });
    return ref;
  }

  /** Milliseconds left on a timer (removing it when `cancel`), or undefined if there is none. */
  timerLeft(ref: Term, cancel: boolean): number | undefined {
    const id = this.refId(ref);
    const t = this.timers.get(id);
    if (t === undefined) return undefined;
    if (cancel) this.timers.delete(id);
    return Math.max(0, Math.ceil(t.at - performance.now()));
  }

  /** Delivers an erlang timer's message (the timer has not been cancelled). */
  private fireVmTimer(id: number): void {
    const t = this.timers.get(id);
    if (t === undefined) return;
    this.timers.delete(id);
    const target = isAtom(t.dest) ? this.registered.get(t.dest) : this.processOf(t.dest);
    if (target === undefined || target.pcb === 0) return;
    if (!t.timeout) return this.deliver(target, t.msg);
    const timeoutAtom = this.atoms.intern('timeout');
    this.deliverBuilt(target, sizeOfTerm(this, t.msg) + 4 + 4, (b) =>
      mkTuple3(b, timeoutAtom, this.refWithId(b, id), copyTerm(this, t.msg, b)),
    );
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
   * Runs processes until `until()` holds or nothing can run. Receive timers
   * are served by sleeping this thread until the next deadline.
   */
  runUntil(until: () => boolean): void {
    while (!until()) {
      const pcb = this.runQueue.dequeue();
      const p = pcb === 0 ? undefined : this.processOf(this.mem.i32[pcb + Pcb.Pid]!);
      if (p === undefined) {
        if (pcb !== 0) continue;
        if (!this.fireTimers()) return;
        continue;
      }
      if (p.status === ProcessStatus.Exited) continue;
      if (p.pendingExit !== undefined) {
        this.terminate(p, p.pendingExit);
        continue;
      }
      // Suspended (erlang:suspend_process): it stays runnable; resume_process queues it again.
      if (p.suspended > 0) continue;
      p.hibernated = false;
      p.status = ProcessStatus.Running;
      this.current = p;
      const s = this.schedulers;
      s.running(this.schedulerIndex, true);
      const t0 = performance.now();
      const reds = p.reductions;
      const r = run(this, p, this.regs, this.slice);
      s.addActive(this.schedulerIndex, performance.now() - t0);
      s.addReductions(this.schedulerIndex, p.reductions - reds);
      s.running(this.schedulerIndex, false);
      this.current = undefined;
      if (p.pendingExit !== undefined && r !== RunResult.Exit) {
        // An exit signal it sent itself (exit(self(), R), a link to itself...): it ends now.
        this.terminate(p, p.pendingExit);
        continue;
      }
      if (TRACE.slices) this.writeStderr(`beamjs: ${displayText(this, p.pid)} slice ended (${r}) at ${this.describeAddress(p.pc)}\n`);
      if (r === RunResult.Yield && p.hibernate !== undefined) this.hibernate(p);
      else if (r === RunResult.Yield) {
        if (this.parking.delete(p)) {
          // A native that waits for the host (vm/api.ts) parked it: it waits until wakeProcess.
          p.status = ProcessStatus.Waiting;
        } else {
          p.status = ProcessStatus.Runnable;
          this.runQueue.enqueue(p.pcb);
        }
      } else if (r === RunResult.Wait) {
        // Receive looked at everything it had: a message that came since is in the inbox. Publish
        // Waiting first, then look: a sender either sees Waiting (and wakes it) or pushed before the look.
        p.status = ProcessStatus.Waiting;
        if (!inboxEmpty(this.mem.i32, p.pcb)) this.wake(p.pcb);
      } else this.exit(p);
      if (this.timerHeap.size > 0 && this.timerHeap.next <= performance.now()) this.fireTimers(false);
    }
  }

  /** Queues a runnable process that is not in a run queue (resume_process). */
  makeRunnable(p: Process): void {
    // On its owner's queue: the resumer may run on another scheduler.
    if (p.status === ProcessStatus.Runnable && p !== this.current && !this.runQueue.holds(p.pcb)) this.schedulers.enqueue(p.pcb);
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
    if (queueLength(w, p.pcb) > 0) {
      p.status = ProcessStatus.Runnable;
      this.runQueue.enqueue(p.pcb);
    } else {
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
        // Due: a waiting process resumes at its timeout branch; a runnable one (woken by a message
        // its receive may not match) takes that branch at its next wait_timeout.
        p.timedOut = true;
        p.timeoutAt = -1;
        if (p.status !== ProcessStatus.Waiting) continue;
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

  /**
   * An exit signal from `from` (a pid) with `reason` reaches `target`, as the
   * real VM delivers it: `kill` from exit/2 ends the target with `killed`;
   * a process trapping exits gets {'EXIT', From, Reason}; `normal` is
   * ignored (unless a process sends it to itself); anything else ends the
   * target with the same reason, which its own links then receive.
   */
  exitSignal(from: Term, target: Process, reason: Term, viaExit2: boolean): void {
    if (target.status === ProcessStatus.Exited) return;
    const sourceMem = from;
    void sourceMem;
    if (viaExit2 && reason === commonAtom('kill')) return this.terminate(target, commonAtom('killed'));
    if (target.trapExit) {
      this.deliverBuilt(target, sizeOfTerm(this, reason) + 4, (b) => mkTuple3(b, commonAtom('EXIT'), from, copyTerm(this, reason, b)));
      return;
    }
    if (reason === commonAtom('normal') && from !== target.pid) return;
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

  /** Links two processes (both directions). */
  link(a: Process, b: Process): void {
    a.links.add(pidData(b.pid));
    b.links.add(pidData(a.pid));
  }

  unlink(a: Process, b: Process): void {
    a.links.delete(pidData(b.pid));
    b.links.delete(pidData(a.pid));
  }

  private exit(p: Process): void {
    p.status = ProcessStatus.Exited;
    this.schedulers.exited();
    const reason = p.exitReason;
    const normal = reason === commonAtom('normal');
    if (TRACE.exits) this.writeStderr(`beamjs: ${displayText(this, p.pid)} exited: ${displayText(this, reason)}\n`);
    if (!normal && p !== this.mainProcess && p !== this.kernel && p.exitClass === CLASS_ERROR) this.reportUncaught(p, reason);
    for (const [name, q] of this.registered) if (q === p) this.registered.delete(name);
    // Tables it owns go to their heirs or are deleted (bifs/ets.ts).
    etsOwnerExited(this, p);
    // Exit signals to the linked processes, then 'DOWN' to the monitors.
    const linked = p.hasLinks ? [...p.links] : [];
    if (linked.length > 0) p.links.clear();
    for (const n of linked) {
      const q = this.processes.get(n);
      if (q === undefined) continue;
      q.links.delete(pidData(p.pid));
      this.exitSignal(p.pid, q, reason, false);
    }
    notifyMonitors(p);
    releaseSuspensions(p);
    schedulerStatsExit(p);
    // Timers addressed to this pid are cancelled with it (those to a name are not).
    for (const [id, t] of this.timers) if (t.dest === p.pid) this.timers.delete(id);
    this.onProcessExit?.(p);
    if (p !== this.mainProcess) {
      this.processes.delete(pidData(p.pid));
      p.release();
    }
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
    const logger = isAtom(dest) ? this.registered.get(dest) : this.processOf(dest);
    if (logger === undefined || logger.status === ProcessStatus.Exited) {
      const text = `=ERROR REPORT==== ${reportTime()} ===\nError in process ${displayText(this, p.pid)} with exit value:\n${displayText(this, reason)}\n\n`;
      this.stdout(Buffer.from(text, 'latin1'));
      return;
    }
    const a = (s: string): Term => this.atoms.intern(s);
    const b = logger;
    const copy = copyTerm(this, reason, b);
    const emulator = mapFromArrays(b, [a('emulator'), a('tag')], [commonAtom('true'), a('error')]);
    const meta = mapFromArrays(b, [a('error_logger'), a('gl'), a('pid'), a('time')], [emulator, p.groupLeader, p.pid, mkInt(b, systemTimeMicro())]);
    const format = mkString(b, 'Error in process ~p with exit value:~n~p~n');
    this.deliver(b, mkTuple(b, [a('log'), a('error'), format, mkList(b, [p.pid, copy]), meta]));
  }

  writeStderr(text: string): void {
    process.stderr.write(text);
  }

  private mainProcess: Process | undefined;

  /**
   * Direct start-up: starts the I/O server, calls M:F(Args) in a new process
   * and runs until it ends. Returns the exit status (0 normal, 1 uncaught
   * error, N for halt(N)) and the entry process.
   */
  runMain(module: string, fun: string, args: Term[] | undefined): { status: number | string; process: Process; halted: boolean } {
    this.startIoServer();
    try {
      this.startKernel();
    } catch (e) {
      if (e instanceof Halt) {
        this.flushIo();
        return { status: e.status, process: this.kernel!, halted: true };
      }
      throw e;
    }
    const p = this.spawn(this.atoms.intern(module), this.atoms.intern(fun), args ?? []);
    // erl -run calls the entry function from a process that traps exits; so does direct start-up.
    p.trapExit = true;
    this.mainProcess = p;
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

  /** erlang:system_flag(system_logger, _): where reportUncaught sends (the name logger, a pid, or undefined). */
  systemLogger: Term = commonAtom('undefined');

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
    this.registered.set(this.atoms.intern('user'), io);
    const err = this.spawn(this.atoms.intern('beamjs_io'), this.atoms.intern('start'), [makeSmall(2)]);
    err.groupLeader = io.pid;
    this.registered.set(this.atoms.intern('standard_error'), err);
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
