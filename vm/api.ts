/**
 * The embedding API: beamjs inside a Node program (issue 10).
 *
 *   const vm = await BeamVM.create({ codePath: ['ebin'] });
 *   await vm.call('lists', 'reverse', [[1, 2, 3]]);     // [3, 2, 1]
 *
 * A BeamVM owns one VM (vm/vm.ts) and runs its processes on the main
 * thread with the inline driver (scheduler/inline.ts), which goes back to
 * the event loop between batches of slices: calls return promises and
 * never block Node. Values cross the boundary as vm/values.ts describes.
 *
 * - call(M, F, Args) spawns a process running beamjs_host:call/3
 *   (vm/runtime/beamjs_host.erl), which catches what M:F raises and hands
 *   the outcome to the host through a native; a process that dies before
 *   answering (killed by a link) rejects the call with its exit reason.
 * - A Mailbox is a process running beamjs_host:mailbox/0: Erlang code sends
 *   to its pid (or registered name) and each message goes to JS.
 * - Native functions written in JS get an entry of their own in the BIF
 *   table, published only in this VM's export table (bifs/registry.ts
 *   defineHostNative): another VM never sees them. A native that returns a
 *   promise parks its calling process (VM.parking) until the promise settles;
 *   the rest of the VM keeps running, as the real VM's dirty schedulers
 *   allow. The process re-enters the native's stub when woken and gets the
 *   value (or the exception) then; the return address waits on the JS side.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineHostNative, type BifEntry } from '../bifs/registry.js';
import { setHost, type Host } from '../bifs/host.js';
import { InlineDriver } from '../scheduler/inline.js';
import { schedulerOption } from '../scheduler/options.js';
import { Atom, Pid, Tuple, type ETerm } from '../loader/eterm.js';
import { OP_CALL_BIF_RETURN } from './code/ops.js';
import { ErlangException, CLASS_ERROR, CLASS_EXIT, CLASS_THROW } from './errors.js';
import type { Process } from './process.js';
import { ProcessStatus } from './process.js';
import { fromETerm, sizeOfETerm, toETerm } from './term/build.js';
import { Heap } from './term/heap.js';
import { ATOM_OK, commonAtom } from './term/atoms.js';
import { NIL, isLocalPid, pidData, type Term } from './term/tags.js';
import { writeTerm } from './text/write.js';
import { fromETermValue, toETermValue, type Value } from './values.js';
import { VM, libraryDirs } from './vm.js';

// ---------------------------------------------------------------- options

/** Where output goes: a callback, or anything with a `write(bytes)` method (a Writable stream). */
export type OutputTarget = ((bytes: Uint8Array) => void) | { write(bytes: Uint8Array): unknown };

/**
 * Standard input: all of it as a string or bytes, a callback that returns
 * the next line (undefined at end of input), or an async iterable of chunks
 * (a Readable stream such as process.stdin): a process reading then waits
 * for the next line without blocking the event loop.
 */
export type InputSource = string | Uint8Array | (() => string | Uint8Array | undefined) | AsyncIterable<string | Uint8Array>;

export interface BeamVMOptions {
  /**
   * Scheduler threads. 0 (the default) runs the processes inline on the
   * main thread, between turns of the event loop. The embedding API does
   * not run on worker schedulers yet (`beamjs run` does): any other number
   * is refused with a RangeError.
   */
  schedulers?: number;
  /** Directories searched for .beam files, before the OTP and Elixir libraries. */
  codePath?: string[];
  /** The Erlang/OTP installation (default: ERL_ROOT, else the erl on PATH, else /usr/lib/erlang). */
  otpRoot?: string;
  /** The Elixir installation whose lib/*\/ebin directories join the code path (default: /usr/lib/elixir or /usr/local/lib/elixir). */
  elixirRoot?: string;
  /** Put OTP's and Elixir's libraries on the code path (default true). */
  otpLibraries?: boolean;
  /** The most memory the VM may use, in bytes (default 1 GiB; reserved, not committed). */
  memoryLimit?: number;
  /** Standard output (default: process.stdout). */
  stdout?: OutputTarget;
  /** Standard error, where standard_error's output goes (default: process.stderr). */
  stderr?: OutputTarget;
  /** Standard input for io:get_line and friends (default: none, end of input at once). */
  stdin?: InputSource;
  /** The JIT tier: false turns it off. */
  jit?: false | { threshold?: number };
  /** Slices per batch before the event loop gets a turn (default 64). */
  slicesPerBatch?: number;
}

