/**
 * The full-sweep garbage collector of one process: Cheney's copying
 * algorithm from the process's heap and heap fragments (from-space) into a
 * fresh block (to-space), then the stack moved to the top of that block.
 *
 *   roots:   x[0..live-1], the stack's term words, the dictionary, the
 *            group leader, the exit reason, the caller's extra roots
 *   copy:    a root pointing into from-space is evacuated: the object is copied
 *            to the to-space top and its old place becomes a forwarding marker,
 *            so an object reached twice is copied once (sharing is kept)
 *   scan:    a pointer walks the to-space from its start; every term word of
 *            every copied object is evacuated in turn, until it meets the top.
 *            No recursion: a list of ten million cells or a tuple nested a
 *            hundred thousand deep costs no JS stack.
 *
 * Forwarding markers: a moved boxed object's header becomes a boxed pointer to
 * its copy (a header's primary tag is 00, so it never looks like one); a moved
 * cons gets THE_NON_VALUE (0) in its head, which no live cons holds, and the
 * list pointer to its copy in its tail.
 *
 * Anything outside from-space (module literals, the to-space itself) is left
 * where it is. In the to-space a word whose primary tag is 00 starts a boxed
 * object (its header says how many words follow and which are terms); any
 * other word is the head of a cons cell.
 *
 * Off-heap binaries: each copied ProcBin is linked into a new off-heap list as
 * it is copied; afterwards the old list is walked and the block of every
 * ProcBin that was not copied (its header is no forwarding pointer) loses
 * one reference.
 *
 * Sizing (after OTP's adjust_after_fullsweep): with `wanted` = live words +
 * stack + need, the heap grows to the next size of the sequence (nextHeapSize)
 * above wanted * 4/3 when wanted is more than 75% of it, shrinks to the size
 * above 2 * wanted when wanted is less than 25% of it, and otherwise keeps its
 * size. Right after a grow the heap is at most 75% used and after a shrink at
 * most 50%, so neither decision undoes the other at the next collection. The
 * to-space is allocated at the current size (or larger when fragments may
 * hold more live data); when the decided size does not fit that block, the
 * live data is copied a second time into a block of the decided size (grow
 * and shrink are rare; the common collection copies once).
 */
import type { Memory } from '../vm/memory.js';
import { MIN_HEAP_SIZE, type Process, nextHeapSize, releaseOffHeapBlock } from '../vm/process.js';
import { MATCH_STATE_TERM_WORDS } from '../vm/term/bits.js';
import { FUN_FIXED_WORDS, hamtChildCount } from '../vm/term/build.js';
import {
  MAP_KIND_FLAT,
  MAP_KIND_HAMT_NODE,
  SUB_FUN,
  SUB_MAP,
  SUB_MATCH_STATE,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  SUB_TUPLE,
  THE_NON_VALUE,
  type Term,
  headerArity,
  headerSubtag,
  isBoxed,
  isHeader,
  isList,
  makeBoxed,
  makeList,
  mapHeaderKind,
  ptrVal,
} from '../vm/term/tags.js';

// ---------------------------------------------------------------- object layouts

/** Offset of a local fun's creator pid (a term) from its header (vm/term/build.ts). */
const FUN_CREATOR_OFFSET = 10;
/** Offset of a sub-binary's `orig` (the one term word of a sub-binary). */
const SUB_BINARY_ORIG_OFFSET = 5;
/** Offset of a ProcBin's `next` word (the off-heap list link). */
export const PROCBIN_NEXT_OFFSET = 3;
/** Offset of a ProcBin's off-heap block word. */
export const PROCBIN_BLOCK_OFFSET = 2;

/**
 * The size in words of the boxed object at `a` (header `hdr`), and where its
 * term words are: up to two ranges [out[0], out[1]) and [out[2], out[3]) of
 * absolute word indices (empty when start = end). Every other word is raw and
 * must not be read as a term.
 */
