/**
 * A process: its heap and stack (one block of shared memory, the heap growing
 * up from the start and the stack growing down from the end), its saved
 * registers, mailbox and dictionary.
 *
 *   block                                                      blockEnd
 *   | heap (terms) ... top ->          free          <- stackTop ... stack |
 *
 * The stack holds frames: [CP][y0][y1]... with the stack pointer (E) at
 * the CP word; a CP is a code address shifted left by two, so its primary
 * tag is 00 and no scan mistakes it for a term. Catch words are immediates.
 *
 * While the interpreter runs a process it keeps the heap top and E in local
 * variables; it writes them back (`heap.top`, `stackTop`, and `heap.end =
 * stackTop`) before calling anything that may allocate or collect.
 *
 * Allocation outside instructions that reserved heap (BIFs, messages) goes
 * through `alloc`, which falls back to heap fragments: blocks of shared
 * memory that the next collection empties into the new heap.
 *
 * The block and the fragments are the young generation; data that survives
 * two collections is promoted to the old heap (oldHeap..oldEnd), a block of
 * its own (gc/collect.ts).
 *
 * The words other threads touch (status, pid, priority, run-queue link,
 * message queues) are a control block in shared memory (`pcb`, layout in
 * scheduler/layout.ts); the rest of the process's state is this JS object,
 * owned by the one thread that runs it, until the SMP schedulers (issue 6)
 * move it into shared memory too.
 */
import type { Memory } from './memory.js';
import type { AtomTable } from './term/atoms.js';
import { Heap } from './term/heap.js';
import type { Builder } from './term/make.js';
import type { VM } from './vm.js';
import type { MonitorEntry } from '../bifs/erlang_process.js';
import { NIL, type Term } from './term/tags.js';
import { Msg, Pcb } from '../scheduler/layout.js';
import { freeQueue, initQueue } from './mailbox.js';

/** The saved registers of a process that has none live (waiting in receive). */
export const NO_REGS = new Int32Array(0);

/** Process priorities, as Pcb.Priority holds them (run queue order). */
export const PRIORITY_MAX = 0;
export const PRIORITY_HIGH = 1;
export const PRIORITY_NORMAL = 2;
export const PRIORITY_LOW = 3;
const PRIORITY_NAMES = ['max', 'high', 'normal', 'low'];

/** Heap sizes in words, as the real VM grows them (233, 376, 610, 987, 1598...: each the sum of the two before plus one; then +20%). */
export function nextHeapSize(atLeast: number): number {
  let a = 233;
  let b = 376;
  while (a < atLeast) {
    if (a < 1_000_000) {
      const c = a + b + 1;
      a = b;
      b = c;
    } else {
      a = Math.ceil(a * 1.2);
    }
  }
  return a;
}

export const MIN_HEAP_SIZE = 233;

/** Sizes of the fragments Process.alloc makes for small allocations (words): at least the first, at most the second. */
const MIN_FRAGMENT_CHUNK = 64;
const MAX_FRAGMENT_CHUNK = 65536;

export const enum ProcessStatus {
  Runnable = 0,
  Running = 1,
  Waiting = 2,
  Exiting = 3,
  Exited = 4,
}

export class Process implements Builder {
  readonly heap: Heap;
  /** First word of the heap+stack block and one past its last word. */
  block: number;
  blockEnd: number;
  /** The stack pointer E (word index of the current frame's CP word); blockEnd when empty. */
  stackTop: number;
  /** Heap fragments (block addresses) filled by `alloc` when the heap had no room. */
  fragments: number[] = [];
  /** Words taken in fragments (the young data outside the heap block). */
  fragmentWords = 0;
  /** Words of received message blocks among the fragments not yet counted in fragmentWords. */
  messageWords = 0;
  /** The free part of the last fragment `alloc` made (0, 0 when none): later allocations fill it first. */
  fragTop = 0;
  fragEnd = 0;
  /** Head of the list of this process's young ProcBins (word index; 0 = end), for the GC's sweep. */
  offHeap = 0;