// ---------------------------------------------------------------- errors

export type ErlangClass = 'error' | 'exit' | 'throw';

/** One frame of an Erlang stack trace. */
export interface StackFrame {
  module: string;
  function: string;
  arity: number;
  /** The arguments, when the frame holds them instead of the arity (the top frame of a failed BIF call). */
  args?: Value[];
  file?: string;
  line?: number;
}

/**
 * An Erlang exception that reached JS (a call's rejection), or one JS raises
 * in Erlang (thrown by a native function): class, reason and stack trace.
 */
export class ErlangError extends Error {
  /** error, exit or throw. */
  readonly class: ErlangClass;
  readonly reason: Value;
  /** The stack trace as Erlang gave it: [{M, F, ArityOrArgs, Location}, ...]. */
  readonly erlangStacktrace: Value[];
  readonly stacktrace: StackFrame[];

  constructor(cls: ErlangClass, reason: Value, stacktrace: Value[] = []) {
    super(`${cls}: ${formatValue(reason)}`);
    this.name = 'ErlangError';
    this.class = cls;
    this.reason = reason;
    this.erlangStacktrace = stacktrace;
    this.stacktrace = stacktrace.map(parseFrame).filter((f): f is StackFrame => f !== undefined);
    if (this.stacktrace.length > 0) {
      this.stack = `${this.name}: ${this.message}\n${this.stacktrace.map((f) => `    at ${formatFrame(f)}`).join('\n')}`;
    }
  }
}

/** The VM stopped: erlang:halt/1 ran, or it was disposed, while something waited for it. */
export class VMStoppedError extends Error {
  constructor(
    message: string,
    /** halt's status when halted. */
    readonly status?: number | string,
  ) {
    super(message);
    this.name = 'VMStoppedError';
  }
}

/** quickjs-emscripten's shape: a result or an error, never both. */
export type Result<T> = { value: T; error?: undefined } | { value?: undefined; error: ErlangError };

/** ~w text of a value (for messages). */
export function formatValue(v: Value): string {
  try {
    return writeTerm(toETermValue(v));
  } catch {
    return String(v);
  }
}

function parseFrame(f: Value): StackFrame | undefined {
  if (!(f instanceof Tuple) || f.elements.length !== 4) return undefined;
  const [m, fn, a, loc] = f.elements;
  if (!(m instanceof Atom) || !(fn instanceof Atom)) return undefined;
  const frame: StackFrame = { module: m.name, function: fn.name, arity: typeof a === 'number' ? a : Array.isArray(a) ? a.length : 0 };
  if (Array.isArray(a)) frame.args = a;
  if (Array.isArray(loc)) {
    for (const item of loc) {
      if (!(item instanceof Tuple) || item.elements.length !== 2 || !(item.elements[0] instanceof Atom)) continue;
      const [k, v] = item.elements;
      if ((k as Atom).name === 'line' && typeof v === 'number') frame.line = v;
      if ((k as Atom).name === 'file' && Array.isArray(v)) frame.file = String.fromCodePoint(...(v as number[]));
    }
  }
  return frame;
}

function formatFrame(f: StackFrame): string {
  const where = f.file !== undefined ? ` (${f.file}${f.line !== undefined ? `:${f.line}` : ''})` : '';
  return `${f.module}:${f.function}/${f.arity}${where}`;
}

// ---------------------------------------------------------------- natives

/** What a native function sees as `this`. */
export interface NativeContext {
  /** The calling process. */
  readonly self: Pid;
  readonly vm: BeamVM;
}