export function objectLayout(w: Int32Array, a: number, hdr: number, out: Int32Array): number {
  const arity = headerArity(hdr);
  out[2] = out[3] = 0;
  switch (headerSubtag(hdr)) {
    case SUB_TUPLE:
      out[0] = a + 1;
      out[1] = a + 1 + arity;
      return 1 + arity;
    case SUB_FUN:
      // [module atom][raw...][creator pid][k][free vars]: the module is an atom, no need to visit it.
      out[0] = a + FUN_CREATOR_OFFSET;
      out[1] = a + FUN_CREATOR_OFFSET + 1;
      out[2] = a + FUN_FIXED_WORDS;
      out[3] = a + 1 + arity;
      return 1 + arity;
    case SUB_SUB_BINARY:
      out[0] = a + SUB_BINARY_ORIG_OFFSET;
      out[1] = a + SUB_BINARY_ORIG_OFFSET + 1;
      return 1 + arity;
    case SUB_MATCH_STATE:
      // [hdr][orig][base][pos][end][saved...] (vm/term/bits.ts): only orig is a term.
      out[0] = a + 1;
      out[1] = a + 1 + Math.min(MATCH_STATE_TERM_WORDS, arity);
      return 1 + arity;
    case SUB_MAP: {
      const kind = mapHeaderKind(hdr);
      if (kind === MAP_KIND_FLAT) {
        // [hdr][n raw][keys tuple][values...]
        const n = w[a + 1]!;
        out[0] = a + 2;
        out[1] = a + 3 + n;
        return 3 + n;
      }
      const children = hamtChildCount(hdr);
      const first = kind === MAP_KIND_HAMT_NODE ? a + 1 : a + 2; // a head has its size word first
      out[0] = first;
      out[1] = first + children;
      return first - a + children;
    }
    default:
      // Bignums, floats, refs, heap binaries, ProcBins: raw. Export funs and
      // external pids/ports/refs hold atoms and smalls (immediates) and raw words.
      out[0] = out[1] = 0;
      return 1 + arity;
  }
}

/** The size in words of the boxed object at `a`. */
export function objectWords(w: Int32Array, a: number, hdr: number): number {
  if (headerSubtag(hdr) !== SUB_MAP) return 1 + headerArity(hdr);
  const kind = mapHeaderKind(hdr);
  if (kind === MAP_KIND_FLAT) return 3 + w[a + 1]!;
  return (kind === MAP_KIND_HAMT_NODE ? 1 : 2) + hamtChildCount(hdr);
}

// ---------------------------------------------------------------- sizing

/** The heap size (heap + stack words) for `wanted` words after a collection of a heap of `current` words. */
export function chooseHeapSize(wanted: number, current: number): number {
  if (wanted * 4 > current * 3) return nextHeapSize(Math.ceil((wanted * 4) / 3));
  if (wanted * 4 < current && current > MIN_HEAP_SIZE) return Math.min(current, nextHeapSize(2 * wanted));
  return current;
}

// ---------------------------------------------------------------- the copier

/** One Cheney pass: from-space is [lo, hi) plus the fragment blocks; copies go to `hp` upward. */
class Evacuator {
  readonly w: Int32Array;
  hp: number;
  /** Head of the off-heap list of the ProcBins copied so far. */
  offHeap = 0;
  private readonly layout = new Int32Array(4);
  /** Fragment blocks, sorted by address: [fragStart[i], fragEnd[i]). */
  private readonly fragStart: Int32Array;
  private readonly fragEnd: Int32Array;

  constructor(
    mem: Memory,
    private readonly lo: number,
    private readonly hi: number,
    fragments: readonly number[],
    readonly to: number,
    /** One past the last word of the to-space block. */
    private readonly limit: number,
  ) {
    this.w = mem.i32;
    this.hp = to;
    const sorted = [...fragments].sort((a, b) => a - b);
    this.fragStart = Int32Array.from(sorted);
    this.fragEnd = Int32Array.from(sorted, (f) => f + mem.blockWords(f));
  }