  // ---- generational GC state (gc/collect.ts)
  /** The old heap (promoted data): block address, top, end; 0 when there is none. */
  oldHeap = 0;
  oldTop = 0;
  oldEnd = 0;
  /** The young heap top after the last collection: live data below it is promoted by the next minor collection. */
  highWater = 0;
  /** The ProcBins in the old heap (the young list is `offHeap`). */
  oldOffHeap = 0;
  /** Words of the off-heap binary blocks the young and the old generation reference, and the limits that trigger a collection. */
  binVheap = 0;
  binVheapLimit = 46422;
  binOldVheap = 0;
  binOldVheapLimit = 46422;
  /** min_bin_vheap_size: the smallest binVheapLimit. */
  binVheapMin = 46422;
  /** Minor collections since the last fullsweep, and the spawn option / system flag fullsweep_after. */
  minorSinceFull = 0;
  fullsweepAfter = 65535;
  /** min_heap_size (words), and max_heap_size: size (0 = none), kill, error_logger. */
  minHeapSize = MIN_HEAP_SIZE;
  maxHeapSize = 0;
  maxHeapKill = true;
  maxHeapErrorLogger = true;
  /** Collections so far, by kind. */
  minorGcs = 0;
  majorGcs = 0;
  /** A collection asked for by garbage_collect (0 none, 1 minor, 2 major), made before the process runs again. */
  gcRequest = 0;

  // ---- execution state, saved when the process is not running
  pc = 0;
  cp = 0;
  /** Live X registers saved at a scheduling point. */
  savedX: Int32Array = NO_REGS;
  reductions = 0;
  /** Garbage collections so far (the interpreter notices one made under it by a cold path). */
  gcCount = 0;

  /**
   * The shared control words (scheduler/layout.ts `Pcb`): status, the
   * message queues and the run-queue link, which other threads touch.
   * 0 once the process has ended and released them.
   */
  pcb: number;

  get status(): ProcessStatus {
    return this.pcb === 0 ? ProcessStatus.Exited : Atomics.load(this.mem.i32, this.pcb + Pcb.Status);
  }

  set status(s: ProcessStatus) {
    if (this.pcb !== 0) Atomics.store(this.mem.i32, this.pcb + Pcb.Status, s);
  }

  /** A receive timer's deadline (ms, performance.now() clock) or -1. */
  timeoutAt = -1;
  /** Bumped whenever a receive timer is set or dropped: a timer-heap entry with another number is stale. */
  timerSeq = 0;
  timedOut = false;
  /** A receive's timeout has been read (and its timer set, unless infinity) by wait_timeout. */
  waitArmed = false;
  /** Address of the wait_timeout instruction to resume at when the receive timer fires. */
  timeoutPc = 0;
  /** Waiting in a receive (or hibernating) since it last ran: woken by signals only, it waits again without running. */
  inReceive = false;
  /**
   * A request to another thread's process in flight (process_info): its id,
   * 0 when none; and the answer once it came (a term in a received block,
   * adopted as a heap fragment), THE_NON_VALUE until then.
   */
  awaitingReply = 0;
  reply: Term = 0;
  /** Its last slice ended with reductions (or a yield) left to run: CPU-bound, so worth moving to an idle scheduler. */
  preempted = false;
  /** The suspensions it holds (erlang:suspend_process): suspendee pid -> count, made on first use. */
  suspendees: Map<Term, number> | undefined = undefined;
  /** It has made an alias (its exit then clears the ones left in the shared alias table). */
  madeAliases = false;
  /** Set by a BIF that wants the process to give up the scheduler after it returns (yield, spawn). */
  yieldRequested = false;

  /** Monitors on this process, and monitors it holds, by reference id (bifs/erlang_process.ts). */
  monitoredBy: Map<number, MonitorEntry> | undefined = undefined;
  monitoring: Map<number, MonitorEntry> | undefined = undefined;

  /** Linked processes, by pid data (number and serial; pids are immediates: no GC concern). Made on first use. */
  private linkSet: Set<number> | undefined = undefined;

  get links(): Set<number> {
    return (this.linkSet ??= new Set());
  }

  get hasLinks(): boolean {
    return this.linkSet !== undefined && this.linkSet.size > 0;
  }
  /** An exit signal that ends this process at its next scheduling point (set while it runs). */
  pendingExit: Term | undefined = undefined;