/**
 * A native function: takes the call's arguments as Values and returns a
 * Value, or a promise of one (the calling process waits, the others run).
 * Throwing an ErlangError raises it in the caller; any other exception
 * becomes error:{js_error, Message} with Message a binary.
 */
export type NativeFunction<A extends Value[] = Value[]> = (this: NativeContext, ...args: A) => Value | PromiseLike<Value>;

interface NativeRecord {
  readonly key: string;
  readonly module: Term;
  readonly exportEntry: number;
  readonly stub: number;
  readonly entry: BifEntry;
  fn: NativeFunction<never[]>;
}

/** An async native's call in flight: where its process returns to, and the outcome once settled. */
interface Awaiting {
  readonly cp: number;
  state: 'pending' | 'value' | 'error';
  value?: Value;
  error?: unknown;
}

// ---------------------------------------------------------------- mailboxes

interface Waiter {
  match: ((v: Value) => boolean) | undefined;
  resolve: (v: Value | undefined) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A JS-side mailbox: a process whose messages come to JS. Erlang code sends
 * to `pid` (or to its registered name); JS takes them with `receive` or
 * `for await`.
 */
export class Mailbox implements AsyncIterable<Value> {
  private readonly queue: Value[] = [];
  private readonly waiters: Waiter[] = [];
  private closed = false;

  /** @internal */
  constructor(
    private readonly owner: BeamVM,
    /** @internal */ readonly process: Process,
    /** The mailbox's pid: send to it from Erlang. */
    readonly pid: Pid,
  ) {}

  /** Messages received and not yet taken. */
  get size(): number {
    return this.queue.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The next message (the first that `match` accepts, like a selective
   * receive). Resolves undefined after `timeout` ms, or when the mailbox closes.
   */
  receive(options: { timeout?: number; match?: (v: Value) => boolean } = {}): Promise<Value | undefined> {
    const { match, timeout } = options;
    const i = match === undefined ? (this.queue.length > 0 ? 0 : -1) : this.queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    if (this.closed || timeout === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const w: Waiter = { match, resolve, timer: undefined };
      if (timeout !== undefined) {
        w.timer = setTimeout(() => {
          this.removeWaiter(w);
          resolve(undefined);
        }, timeout);
      }
      this.waiters.push(w);
      this.owner.waitersChanged();
    });
  }

  /** Takes a message now, or undefined when none (that `match` accepts) is there. */
  tryReceive(match?: (v: Value) => boolean): Value | undefined {
    const i = match === undefined ? (this.queue.length > 0 ? 0 : -1) : this.queue.findIndex(match);
    return i >= 0 ? this.queue.splice(i, 1)[0] : undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Value> {
    for (;;) {
      const v = await this.receive();
      if (v === undefined) return;
      yield v;
    }
  }

  /** Ends the mailbox's process (exit reason normal); waiting receives resolve undefined. */
  close(): void {
    if (this.closed) return;
    this.owner.closeMailbox(this);
  }

  /** @internal A message arrived. */
  push(v: Value): void {
    for (const w of this.waiters) {
      if (w.match !== undefined && !w.match(v)) continue;
      this.removeWaiter(w);
      w.resolve(v);
      return;
    }
    this.queue.push(v);
  }

  /** @internal */
  get waiting(): number {
    return this.waiters.length;
  }

  /** @internal The process ended. */
  ended(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.resolve(undefined);
    }
    this.owner.waitersChanged();
  }

  private removeWaiter(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
    if (w.timer !== undefined) clearTimeout(w.timer);
    this.owner.waitersChanged();
  }
}

// ---------------------------------------------------------------- the VM

interface PendingCall {
  resolve: (r: Result<Value>) => void;
  reject: (e: unknown) => void;
}

let vmCounter = 0;

export class BeamVM {
  /** The VM underneath (vm/vm.ts): for beamjs's own tools and tests, not a stable API. */
  readonly internal: VM;
  /** A number that tells VMs of one Node process apart. */
  readonly id = ++vmCounter;
  private readonly driver: InlineDriver;
  private readonly calls = new Map<number, PendingCall>();
  private readonly mailboxes = new Map<number, Mailbox>();
  private readonly natives = new Map<string, NativeRecord>();
  private readonly awaiting = new Map<Process, Awaiting>();
  private stopped: VMStoppedError | undefined;
  private haltStatus: number | string | undefined;

