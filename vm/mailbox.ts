/**
 * Message queues in shared memory.
 *
 * A sender copies the message into a fresh message block (scheduler/layout.ts
 * `Msg`) and pushes it on the receiver's inbox, a lock-free stack: any thread
 * may push with compareExchange; only the owner takes the whole stack (one
 * exchange), reverses it and appends it to its inner queue, a singly linked
 * list it alone touches. Receive walks the inner queue from the save slot;
 * `remove_message` unlinks the block at the save slot and hands it to the
 * process as a heap fragment (the next collection copies what is live out of
 * it and frees it). Signals (links, exits, monitors...: scheduler/layout.ts
 * `SigKind`) travel in the same inbox; moving it hands each one to the
 * owner's handler where it stands among the messages.
 *
 * Receive markers (OTP 24's recv_marker_* instructions): a marker remembers
 * the tail slot when a reference was made, so a receive that matches on that
 * reference starts there instead of at the head (a gen_server:call in a
 * process with a long queue stays O(new messages)). Messages that arrived
 * before the reference cannot contain it, so starting at or before the true
 * position is always correct. Unlinking the block a marker's slot belongs to
 * moves the marker to the previous slot.
 */
import { Msg, Pcb } from '../scheduler/layout.js';
import type { Memory } from './memory.js';
import { releaseProcBins } from './process.js';
import type { AtomTable } from './term/atoms.js';
import type { Builder } from './term/make.js';
import type { Term } from './term/tags.js';

/** Initial queue words of a new control block. */
export function initQueue(w: Int32Array, pcb: number): void {
  w[pcb + Pcb.Inbox] = 0;
  w[pcb + Pcb.QueueHead] = 0;
  w[pcb + Pcb.QueueTail] = pcb + Pcb.QueueHead;
  w[pcb + Pcb.Save] = pcb + Pcb.QueueHead;
  w[pcb + Pcb.QueueLen] = 0;
  w[pcb + Pcb.Marker0Slot] = 0;
  w[pcb + Pcb.Marker1Slot] = 0;
  w[pcb + Pcb.NextMarker] = 0;
}

/** Pushes a filled message block on pcb's inbox (any thread). */
export function pushInbox(w: Int32Array, pcb: number, block: number): void {
  const slot = pcb + Pcb.Inbox;
  let head = Atomics.load(w, slot);
  for (;;) {
    w[block + Msg.Next] = head;
    const seen = Atomics.compareExchange(w, slot, head, block);
    if (seen === head) return;
    head = seen;
  }
}

export function inboxEmpty(w: Int32Array, pcb: number): boolean {
  return Atomics.load(w, pcb + Pcb.Inbox) === 0;
}

/**
 * Handles one signal block (scheduler/layout.ts `SigKind`) for the process
 * of `pcb`, in its owner's thread, and takes the block over: returns a
 * message block to queue where the signal stood (an 'EXIT' or 'DOWN'
 * message), or 0.
 */
export type SignalHandler = (pcb: number, block: number) => number;

/**
 * Moves everything in the inbox to the end of the inner queue, in arrival
 * order (owner only), handling the signals among it where they stand (so a
 * signal takes effect before any later message of the same sender is seen).
 * Returns how many messages were queued. Without a handler, signals are
 * dropped. With senders on other threads the caller's views must be current
 * (Memory.refresh) before it: a block may lie beyond a view that predates
 * the sender's allocation.
 */
export function fetchInbox(w: Int32Array, pcb: number, onSignal?: SignalHandler): number {
  if (Atomics.load(w, pcb + Pcb.Inbox) === 0) return 0;
  let b = Atomics.exchange(w, pcb + Pcb.Inbox, 0);
  // The stack is newest first: reverse it; the newest becomes the last.
  const last = b;
  let prev = 0;
  let n = 0;
  let signals = false;
  while (b !== 0) {
    const next = w[b + Msg.Next]!;
    w[b + Msg.Next] = prev;
    // A signal's Term word is a kind with primary tag 00, which no message term has.
    if ((w[b + Msg.Term]! & 3) === 0) signals = true;
    prev = b;
    b = next;
    n++;
  }
  if (signals) return queueWithSignals(w, pcb, prev, onSignal);
  const tail = w[pcb + Pcb.QueueTail]!;
  w[tail] = prev;
  // The new tail slot is the last block's next word.
  w[pcb + Pcb.QueueTail] = last + Msg.Next;
  w[pcb + Pcb.QueueLen]! += n;
  return n;
}

/** fetchInbox's path when signals came: one block at a time, oldest first. */
function queueWithSignals(w: Int32Array, pcb: number, first: number, onSignal: SignalHandler | undefined): number {
  let n = 0;
  for (let b = first; b !== 0; ) {
    const next = w[b + Msg.Next]!;
    w[b + Msg.Next] = 0;
    const m = (w[b + Msg.Term]! & 3) !== 0 ? b : onSignal === undefined ? 0 : onSignal(pcb, b);
    if (m !== 0) {
      const tail = w[pcb + Pcb.QueueTail]!;
      w[tail] = m;
      w[m + Msg.Next] = 0;
      w[pcb + Pcb.QueueTail] = m + Msg.Next;
      w[pcb + Pcb.QueueLen]! += 1;
      n++;
    }
    b = next;
  }
  return n;
}

/**
 * Unlinks the block held by `slot` from the inner queue (owner only) and
 * returns it; the tail and any marker on the block's own slot move back to `slot`.
 */