  /** Process dictionary as key, value, key, value ... (GC roots). */
  dictionary: Term[] = [];
  groupLeader: Term = NIL;
  trapExit = false;
  /** Where the process started: {M, F, Arity} of spawn (atoms and arity as numbers). */
  initialCall: [Term, Term, number] = [NIL, NIL, 0];
  /** The exit reason once exited; for an uncaught exception also its class, raw reason and stack trace. */
  exitReason: Term = NIL;
  exitClass: Term = NIL;
  exitRawReason: Term = NIL;
  exitTrace: Term = NIL;

  /** The VM this process runs in (for BIFs that reach processes, code and I/O). */
  vm!: VM;

  // ---- flags of process_flag/2 and spawn_opt (bifs/process_flags.ts); values only, the scheduler reads `suspended`
  /** Scheduling priority: 'max' | 'high' | 'normal' | 'low', kept in the control block for the run queues. */
  get priority(): string {
    return this.pcb === 0 ? 'normal' : PRIORITY_NAMES[this.mem.i32[this.pcb + Pcb.Priority]!]!;
  }

  set priority(name: string) {
    const i = PRIORITY_NAMES.indexOf(name);
    if (i >= 0 && this.pcb !== 0) this.mem.i32[this.pcb + Pcb.Priority] = i;
  }
  /** Active suspensions (erlang:suspend_process/1,2): a suspended process is not scheduled. */
  suspended = 0;
  /** Set by erlang:hibernate/3: the call to make, with an empty stack, when the next message arrives. */
  hibernate: { module: Term; fun: Term; args: Term } | undefined = undefined;
  /** Hibernating: waiting with an empty stack until a message arrives (process_info shows erlang:hibernate/3). */
  hibernated = false;
  /** The other process_flag values (min_heap_size, max_heap_size, save_calls ...), created on first use. */
  flags: ProcessFlags | undefined = undefined;

  constructor(
    readonly mem: Memory,
    readonly atoms: AtomTable,
    readonly pid: Term,
    heapWords: number = MIN_HEAP_SIZE,
    /** The control block of a process taken over from another thread (vm/process_state.ts fills in the rest). */
    adopt = 0,
  ) {
    if (adopt !== 0) {
      this.pcb = adopt;
      this.block = this.blockEnd = this.stackTop = 0;
      this.heap = new Heap(mem, 0, 0);
      return;
    }
    const pcb = mem.allocZeroed(Pcb.Words);
    const w = mem.i32;
    w[pcb + Pcb.Pid] = pid;
    w[pcb + Pcb.Priority] = PRIORITY_NORMAL;
    initQueue(w, pcb);
    this.pcb = pcb;
    this.block = mem.alloc(heapWords);
    this.blockEnd = this.block + heapWords;
    this.stackTop = this.blockEnd;
    this.heap = new Heap(mem, this.block, this.stackTop);
  }

  /** Words free between the heap top and the stack. */
  get freeWords(): number {
    return this.stackTop - this.heap.top;
  }

  /** Reserves words on the heap, or in a new heap fragment when the heap is full. Never fails. */
  alloc(words: number): number {
    const heap = this.heap;
    const at = heap.top;
    if (at + words <= this.stackTop) {
      heap.top = at + words;
      return at;
    }
    // The current fragment, if it has room; else a new one, bigger as more is taken (a BIF that builds
    // a term cell by cell on a full heap makes a few fragments, not one per cell).
    const top = this.fragTop;
    if (top + words <= this.fragEnd) {
      this.fragTop = top + words;
      this.fragmentWords += words;
      return top;
    }
    const size = Math.max(words, Math.min(MAX_FRAGMENT_CHUNK, Math.max(MIN_FRAGMENT_CHUNK, this.fragmentWords)));
    const frag = this.mem.alloc(size);
    this.fragments.push(frag);
    this.fragmentWords += words;
    this.fragTop = frag + words;
    this.fragEnd = frag + size;
    return frag;
  }