  private constructor(options: BeamVMOptions) {
    const codePath = [...(options.codePath ?? [])];
    const withLibraries = options.otpLibraries !== false;
    const custom = options.otpRoot !== undefined || options.elixirRoot !== undefined;
    if (withLibraries && custom) codePath.push(...ebinDirs(options.otpRoot, options.elixirRoot));
    this.internal = new VM({
      codePath,
      otpLibraries: withLibraries && !custom,
      erlRoot: options.otpRoot,
      memory: { maxBytes: options.memoryLimit ?? 2 ** 30 },
      jit: options.jit,
      stdout: output(options.stdout ?? process.stdout),
      stderr: output(options.stderr ?? process.stderr),
      stdin: isAsyncIterable(options.stdin) ? () => undefined : input(options.stdin ?? ''),
    });
    const host: Host = {
      callResult: (p, outcome) => this.callResult(p, outcome),
      mailboxDeliver: (p, msg) => this.mailboxes.get(pidData(p.pid))?.push(this.valueOf(msg)),
    };
    setHost(this.internal, host);
    this.internal.onProcessExit = (p) => this.processExited(p);
    this.driver = new InlineDriver(this.internal, {
      slicesPerBatch: options.slicesPerBatch,
      keepAlive: () => this.calls.size > 0 || this.awaiting.size > 0 || [...this.mailboxes.values()].some((m) => m.waiting > 0),
      onHalt: (status) => this.stop(new VMStoppedError(`the VM halted with status ${status}`, status), status),
      onFailure: (e) => this.stop(new VMStoppedError(`the VM failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`), undefined),
    });
    this.internal.startIoServer();
    if (isAsyncIterable(options.stdin)) {
      // The I/O server's line reader becomes an async native of this VM, in place in beamjs_io's code.
      const lines = new LineReader(options.stdin);
      const vm = this.internal;
      const e = vm.exports.find(vm.atoms.intern('beamjs_io'), vm.atoms.intern('read_line'), 0);
      const at = e === undefined ? 0 : vm.exports.address(e);
      if (at === 0 || vm.mem.i32[at] !== OP_CALL_BIF_RETURN) throw new Error('beamjs: the I/O server has no native read_line/0');
      this.installNative('beamjs_io', 'read_line', 0, async () => (await lines.next()) ?? Atom.of('eof'), at);
    }
    this.driver.kick();
  }

  /** A new VM. Everything it needs is loaded lazily: modules come from the code path on first call. */
  static async create(options: BeamVMOptions = {}): Promise<BeamVM> {
    // The API's natives, mailboxes and calls live on this thread's event loop: worker schedulers are refused (RangeError).
    if (schedulerOption(options.schedulers, 'inline') !== 0) {
      throw new RangeError(`schedulers: ${options.schedulers}: the embedding API runs one scheduler inline (0); worker schedulers are for beamjs run`);
    }
    return new BeamVM(options);
  }

  /** erlang:halt's status once the VM halted, else undefined. */
  get halted(): number | string | undefined {
    return this.haltStatus;
  }

  get isDisposed(): boolean {
    return this.stopped !== undefined;
  }

  // ---------------------------------------------------------------- code

  /**
   * Loads a module from a .beam file's bytes or path (replacing a loaded
   * version, as code:load_binary does). Returns the module's name.
   */
  load(source: Uint8Array | string): string {
    this.live();
    const bytes = typeof source === 'string' ? readFileSync(source) : source;
    const m = this.internal.load(bytes);
    // Natives defined for this module win over the .beam's functions (NIF stubs).
    for (const n of this.natives.values()) if (n.module === m.name) this.internal.exports.setAddress(n.exportEntry, n.stub);
    return m.nameText;
  }