  private inFrom(a: number): boolean {
    if (a >= this.lo && a < this.hi) return true;
    const starts = this.fragStart;
    if (starts.length === 0) return false;
    // The last fragment starting at or before a.
    let l = 0;
    let h = starts.length - 1;
    if (a < starts[0]!) return false;
    while (l < h) {
      const m = (l + h + 1) >>> 1;
      if (starts[m]! <= a) l = m;
      else h = m - 1;
    }
    return a < this.fragEnd[l]!;
  }

  /** The term that replaces t: t itself unless it points into from-space. */
  evac(t: Term): Term {
    const list = isList(t);
    if (!list && !isBoxed(t)) return t;
    const a = ptrVal(t);
    if (!this.inFrom(a)) return t;
    const w = this.w;
    if (list) {
      const head = w[a]!;
      if (head === THE_NON_VALUE) return w[a + 1]!; // moved: the tail holds the new cell
      const n = this.hp;
      if (n + 2 > this.limit) toSpaceOverflow();
      this.hp = n + 2;
      w[n] = head;
      w[n + 1] = w[a + 1]!;
      const moved = makeList(n);
      w[a] = THE_NON_VALUE;
      w[a + 1] = moved;
      return moved;
    }
    const hdr = w[a]!;
    if (isBoxed(hdr)) return hdr; // moved: the header is the pointer to the copy
    const size = objectWords(w, a, hdr);
    const n = this.hp;
    if (n + size > this.limit) toSpaceOverflow();
    this.hp = n + size;
    if (size <= 8) for (let i = 0; i < size; i++) w[n + i] = w[a + i]!;
    else w.copyWithin(n, a, a + size);
    if (headerSubtag(hdr) === SUB_REFC_BINARY) {
      w[n + PROCBIN_NEXT_OFFSET] = this.offHeap;
      this.offHeap = n;
    }
    const moved = makeBoxed(n);
    w[a] = moved;
    return moved;
  }

  /** Evacuates each of terms[0..n-1] in place. */
  roots(terms: { [i: number]: Term; length: number }, n = terms.length): void {
    for (let i = 0; i < n; i++) terms[i] = this.evac(terms[i]!);
  }

  /** Evacuates the term words among w[from..to-1] (stack words that are not terms are left alone). */
  memoryRoots(from: number, to: number): void {
    const w = this.w;
    for (let i = from; i < to; i++) {
      const t = w[i]!;
      if (isList(t) || isBoxed(t)) w[i] = this.evac(t);
    }
  }

  /** Scans the to-space until every copied object's terms are evacuated too. */
  scan(): void {
    const w = this.w;
    const r = this.layout;
    let s = this.to;
    while (s < this.hp) {
      const word = w[s]!;
      if (!isHeader(word)) {
        // a cons cell
        w[s] = this.evac(word);
        w[s + 1] = this.evac(w[s + 1]!);
        s += 2;
        continue;
      }
      const size = objectLayout(w, s, word, r);
      for (let i = r[0]!, end = r[1]!; i < end; i++) w[i] = this.evac(w[i]!);
      for (let i = r[2]!, end = r[3]!; i < end; i++) w[i] = this.evac(w[i]!);
      s += size;
    }
  }
}

/**
 * Live data never exceeds what the heap and the fragments held; more means a
 * broken heap (a bad heap top, an unrecorded fragment): fail rather than write
 * over other blocks.
 */
function toSpaceOverflow(): never {
  throw new Error('garbage collection: live data does not fit the to-space (corrupt heap?)');
}

/** Releases the off-heap block of every ProcBin on the list that was not copied (not forwarded). */
function sweepOffHeap(mem: Memory, list: number): void {
  const w = mem.i32;
  for (let pb = list; pb !== 0; ) {
    const next = w[pb + PROCBIN_NEXT_OFFSET]!;
    if (!isBoxed(w[pb]!)) releaseOffHeapBlock(mem, w[pb + PROCBIN_BLOCK_OFFSET]!);
    pb = next;
  }
}

// ---------------------------------------------------------------- collection

