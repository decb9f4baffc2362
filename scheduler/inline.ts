/**
 * The inline scheduler on an event loop (architecture brief, section 5:
 * `schedulers: 0`): the VM's processes run on the main thread in batches of
 * slices, and between batches the thread goes back to Node's event loop
 * (setImmediate), so sockets, promises and other VMs keep running. When no
 * process can run, the driver does not sleep the thread as `beamjs run`
 * does (Atomics.wait in VM.runUntil): it sets a timer for the next receive
 * timeout or erlang timer, or simply stops until something kicks it (a
 * message from the host, a settled promise of an async native).
 *
 * Whether those timers keep Node alive is the host's decision (`keepAlive`):
 * while a host call or receive waits for the VM they must; an idle VM with a
 * periodic Erlang timer must not hold a Node program open on its own.
 */
import { Halt } from '../vm/halt.js';
import type { VM } from '../vm/vm.js';

export interface InlineDriverOptions {
  /** Slices per batch before the event loop gets a turn (default 64). */
  slicesPerBatch?: number;
  /** Milliseconds a batch may take before it yields (default 10). */
  batchMs?: number;
  /** True while someone waits for the VM: its timers then keep Node's event loop alive. */
  keepAlive: () => boolean;
  /** erlang:halt(Status) ran. The driver stops. */
  onHalt: (status: number | string) => void;
  /** The VM failed (a beamjs bug). The driver stops. */
  onFailure: (error: unknown) => void;
}

export class InlineDriver {
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private readonly slicesPerBatch: number;
  private readonly batchMs: number;

  constructor(
    private readonly vm: VM,
    private readonly options: InlineDriverOptions,
  ) {
    this.slicesPerBatch = options.slicesPerBatch ?? 64;
    this.batchMs = options.batchMs ?? 10;
  }

  /** Something may have become runnable: run a batch on the next turn of the event loop. */
  kick(): void {
    if (this.stopped || this.immediate !== undefined || this.running) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.immediate = setImmediate(() => this.batch());
  }

  /** Whether a keep-alive wait was decided; re-evaluates the timer's ref (call when waiters change). */
  refresh(): void {
    if (this.timer === undefined) return;
    if (this.options.keepAlive()) this.timer.ref();
    else this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.immediate = undefined;
    this.timer = undefined;
  }

  private batch(): void {
    this.immediate = undefined;
    if (this.stopped) return;
    const vm = this.vm;
    this.running = true;
    try {
      let slices = 0;
      const deadline = performance.now() + this.batchMs;
      // runUntil checks the condition before each slice and never sleeps while it holds.
      vm.runUntil(() => vm.runQueue.length === 0 || ++slices > this.slicesPerBatch || performance.now() > deadline);
      const next = vm.pollTimers();
      this.running = false;
      if (vm.runQueue.length > 0) this.immediate = setImmediate(() => this.batch());
      else if (next >= 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.batch();
        }, Math.ceil(next));
        if (!this.options.keepAlive()) this.timer.unref();
      }
    } catch (e) {
      this.running = false;
      this.stop();
      if (e instanceof Halt) this.options.onHalt(e.status);
      else this.options.onFailure(e);
    }
  }
}
