/**
 * The generational garbage collector of one process (DESIGN.md section 6).
 *
 * Generations. A process has a young heap (the heap+stack block: heap up
 * from the start, stack down from the end), heap fragments (blocks that
 * BIFs and received messages were built in; young data) and, once something
 * has survived two collections, an old heap (p.oldHeap .. p.oldEnd, filled
 * up to p.oldTop). The high-water mark p.highWater is the young heap top
 * right after the last collection: the words below it have survived one
 * collection already.
 *
 *   minor     from-space is the young heap and the fragments. A live object
 *             below the high-water mark is promoted (copied to the old heap
 *             top); any other live object is copied into a fresh young block.
 *             The old heap is neither scanned nor moved: terms are immutable,
 *             so an old object only ever points at older objects (old heap,
 *             literals), never into the young generation.
 *   fullsweep from-space is the young heap, the old heap and the fragments;
 *             everything live goes into one fresh young block and the old
 *             heap is freed. Chosen when asked (garbage_collect/0,1,2), after
 *             p.fullsweepAfter minor collections, when the old heap has no room
 *             for what the minor would promote, or when the old generation's
 *             off-heap binaries exceed their limit.
 *
 *   roots:   x[0..live-1], the stack's term words (CP words have primary tag
 *            00 and catch words are immediates: neither is moved), the
 *            dictionary, the group leader, the exit reason and a pending exit
 *            signal, and the caller's extra roots. The message queue is not a
 *            root: queued messages sit in their own blocks (vm/mailbox.ts) and
 *            never point into the heap; a received one is a fragment.
 *   copy:    a root pointing into from-space is evacuated: the object is copied
 *            to its destination's top and its old place becomes a forwarding
 *            marker, so an object reached twice is copied once (sharing is kept)
 *   scan:    one pointer walks the new young block, another the words promoted
 *            into the old heap by this collection; every term word of every
 *            copied object is evacuated in turn, until both meet their tops.
 *            No recursion: a list of ten million cells or a tuple nested a
 *            hundred thousand deep costs no JS stack.
 *
 * Forwarding markers: a moved boxed object's header becomes a boxed pointer to
 * its copy (a header's primary tag is 00, so it never looks like one); a moved
 * cons gets THE_NON_VALUE (0) in its head, which no live cons holds, and the
 * list pointer to its copy in its tail.
 *
 * Anything outside from-space (module literals, the old heap in a minor
 * collection, the destinations themselves) is left where it is and never
 * written. In a destination a word whose primary tag is 00 starts a boxed
 * object (its header says how many words follow and which are terms); any
 * other word is the head of a cons cell.
 *
 * Off-heap binaries: the process keeps two lists of its ProcBins, young
 * (p.offHeap) and old (p.oldOffHeap). Each copied ProcBin is linked into the
 * new young list or, when promoted, the old one; afterwards the swept lists
 * (the young one in a minor, both in a fullsweep) are walked and the block of
 * every ProcBin that was not copied (its header is no forwarding pointer)
 * loses one reference. p.binVheap / p.binOldVheap count the words of the
 * blocks each generation references; p.binVheapLimit triggers a collection
 * (checked at allocation points and after BIF calls) when a process
 * accumulates binary data, as the real VM's virtual binary heap does.
 *
 * Sizing (after OTP's adjust_after_fullsweep): with `wanted` = live young
 * words + stack + need, the young heap grows to the next size of the sequence
 * (nextHeapSize) above wanted * 4/3 when wanted is more than 75% of it,
 * shrinks to the size above 2 * wanted when wanted is less than 25% of it
 * (never below p.minHeapSize; a minor collection not below the smaller of
 * the current size and MINOR_SHRINK_FLOOR, so that a process that allocates
 * fast keeps the young heap it grew), and otherwise keeps its size. Right after a
 * grow the heap is at most 75% used and after a shrink at most 50%, so
 * neither decision undoes the other at the next collection. The to-space is
 * allocated at the current size (or larger when fragments may hold more live
 * data; a fullsweep's at the size that would be chosen if everything were
 * live); when the decided size does not fit that block, the live young data
 * is copied a second time into a block of the decided size (grow and shrink
 * are rare; the common collection copies once). The old heap is created at
 * the size of the sequence above the young heap's used words, and is only
 * ever emptied by a fullsweep.
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
export function chooseHeapSize(wanted: number, current: number, minimum = MIN_HEAP_SIZE): number {
  let size = current;
  if (wanted * 4 > current * 3) size = nextHeapSize(Math.ceil((wanted * 4) / 3));
  else if (wanted * 4 < current && current > minimum) size = Math.min(current, nextHeapSize(2 * wanted));
  return Math.max(size, nextHeapSize(minimum));
}

/** A minor collection does not shrink the young heap below this many words (nor below its current size if smaller). */
const MINOR_SHRINK_FLOOR = 121393;