  /**
   * A heap with room for `words` words: the process heap when it has them,
   * else a new fragment (for builders that take a Heap, like fromETerm).
   * Words taken from the returned heap are the process's.
   */
  heapFor(words: number): Heap {
    this.heap.end = this.stackTop;
    if (this.heap.free >= words) return this.heap;
    const frag = this.mem.alloc(Math.max(words, 1));
    this.fragments.push(frag);
    this.fragmentWords += words;
    return new Heap(this.mem, frag, frag + Math.max(words, 1));
  }

  /**
   * A message block unlinked by remove_message becomes a heap fragment: its
   * term stays where the sender built it until the next collection, and its
   * ProcBins join this process's off-heap list.
   */
  adoptMessage(block: number): void {
    const w = this.mem.i32;
    let pb = w[block + Msg.OffHeap]!;
    while (pb !== 0) {
      const next = w[pb + 3]!;
      w[pb + 3] = this.offHeap;
      this.offHeap = pb;
      this.binVheap += w[w[pb + 2]! - 1]!;
      pb = next;
    }
    w[block + Msg.OffHeap] = 0;
    this.fragments.push(block);
    // Received messages ask for a collection (fragmentWords > 0 at the next allocation point) only
    // once they add up to the heap's size: a process that receives many small messages does not
    // collect after each one, and one that receives without allocating still collects in time.
    this.messageWords += this.mem.blockWords(block);
    if (this.messageWords > this.blockEnd - this.block) {
      this.fragmentWords += this.messageWords;
      this.messageWords = 0;
    }
  }

  linkOffHeap(procBin: number): void {
    const w = this.mem.i32;
    w[procBin + 3] = this.offHeap;
    this.offHeap = procBin;
    this.binVheap += w[w[procBin + 2]! - 1]!;
    // Much binary data taken in (by a BIF, a copy): collect before the process runs on (the virtual binary heap).
    if (this.binVheap > this.binVheapLimit && this.gcRequest === 0) {
      this.gcRequest = 1;
      this.yieldRequested = true;
    }
  }

  /**
   * Releases the heap, the fragments and the references to off-heap
   * binaries; the control block too, or, given `retire`, hands it over to be
   * freed later (another scheduler thread may still be sending to it).
   */
  release(retire?: (pcb: number) => void): void {
    const mem = this.mem;
    releaseProcBins(mem, this.offHeap);
    releaseProcBins(mem, this.oldOffHeap);
    this.offHeap = this.oldOffHeap = 0;
    this.binVheap = this.binOldVheap = 0;
    if (this.oldHeap !== 0) mem.free(this.oldHeap);
    this.oldHeap = this.oldTop = this.oldEnd = 0;
    for (const f of this.fragments) mem.free(f);
    this.fragments = [];
    this.fragmentWords = 0;
    this.messageWords = 0;
    this.fragTop = this.fragEnd = 0;
    if (this.block !== 0) mem.free(this.block);
    this.block = this.blockEnd = this.stackTop = 0;
    this.dictionary = [];
    if (this.pcb !== 0) {
      freeQueue(mem, this.pcb);
      Atomics.store(mem.i32, this.pcb + Pcb.Status, ProcessStatus.Exited);
      if (retire === undefined) mem.free(this.pcb);
      else retire(this.pcb);
      this.pcb = 0;
    }
  }
}

/** Releases a list of ProcBins linked through their next word (a heap's, or a dropped message's). */
export function releaseProcBins(mem: Memory, pb: number): void {
  for (; pb !== 0; pb = mem.i32[pb + 3]!) releaseOffHeapBlock(mem, mem.i32[pb + 2]!);
}

/** Drops one reference to an off-heap binary block, freeing it with the last. */
export function releaseOffHeapBlock(mem: Memory, block: number): void {
  if (Atomics.sub(mem.i32, block, 1) === 1) mem.free(block);
}

/** process_flag values that only the BIFs read (bifs/process_flags.ts). */
export interface ProcessFlags {
  minHeapSize: number;
  minBinVheapSize: number;
  /** max_heap_size: size 0 means no limit. */
  maxHeapSize: { size: number; kill: boolean; errorLogger: boolean };
  fullsweepAfter: number;
  messageQueueData: 'on_heap' | 'off_heap';
  saveCalls: number;
  sensitive: boolean;
  errorHandler: Term;
}