  /**
   * Defines `module:function/arity` as a JS function for this VM only. A
   * function that returns a promise suspends only its calling process.
   * Natives go in modules of their own; one defined in a module that is
   * loaded with BeamVM.load replaces that module's function (a NIF).
   */
  defineNative<A extends Value[]>(spec: string, fn: NativeFunction<A>): void {
    this.live();
    const m = /^(.+):([^:/]+)\/(\d+)$/.exec(spec);
    if (m === null) throw new TypeError(`defineNative: '${spec}' is not 'module:function/arity'`);
    const [, module, name, arityText] = m;
    const arity = Number(arityText);
    if (arity > 255) throw new TypeError('defineNative: arity above 255');
    if (this.natives.has(spec)) throw new Error(`defineNative: ${spec} is already defined in this VM`);
    this.installNative(module!, name!, arity, fn as unknown as NativeFunction<never[]>);
  }

  /**
   * A native's table entry and stub: a new stub published in the export
   * table, or (`at`) the stub the loader wrote for a function of a loaded
   * module, which local calls reach too.
   */
  private installNative(module: string, name: string, arity: number, fn: NativeFunction<never[]>, at?: number): void {
    const vm = this.internal;
    const modAtom = vm.atoms.intern(module);
    const record: NativeRecord = {
      key: `${module}:${name}/${arity}`,
      module: modAtom,
      exportEntry: vm.exports.entry(modAtom, vm.atoms.intern(name), arity),
      stub: at ?? vm.mem.alloc(2),
      entry: defineHostNative(module, name, arity, (p, args) => this.invokeNative(p, record, args)),
      fn,
    };
    vm.mem.refresh();
    vm.mem.i32[record.stub] = OP_CALL_BIF_RETURN;
    vm.mem.i32[record.stub + 1] = record.entry.index;
    if (at === undefined) vm.exports.setAddress(record.exportEntry, record.stub);
    this.natives.set(record.key, record);
  }

  /** defineNative for several functions of one module: `defineNatives('js', { 'add/2': (a, b) => a + b })`. */
  defineNatives(module: string, fns: Record<string, NativeFunction<never[]>>): void {
    for (const [nameArity, fn] of Object.entries(fns)) this.defineNative(`${module}:${nameArity}`, fn as NativeFunction<Value[]>);
  }

  // ---------------------------------------------------------------- calls

  /**
   * Calls module:fun(...args) in a new process and resolves with what it
   * returns; rejects with an ErlangError carrying what it raised (class,
   * reason, stack trace), or its exit reason if it was killed.
   */
  async call(module: string | Atom, fun: string | Atom, args: Value[] = []): Promise<Value> {
    const r = await this.tryCall(module, fun, args);
    if (r.error !== undefined) throw r.error;
    return r.value;
  }

  /** call, with the outcome as `{ value }` or `{ error }` instead of a rejection. */
  async tryCall(module: string | Atom, fun: string | Atom, args: Value[] = []): Promise<Result<Value>> {
    this.live();
    const vm = this.internal;
    const argList = toETermValue(args);
    const words = sizeOfETerm(argList, vm); // checks it all before anything starts
    const p = vm.spawn(vm.atoms.intern('beamjs_host'), vm.atoms.intern('call'), [this.atom(module), this.atom(fun), NIL]);
    p.savedX[2] = this.build(p, argList, words);
    return new Promise((resolve, reject) => {
      this.calls.set(pidData(p.pid), { resolve, reject });
      this.driver.refresh();
      this.driver.kick();
    });
  }