/** The smallest limit of the virtual binary heap, in words (the real VM's min_bin_vheap_size). */
export const MIN_BIN_VHEAP = 46422;

/** What a collection did. */
export const enum GcKind {
  /** Minor unless a fullsweep is due (the allocation points' collections). */
  Auto = 0,
  Minor = 1,
  Full = 2,
}

// ---------------------------------------------------------------- the copier

/** One Cheney pass over from-space: the range [lo, hi) and any other blocks; copies go to `hp` upward, promotions to `ohp`. */
class Evacuator {
  readonly w: Int32Array;
  hp: number;
  /** Head of the young off-heap list of the ProcBins copied so far, and the words of their blocks. */
  offHeap = 0;
  youngBin = 0;
  /** Promotion: objects in [lo, promoteBelow) go to the old heap [ohp, oldLimit). */
  private promoteBelow: number;
  ohp = 0;
  private oldLimit = 0;
  readonly oldStart: number;
  /** The promoted ProcBins: head, tail and block words. */
  oldOff = 0;
  oldOffTail = 0;
  oldBin = 0;
  private readonly layout = new Int32Array(4);
  private lo2 = 0;
  private hi2 = 0;
  /** Other from-space blocks (fragments, the old heap in a fullsweep), sorted by address: [fragStart[i], fragEnd[i]). */
  private readonly fragStart: Int32Array;
  private readonly fragEnd: Int32Array;

  constructor(
    mem: Memory,
    private readonly lo: number,
    private readonly hi: number,
    others: readonly (readonly [number, number])[],
    readonly to: number,
    /** One past the last word of the to-space block. */
    private readonly limit: number,
    promoteBelow = lo,
    oldTop = 0,
    oldEnd = 0,
  ) {
    this.w = mem.i32;
    this.hp = to;
    const sorted = [...others].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
    // The biggest other block (the old heap in a fullsweep) gets a range check of its own before the search.
    for (const [s, e] of sorted) {
      if (e - s > this.hi2 - this.lo2) {
        this.lo2 = s;
        this.hi2 = e;
      }
    }
    this.fragStart = Int32Array.from(sorted, (r) => r[0]);
    this.fragEnd = Int32Array.from(sorted, (r) => r[1]);
    this.promoteBelow = promoteBelow;
    this.ohp = oldTop;
    this.oldStart = oldTop;
    this.oldLimit = oldEnd;
  }

  private inFrom(a: number): boolean {
    if (a >= this.lo && a < this.hi) return true;
    if (a >= this.lo2 && a < this.hi2) return true;
    const starts = this.fragStart;
    if (starts.length === 0 || a < starts[0]!) return false;
    // The last block starting at or before a.
    let l = 0;
    let h = starts.length - 1;
    while (l < h) {
      const m = (l + h + 1) >>> 1;
      if (starts[m]! <= a) l = m;
      else h = m - 1;
    }
    return a < this.fragEnd[l]!;
  }

  /** The term that replaces t: t itself unless it points into from-space. */
  evac(t: Term): Term {
    if (isList(t)) return this.inFrom(ptrVal(t)) ? this.evacCons(t) : t;
    if (isBoxed(t)) return this.inFrom(ptrVal(t)) ? this.evacBoxed(t) : t;
    return t;
  }

  /** The copy of the cons cell t points at (in from-space), made now or before. */
  private evacCons(t: Term): Term {
    const w = this.w;
    const a = ptrVal(t);
    const head = w[a]!;
    if (head === THE_NON_VALUE) return w[a + 1]!; // moved: the tail holds the new cell
    let n: number;
    if (a < this.promoteBelow && a >= this.lo) {
      n = this.ohp;
      if (n + 2 > this.oldLimit) toSpaceOverflow();
      this.ohp = n + 2;
    } else {
      n = this.hp;
      if (n + 2 > this.limit) toSpaceOverflow();
      this.hp = n + 2;
    }
    w[n] = head;
    w[n + 1] = w[a + 1]!;
    const moved = makeList(n);
    w[a] = THE_NON_VALUE;
    w[a + 1] = moved;
    return moved;
  }