/**
 * A full-sweep collection of p: afterwards its heap holds exactly what the
 * roots reach, its fragments are freed and at least `need` words are free
 * between the heap top and the stack. Roots are updated in place: x[0..live-1],
 * the stack, p.dictionary, p.groupLeader, p.exitReason and
 * `extraRoots` (terms the caller holds in JS). When the process is not
 * running, pass its saved registers (p.savedX) as x.
 */
export function collectGarbage(p: Process, x: Int32Array, live: number, need: number, extraRoots?: Term[]): void {
  const mem = p.mem;
  mem.refresh();
  const oldBlock = p.block;
  const oldEnd = p.blockEnd;
  const stackTop = p.stackTop;
  const current = oldEnd - oldBlock;
  const stackWords = oldEnd - stackTop;
  const heapTop = p.heap.top;
  const fragments = p.fragments;
  let fragmentBound = 0;
  for (const f of fragments) fragmentBound += mem.blockWords(f);

  // Live data is at most what the heap and the fragments hold.
  let to = mem.alloc(Math.max(current, heapTop - oldBlock + fragmentBound + stackWords));
  mem.refresh();
  const nLive = Math.min(live, x.length);
  const first = new Evacuator(mem, oldBlock, heapTop, fragments, to, to + mem.blockWords(to));
  evacuateRoots(first, p, x, nLive, stackTop, oldEnd, extraRoots);
  sweepOffHeap(mem, p.offHeap);
  p.offHeap = first.offHeap;
  let liveWords = first.hp - to;

  let size = chooseHeapSize(liveWords + stackWords + need, current);
  const capacity = mem.blockWords(to);
  if (size > capacity || capacity >= 2 * size) {
    // The block does not fit the decided size: copy the live data once more into one that does.
    let block = 0;
    try {
      block = mem.alloc(size);
    } catch (e) {
      // No memory for the better size: keep the to-space if it is big enough at all.
      if (liveWords + stackWords + need > capacity) {
        install(p, to, capacity, liveWords, stackTop, oldEnd);
        throw e;
      }
      size = capacity;
    }
    if (block !== 0) {
      mem.refresh();
      const second = new Evacuator(mem, to, to + liveWords, [], block, block + mem.blockWords(block));
      evacuateRoots(second, p, x, nLive, stackTop, oldEnd, extraRoots);
      sweepOffHeap(mem, p.offHeap); // nothing dies here; kept for symmetry with the first pass
      p.offHeap = second.offHeap;
      liveWords = second.hp - block;
      mem.free(to);
      to = block;
    }
  }
  install(p, to, size, liveWords, stackTop, oldEnd);
}

function evacuateRoots(
  e: Evacuator,
  p: Process,
  x: Int32Array,
  nLive: number,
  stackTop: number,
  stackEnd: number,
  extraRoots: Term[] | undefined,
): void {
  e.roots(x, nLive);
  e.memoryRoots(stackTop, stackEnd);
  e.roots(p.dictionary);
  p.groupLeader = e.evac(p.groupLeader);
  p.exitReason = e.evac(p.exitReason);
  if (extraRoots !== undefined) e.roots(extraRoots);
  e.scan();
}

/** Makes [to, to + size) the process's block: heap of liveWords words, the stack moved to its end; frees the old memory. */
function install(p: Process, to: number, size: number, liveWords: number, stackTop: number, oldEnd: number): void {
  const mem = p.mem;
  mem.refresh();
  const end = to + size;
  const newStackTop = end - (oldEnd - stackTop);
  mem.i32.copyWithin(newStackTop, stackTop, oldEnd);
  mem.free(p.block);
  for (const f of p.fragments) mem.free(f);
  p.fragments = [];
  p.fragmentWords = 0;
  p.messageWords = 0;
  p.block = to;
  p.blockEnd = end;
  p.stackTop = newStackTop;
  const heap = p.heap;
  heap.start = to;
  heap.top = to + liveWords;
  heap.end = newStackTop;
}