  /** A new process running module:fun(...args); its pid. */
  spawn(module: string | Atom, fun: string | Atom, args: Value[] = []): Pid {
    this.live();
    const vm = this.internal;
    const m = this.atom(module);
    const f = this.atom(fun);
    const argList = toETermValue(args);
    const words = sizeOfETerm(argList, vm);
    // Started as erlang:apply(M, F, Args), which raises undef as the real spawn does when M:F is missing.
    const p = vm.spawn(vm.atoms.intern('erlang'), vm.atoms.intern('apply'), [m, f, NIL]);
    p.savedX[2] = this.build(p, argList, words);
    p.initialCall = [m, f, args.length];
    this.driver.kick();
    return this.pidOf(p.pid);
  }

  /** Sends a message (Erlang's `!`) to a pid or a registered name; false when no process has it. */
  send(dest: Pid | string | Atom, msg: Value): boolean {
    this.live();
    const target = this.processOf(dest);
    if (target === undefined) return false;
    const e = toETermValue(msg);
    const vm = this.internal;
    const words = sizeOfETerm(e, vm);
    vm.deliverBuilt(target.pcb, words, (b) => {
      const at = b.alloc(words);
      return fromETerm(vm, new Heap(vm.mem, at, at + words), e);
    });
    this.driver.kick();
    return true;
  }

  /** A JS-side mailbox (a process whose messages come to JS), registered under `name` if given. */
  mailbox(options: { name?: string } = {}): Mailbox {
    this.live();
    const vm = this.internal;
    if (options.name !== undefined && vm.whereis(vm.atoms.intern(options.name)) !== 0) {
      throw new Error(`mailbox: the name ${options.name} is already registered`);
    }
    const p = vm.spawn(vm.atoms.intern('beamjs_host'), vm.atoms.intern('mailbox'), []);
    const box = new Mailbox(this, p, this.pidOf(p.pid));
    this.mailboxes.set(pidData(p.pid), box);
    if (options.name !== undefined) vm.register(vm.atoms.intern(options.name), p.pid);
    this.driver.kick();
    return box;
  }

  /** The pid registered under `name`, as erlang:whereis/1; undefined for none. */
  whereis(name: string | Atom): Pid | undefined {
    this.live();
    const p = this.internal.registeredProcess(this.atom(name));
    return p === undefined ? undefined : this.pidOf(p.pid);
  }

  /** Whether the process is alive (erlang:is_process_alive/1). */
  isAlive(pid: Pid): boolean {
    return this.processOf(pid) !== undefined;
  }

  // ---------------------------------------------------------------- life