export function unlinkAt(w: Int32Array, pcb: number, slot: number): number {
  const block = w[slot]!;
  const own = block + Msg.Next;
  w[slot] = w[own]!;
  w[own] = 0;
  if (w[pcb + Pcb.QueueTail] === own) w[pcb + Pcb.QueueTail] = slot;
  if (w[pcb + Pcb.Marker0Slot] === own) w[pcb + Pcb.Marker0Slot] = slot;
  if (w[pcb + Pcb.Marker1Slot] === own) w[pcb + Pcb.Marker1Slot] = slot;
  if (w[pcb + Pcb.Save] === own) w[pcb + Pcb.Save] = slot;
  w[pcb + Pcb.QueueLen]! -= 1;
  return block;
}

/** Messages not yet received: inner queue plus inbox (owner only; moves the inbox in first, handling its signals). */
export function queueLength(w: Int32Array, pcb: number, onSignal: SignalHandler): number {
  fetchInbox(w, pcb, onSignal);
  return w[pcb + Pcb.QueueLen]!;
}

/** The message blocks of the inner queue, oldest first (owner only; moves the inbox in first). */
export function queuedBlocks(w: Int32Array, pcb: number, onSignal: SignalHandler): number[] {
  fetchInbox(w, pcb, onSignal);
  const out: number[] = [];
  for (let b = w[pcb + Pcb.QueueHead]!; b !== 0; b = w[b + Msg.Next]!) out.push(b);
  return out;
}

/**
 * recv_marker_reserve: a marker at the current tail; returns its number (0
 * or 1, reused round robin: two nested calls in flight are the common worst case).
 */
export function reserveMarker(w: Int32Array, pcb: number, onSignal: SignalHandler): number {
  // Everything that has arrived goes before the marker (it cannot hold the reference about to be made).
  fetchInbox(w, pcb, onSignal);
  const i = w[pcb + Pcb.NextMarker]!;
  w[pcb + Pcb.NextMarker] = i ^ 1;
  const base = pcb + (i === 0 ? Pcb.Marker0Slot : Pcb.Marker1Slot);
  w[base] = w[pcb + Pcb.QueueTail]!;
  w[base + 1] = -1;
  return i;
}

/** recv_marker_bind: ties marker `i` to a reference id. */
export function bindMarker(w: Int32Array, pcb: number, i: number, refId: number): void {
  const base = pcb + (i === 0 ? Pcb.Marker0Slot : Pcb.Marker1Slot);
  if (w[base] !== 0) w[base + 1] = refId;
}

/** recv_marker_use: the slot a receive on this reference may start at (the head when no marker is bound). */
export function markerSlot(w: Int32Array, pcb: number, refId: number): number {
  if (refId >= 0) {
    if (w[pcb + Pcb.Marker0Slot] !== 0 && w[pcb + Pcb.Marker0Ref] === refId) return w[pcb + Pcb.Marker0Slot]!;
    if (w[pcb + Pcb.Marker1Slot] !== 0 && w[pcb + Pcb.Marker1Ref] === refId) return w[pcb + Pcb.Marker1Slot]!;
  }
  return pcb + Pcb.QueueHead;
}

/** recv_marker_clear. */
export function clearMarker(w: Int32Array, pcb: number, refId: number): void {
  if (w[pcb + Pcb.Marker0Ref] === refId) w[pcb + Pcb.Marker0Slot] = 0;
  if (w[pcb + Pcb.Marker1Ref] === refId) w[pcb + Pcb.Marker1Slot] = 0;
}

/** Frees a message block nobody will receive, with the references its ProcBins hold. */
export function dropMessage(mem: Memory, block: number): void {
  releaseProcBins(mem, mem.i32[block + Msg.OffHeap]!);
  mem.free(block);
}

/** Frees every message block still queued or in the inbox (the process has ended; signals still in the inbox are dropped). */
export function freeQueue(mem: Memory, pcb: number): void {
  const w = mem.i32;
  fetchInbox(w, pcb);
  let b = w[pcb + Pcb.QueueHead]!;
  while (b !== 0) {
    const next = w[b + Msg.Next]!;
    dropMessage(mem, b);
    b = next;
  }
  initQueue(w, pcb);
}

/**
 * Builds one message into a fresh message block (the sender's side of a
 * send): `open(words)` takes a block with room for the message's words,
 * builders allocate from it, `close(term)` records the message and returns
 * the block, ready for pushInbox. Off-heap binaries copied into the message
 * are linked into the block's own list.
 */
export class MessageBuilder implements Builder {
  private block = 0;
  private top = 0;
  private end = 0;

  constructor(
    readonly mem: Memory,
    readonly atoms: AtomTable,
  ) {}

  open(words: number): void {
    const block = this.mem.alloc(Msg.Data + Math.max(words, 0) || Msg.Data);
    const w = this.mem.i32;
    w[block + Msg.Next] = 0;
    w[block + Msg.OffHeap] = 0;
    this.block = block;
    this.top = block + Msg.Data;
    this.end = this.top + words;
  }

  alloc(words: number): number {
    const at = this.top;
    if (at + words > this.end) throw new Error(`message larger than its block (${at + words - this.end} words over)`);
    this.top = at + words;
    return at;
  }

  linkOffHeap(procBin: number): void {
    const w = this.mem.i32;
    w[procBin + 3] = w[this.block + Msg.OffHeap]!;
    w[this.block + Msg.OffHeap] = procBin;
  }

  close(term: Term): number {
    this.mem.i32[this.block + Msg.Term] = term;
    const b = this.block;
    this.block = 0;
    return b;
  }
}