  /** The copy of the boxed object t points at (in from-space), made now or before. */
  private evacBoxed(t: Term): Term {
    const w = this.w;
    const a = ptrVal(t);
    const hdr = w[a]!;
    if (isBoxed(hdr)) return hdr; // moved: the header is the pointer to the copy
    const subtag = headerSubtag(hdr);
    const size = subtag === SUB_MAP ? objectWords(w, a, hdr) : 1 + headerArity(hdr);
    const promote = a < this.promoteBelow && a >= this.lo;
    let n: number;
    if (promote) {
      n = this.ohp;
      if (n + size > this.oldLimit) toSpaceOverflow();
      this.ohp = n + size;
    } else {
      n = this.hp;
      if (n + size > this.limit) toSpaceOverflow();
      this.hp = n + size;
    }
    if (size <= 8) for (let i = 0; i < size; i++) w[n + i] = w[a + i]!;
    else w.copyWithin(n, a, a + size);
    if (subtag === SUB_REFC_BINARY) this.linkProcBin(n, promote);
    const moved = makeBoxed(n);
    w[a] = moved;
    return moved;
  }

  /** Links a copied ProcBin into the young or the old list and counts its block. */
  private linkProcBin(n: number, promote: boolean): void {
    const w = this.w;
    const binWords = w[w[n + PROCBIN_BLOCK_OFFSET]! - 1]!;
    if (promote) {
      w[n + PROCBIN_NEXT_OFFSET] = this.oldOff;
      if (this.oldOff === 0) this.oldOffTail = n;
      this.oldOff = n;
      this.oldBin += binWords;
    } else {
      w[n + PROCBIN_NEXT_OFFSET] = this.offHeap;
      this.offHeap = n;
      this.youngBin += binWords;
    }
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

  /** Scans both destinations until every copied object's terms are evacuated too. */
  scan(): void {
    let s = this.to;
    let os = this.oldStart;
    while (s < this.hp || os < this.ohp) {
      s = this.scanFrom(s, false);
      os = this.scanFrom(os, true);
    }
  }

  /** Scans from s until the (moving) top of the young or the old destination; returns where it stopped. */
  private scanFrom(s: number, old: boolean): number {
    const w = this.w;
    const r = this.layout;
    while (s < (old ? this.ohp : this.hp)) {
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
    return s;
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
 * Collects p's garbage: afterwards at least `need` words are free between
 * the heap top and the stack and the fragments are freed. Roots are updated
 * in place: x[0..live-1], the stack, p.dictionary, p.groupLeader,
 * p.exitReason, p.pendingExit and `extraRoots` (terms the caller holds in
 * JS). When the process is not running, pass its saved registers (p.savedX)
 * as x. `kind` Full (the default) is a fullsweep: the heap then holds exactly
 * what the roots reach; Auto makes a minor collection unless a fullsweep is
 * due. Returns whether it was a fullsweep.
 */
export function collectGarbage(
  p: Process,
  x: Int32Array,
  live: number,
  need: number,
  extraRoots?: Term[],
  kind: GcKind = GcKind.Full,
): boolean {
  const mem = p.mem;
  mem.refresh();
  const nLive = Math.min(live, x.length);
  let full = kind === GcKind.Full || p.minorSinceFull >= p.fullsweepAfter || p.binOldVheap > p.binOldVheapLimit;
  const lo = p.block;
  const heapTop = p.heap.top;
  const highWater = Math.min(Math.max(p.highWater, lo), heapTop);
  const promote = highWater - lo;
  if (!full && promote > 0) {
    if (p.oldHeap === 0) {
      const size = nextHeapSize(Math.max(promote, heapTop - lo));
      const old = mem.alloc(size);
      p.oldHeap = p.oldTop = old;
      p.oldEnd = old + size;
    } else if (p.oldEnd - p.oldTop < promote) full = true;
  }
  if (full) fullsweep(p, x, nLive, need, extraRoots);
  else minor(p, x, nLive, need, extraRoots, highWater);
  p.highWater = p.heap.top;
  return full;
}

function fragmentRanges(p: Process): [number, number][] {
  const mem = p.mem;
  return p.fragments.map((f) => [f, f + mem.blockWords(f)]);
}

function minor(p: Process, x: Int32Array, nLive: number, need: number, extraRoots: Term[] | undefined, highWater: number): void {
  const mem = p.mem;
  const oldBlock = p.block;
  const oldEnd = p.blockEnd;
  const stackTop = p.stackTop;
  const current = oldEnd - oldBlock;
  const stackWords = oldEnd - stackTop;
  const ranges = fragmentRanges(p);
  let youngBound = p.heap.top - highWater;
  for (const [s, e] of ranges) youngBound += e - s;

  const to = mem.alloc(Math.max(current, youngBound + stackWords + need));
  mem.refresh();
  const e = new Evacuator(mem, oldBlock, p.heap.top, ranges, to, to + mem.blockWords(to), highWater, p.oldTop, p.oldEnd);
  evacuateRoots(e, p, x, nLive, stackTop, oldEnd, extraRoots);
  sweepOffHeap(mem, p.offHeap);
  p.offHeap = e.offHeap;
  p.binVheap = e.youngBin;
  if (e.oldOff !== 0) {
    mem.i32[e.oldOffTail + PROCBIN_NEXT_OFFSET] = p.oldOffHeap;
    p.oldOffHeap = e.oldOff;
  }
  p.binOldVheap += e.oldBin;
  p.oldTop = e.ohp;
  p.minorSinceFull++;
  p.minorGcs++;
  finish(p, x, nLive, need, extraRoots, to, e.hp - to, current, stackTop, oldEnd, false);
}

function fullsweep(p: Process, x: Int32Array, nLive: number, need: number, extraRoots: Term[] | undefined): void {
  const mem = p.mem;
  const oldBlock = p.block;
  const oldEnd = p.blockEnd;
  const stackTop = p.stackTop;
  const current = oldEnd - oldBlock;
  const stackWords = oldEnd - stackTop;
  const ranges = fragmentRanges(p);
  if (p.oldHeap !== 0) ranges.push([p.oldHeap, p.oldTop]);
  let bound = p.heap.top - oldBlock;
  for (const [s, e] of ranges) bound += e - s;

  // Sized for the case where everything is live (big heaps mostly are): then no second copy is needed.
  const to = mem.alloc(chooseHeapSize(bound + stackWords + need, current, p.minHeapSize));
  mem.refresh();
  const e = new Evacuator(mem, oldBlock, p.heap.top, ranges, to, to + mem.blockWords(to));
  evacuateRoots(e, p, x, nLive, stackTop, oldEnd, extraRoots);
  sweepOffHeap(mem, p.offHeap);
  sweepOffHeap(mem, p.oldOffHeap);
  p.offHeap = e.offHeap;
  p.oldOffHeap = 0;
  p.binVheap = e.youngBin;
  p.binOldVheap = 0;
  if (p.oldHeap !== 0) mem.free(p.oldHeap);
  p.oldHeap = p.oldTop = p.oldEnd = 0;
  p.minorSinceFull = 0;
  p.majorGcs++;
  finish(p, x, nLive, need, extraRoots, to, e.hp - to, current, stackTop, oldEnd, true);
  p.binOldVheapLimit = p.binVheapMin;
}

/** Sizes the young heap: keeps the to-space or copies its live data once more into a block of the decided size; installs it. */
function finish(
  p: Process,
  x: Int32Array,
  nLive: number,
  need: number,
  extraRoots: Term[] | undefined,
  to: number,
  liveWords: number,
  current: number,
  stackTop: number,
  oldEnd: number,
  mayShrink: boolean,
): void {
  const mem = p.mem;
  const stackWords = oldEnd - stackTop;
  let size = chooseHeapSize(liveWords + stackWords + need, current, p.minHeapSize);
  // A minor collection shrinks the young heap no further than MINOR_SHRINK_FLOOR: a process that
  // allocates much keeps the room it needed (far fewer collections); below that, shrinking waits for a fullsweep.
  if (!mayShrink && size < current) size = Math.max(size, Math.min(current, MINOR_SHRINK_FLOOR));
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
      // Only the young data moves: the old heap never points into it.
      const second = new Evacuator(mem, to, to + liveWords, [], block, block + mem.blockWords(block));
      evacuateRoots(second, p, x, nLive, stackTop, oldEnd, extraRoots);
      p.offHeap = second.offHeap; // nothing dies in this pass
      liveWords = second.hp - block;
      mem.free(to);
      to = block;
    }
  }
  install(p, to, size, liveWords, stackTop, oldEnd);
  // The virtual binary heap: collect again once the young generation has taken in as much binary data as it keeps.
  p.binVheapLimit = Math.max(p.binVheapMin, 2 * p.binVheap);
  if (p.binOldVheap > p.binOldVheapLimit) p.binOldVheapLimit = Math.max(p.binVheapMin, 2 * p.binOldVheap);
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
  if (p.reply !== 0) p.reply = e.evac(p.reply);
  p.groupLeader = e.evac(p.groupLeader);
  p.exitReason = e.evac(p.exitReason);
  if (p.pendingExit !== undefined) p.pendingExit = e.evac(p.pendingExit);
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
  p.fragTop = p.fragEnd = 0;
  p.block = to;
  p.blockEnd = end;
  p.stackTop = newStackTop;
  const heap = p.heap;
  heap.start = to;
  heap.top = to + liveWords;
  heap.end = newStackTop;
}