  /** Stops the VM: pending calls reject with VMStoppedError, mailboxes close, natives refuse. */
  async dispose(): Promise<void> {
    this.stop(new VMStoppedError('the VM was disposed'), undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  // ---------------------------------------------------------------- internals

  /** @internal A mailbox's receive waits began or ended: timers keep Node alive while someone waits. */
  waitersChanged(): void {
    this.driver.refresh();
  }

  /** @internal */
  closeMailbox(box: Mailbox): void {
    const p = box.process;
    if (!this.stopped && p.status !== ProcessStatus.Exited) {
      this.internal.terminate(p, commonAtom('normal'));
      this.driver.kick();
    }
    this.mailboxes.delete(pidData(p.pid));
    box.ended();
  }

  private stop(error: VMStoppedError, status: number | string | undefined): void {
    if (this.stopped !== undefined) return;
    this.stopped = error;
    this.haltStatus = status;
    this.driver.stop();
    for (const c of this.calls.values()) c.reject(error);
    this.calls.clear();
    for (const box of this.mailboxes.values()) box.ended();
    this.mailboxes.clear();
    this.awaiting.clear();
    for (const n of this.natives.values()) n.fn = () => { throw error; };
    setHost(this.internal, undefined);
  }

  private live(): void {
    if (this.stopped !== undefined) throw this.stopped;
  }

  private atom(name: string | Atom): Term {
    return this.internal.atoms.intern(typeof name === 'string' ? name : name.name);
  }

  private valueOf(t: Term): Value {
    return fromETermValue(toETerm(this.internal, t));
  }

  private pidOf(pid: Term): Pid {
    return toETerm(this.internal, pid) as Pid;
  }

  /** Builds a term on p's heap (or a fragment of it). */
  private build(p: Process, e: ETerm, words = sizeOfETerm(e, this.internal)): Term {
    return fromETerm(this.internal, p.heapFor(words), e);
  }

  private processOf(dest: Pid | string | Atom): Process | undefined {
    const vm = this.internal;
    if (typeof dest === 'string' || dest instanceof Atom) return vm.registeredProcess(this.atom(dest));
    if (!(dest instanceof Pid)) return undefined;
    const heap = new Heap(vm.mem, 0, 0);
    let t: Term;
    try {
      t = fromETerm(vm, heap, dest); // a local pid is an immediate: no words
    } catch {
      return undefined;
    }
    if (!isLocalPid(t)) return undefined;
    const p = vm.processOf(t);
    return p === undefined || p.status === ProcessStatus.Exited ? undefined : p;
  }

  private callResult(p: Process, outcome: Term): void {
    const call = this.calls.get(pidData(p.pid));
    if (call === undefined) return;
    this.calls.delete(pidData(p.pid));
    const v = this.valueOf(outcome);
    if (!(v instanceof Tuple)) return call.reject(new Error('beamjs: a malformed call outcome'));
    const [tag, a, b] = v.elements;
    if (v.elements.length === 2 && tag instanceof Atom && tag.name === 'ok') call.resolve({ value: a! });
    else {
      const stack = Array.isArray(b) ? b.filter((f) => !(f instanceof Tuple && f.elements[0] instanceof Atom && f.elements[0].name === 'beamjs_host')) : [];
      call.resolve({ error: new ErlangError((tag as Atom).name as ErlangClass, a!, stack) });
    }
    this.driver.refresh();
  }

  private processExited(p: Process): void {
    const key = pidData(p.pid);
    this.internal.parking.delete(p);
    this.awaiting.delete(p);
    const call = this.calls.get(key);
    if (call !== undefined) {
      this.calls.delete(key);
      call.resolve({ error: new ErlangError('exit', this.valueOf(p.exitReason)) });
      this.driver.refresh();
    }
    const box = this.mailboxes.get(key);
    if (box !== undefined) {
      this.mailboxes.delete(key);
      box.ended();
    }
  }

  /** The body of every JS native of this VM (see the file comment for the async protocol). */
  private invokeNative(p: Process, native: NativeRecord, args: Term[]): Term {
    const vm = this.internal;
    const waiting = this.awaiting.get(p);
    if (waiting !== undefined) {
      // Back in the stub after a park: still pending (a message woke it), or settled.
      if (waiting.state === 'pending') return this.park(p, native);
      this.awaiting.delete(p);
      p.cp = waiting.cp;
      this.driver.refresh();
      if (waiting.state === 'error') throw this.raise(p, waiting.error);
      return this.result(p, waiting.value!);
    }
    let r: Value | PromiseLike<Value>;
    try {
      const jsArgs = new Array<Value>(native.entry.arity);
      for (let i = 0; i < jsArgs.length; i++) jsArgs[i] = this.valueOf(args[i]!);
      const ctx: NativeContext = { self: this.pidOf(p.pid), vm: this };
      r = (native.fn as NativeFunction<Value[]>).apply(ctx, jsArgs);
    } catch (e) {
      throw this.raise(p, e);
    }
    if (!isThenable(r)) return this.result(p, r);
    const a: Awaiting = { cp: p.cp, state: 'pending' };
    this.awaiting.set(p, a);
    const settle = (state: 'value' | 'error', x: unknown): void => {
      if (this.awaiting.get(p) !== a) return; // the process ended meanwhile
      a.state = state;
      if (state === 'value') a.value = x as Value;
      else a.error = x;
      vm.wakeProcess(p);
      this.driver.kick();
    };
    r.then(
      (v) => settle('value', v),
      (e) => settle('error', e),
    );
    this.driver.refresh();
    return this.park(p, native);
  }

  /** Leaves the native so that the process, when woken, comes back into its stub: it waits until then. */
  private park(p: Process, native: NativeRecord): Term {
    p.cp = native.stub;
    p.yieldRequested = true;
    this.internal.parking.add(p);
    return ATOM_OK;
  }

  /** A native's return value on the caller's heap; a value that is no term raises error:{js_error, Message}. */
  private result(p: Process, v: Value): Term {
    let e: ETerm;
    let words: number;
    try {
      e = toETermValue(v);
      words = sizeOfETerm(e, this.internal);
    } catch (err) {
      throw this.raise(p, err);
    }
    return this.build(p, e, words);
  }

  /** The Erlang exception for what a native threw. */
  private raise(p: Process, e: unknown): ErlangException {
    if (e instanceof ErlangException) return e;
    let cls = CLASS_ERROR;
    let reason: ETerm;
    if (e instanceof ErlangError) {
      cls = e.class === 'exit' ? CLASS_EXIT : e.class === 'throw' ? CLASS_THROW : CLASS_ERROR;
      try {
        reason = toETermValue(e.reason);
      } catch {
        reason = jsError('bad reason');
      }
    } else reason = jsError(e instanceof Error ? e.message : String(e));
    return new ErlangException(cls, this.build(p, reason));
  }
}

function jsError(message: string): ETerm {
  return new Tuple([Atom.of('js_error'), toETermValue(message)]);
}

function isAsyncIterable(v: unknown): v is AsyncIterable<string | Uint8Array> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** Lines (with their newline) from an async iterable of chunks. */
class LineReader {
  private buffer = new Uint8Array(0);
  private done = false;
  private readonly chunks: AsyncIterator<string | Uint8Array>;
  private readonly encoder = new TextEncoder();

  constructor(source: AsyncIterable<string | Uint8Array>) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  async next(): Promise<Uint8Array | undefined> {
    for (;;) {
      const nl = this.buffer.indexOf(10);
      if (nl >= 0 || (this.done && this.buffer.length > 0)) {
        const end = nl >= 0 ? nl + 1 : this.buffer.length;
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.subarray(end);
        return line;
      }
      if (this.done) return undefined;
      const r = await this.chunks.next();
      if (r.done) this.done = true;
      else {
        const chunk = typeof r.value === 'string' ? this.encoder.encode(r.value) : r.value;
        const joined = new Uint8Array(this.buffer.length + chunk.length);
        joined.set(this.buffer);
        joined.set(chunk, this.buffer.length);
        this.buffer = joined;
      }
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<Value> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function output(target: OutputTarget): (bytes: Uint8Array) => void {
  if (typeof target === 'function') return target;
  return (bytes) => void target.write(bytes);
}

/** The VM's line reader over an input source. */
function input(source: Exclude<InputSource, AsyncIterable<string | Uint8Array>>): () => Uint8Array | undefined {
  const encoder = new TextEncoder();
  if (typeof source === 'function') {
    return () => {
      const line = source();
      return typeof line === 'string' ? encoder.encode(line) : line;
    };
  }
  let rest = typeof source === 'string' ? encoder.encode(source) : source;
  return () => {
    if (rest.length === 0) return undefined;
    const nl = rest.indexOf(10);
    const end = nl < 0 ? rest.length : nl + 1;
    const line = rest.slice(0, end);
    rest = rest.subarray(end);
    return line;
  };
}

/** lib/*\/ebin of an OTP root and an Elixir root (the defaults where one is not given). */
function ebinDirs(otpRoot: string | undefined, elixirRoot: string | undefined): string[] {
  const under = (lib: string): string[] =>
    existsSync(lib)
      ? readdirSync(lib)
          .sort()
          .map((app) => join(lib, app, 'ebin'))
          .filter((d) => existsSync(d))
      : [];
  const defaults = libraryDirs();
  const otp = otpRoot !== undefined ? under(join(otpRoot, 'lib')) : defaults.filter((d) => !d.includes('elixir'));
  const elixir = elixirRoot !== undefined ? under(join(elixirRoot, 'lib')) : defaults.filter((d) => d.includes('elixir'));
  return [...otp, ...elixir];
}
