/**
 * The VM's one shared memory: a SharedArrayBuffer, its views, and the block
 * allocator every thread uses.
 *
 * Views: each thread holds fixed-length views (a length-tracking view of a
 * growable buffer is 10-20x slower in hot loops on Node 20). A VM run on
 * the SMP schedulers reserves its whole limit at creation (`reserveAll`;
 * Linux commits pages only when touched), so every thread's views cover all
 * of it and a pointer another thread hands over is always inside them. An
 * inline VM's buffer grows: the new byte size is published in
 * Slot.ByteSize, and the thread calls `refresh()` at its safe points.
 *
 * Allocator: blocks of a size class (scheduler/layout.ts SIZE_CLASS_WORDS:
 * powers of two up to 128 words, then the real VM's heap sizes) come from
 * per-class free lists or from a bump pointer; bigger blocks from a
 * first-fit list. Each
 * block is preceded by one word holding its size in words. One Atomics mutex
 * guards the allocator state; allocation is off the hot path (process heaps
 * are allocated in large blocks and bump-allocated privately).
 */
import { ATOM_ENTRY_WORDS, HEADER_WORDS, LAYOUT_MAGIC, LAYOUT_VERSION, SIZE_CLASS_WORDS, SIZE_CLASSES, Slot } from '../scheduler/layout.js';
import { MAX_WORD_INDEX } from './term/tags.js';

export interface MemoryOptions {
  /** Initial size in bytes (default 32 MiB) of a buffer that grows. */
  initialBytes?: number;
  /** Reserve the whole limit at creation and never grow (the SMP schedulers: no thread's views go stale). */
  reserveAll?: boolean;
  /** Upper limit in bytes (default 4 GiB, the most a 32-bit term pointer can address). */
  maxBytes?: number;
  /** Maximum number of atoms (default 1,048,576 as in the real VM). */
  atomLimit?: number;
}

/** Raised when the memory limit is reached; the VM turns it into a system_limit or an out-of-memory exit. */
export class OutOfMemoryError extends Error {
  constructor(readonly requestedWords: number) {
    super(`out of shared memory (requested ${requestedWords} words)`);
    this.name = 'OutOfMemoryError';
  }
}

const DEFAULT_INITIAL = 32 << 20;
const DEFAULT_MAX = 2 ** 32;

export class Memory {
  i32!: Int32Array;
  u32!: Uint32Array;
  u8!: Uint8Array;
  private viewBytes = 0;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.refresh();
  }

  /** Creates and formats a new VM memory. */
  static create(options: MemoryOptions = {}): Memory {
    const maxBytes = Math.min(options.maxBytes ?? DEFAULT_MAX, (MAX_WORD_INDEX + 1) * 4);
    // reserveAll: the whole limit at once, never grown, so no scheduler thread's views ever go stale (the
    // kernel commits pages only when they are touched). Otherwise a growable buffer: cheap to make many of
    // (a test process holds dozens of VMs; reserved buffers would be counted against fork's overcommit).
    const initial = options.reserveAll ? maxBytes : Math.min(roundUp(options.initialBytes ?? DEFAULT_INITIAL, 1 << 16), maxBytes);
    const buffer = options.reserveAll ? new SharedArrayBuffer(maxBytes) : new SharedArrayBuffer(initial, { maxByteLength: maxBytes });
    const mem = new Memory(buffer);
    const w = mem.i32;
    w[Slot.Magic] = LAYOUT_MAGIC;
    w[Slot.Version] = LAYOUT_VERSION;
    w[Slot.ByteSize] = initial | 0;
    w[Slot.BumpTop] = HEADER_WORDS;
    mem.initAtomTable(options.atomLimit ?? 1 << 20);
    return mem;
  }

  /** Attaches to a memory created by another thread. */
  static attach(buffer: SharedArrayBuffer): Memory {
    const mem = new Memory(buffer);
    if (mem.i32[Slot.Magic] !== LAYOUT_MAGIC || mem.i32[Slot.Version] !== LAYOUT_VERSION) {
      throw new Error('not a beamjs memory (or another layout version)');
    }
    return mem;
  }

  /** Byte size currently published (may be ahead of this thread's views). */
  get byteSize(): number {
    return Atomics.load(this.i32, Slot.ByteSize) >>> 0;
  }

  /** Rebuilds this thread's views if the buffer has grown. Cheap when it has not. */
  refresh(): void {
    const size = this.buffer.byteLength;
    if (size === this.viewBytes) return;
    // size / 4, not size >>> 2: a 4 GiB buffer's byte length does not fit in 32 bits.
    this.i32 = new Int32Array(this.buffer, 0, Math.floor(size / 4));
    this.u32 = new Uint32Array(this.buffer, 0, Math.floor(size / 4));
    this.u8 = new Uint8Array(this.buffer, 0, size);
    this.viewBytes = size;
  }

  // ---- allocator -----------------------------------------------------------

  /** Allocates a block of at least `words` words; returns the word index of its first word. */
  alloc(words: number): number {
    if (!(words > 0)) throw new RangeError(`bad allocation size ${words}`);
    this.lock(Slot.AllocLock);
    try {
      // Another thread may have grown the buffer: the block may lie beyond our views.
      if (this.i32[Slot.ByteSize] !== (this.viewBytes | 0)) this.refresh();
      const cls = sizeClass(words);
      let block: number;
      if (cls < SIZE_CLASSES) {
        const head = this.i32[Slot.FreeLists + cls]!;
        if (head !== 0) {
          this.i32[Slot.FreeLists + cls] = this.i32[head]!; // next link sits in the first payload word
          block = head;
        } else {
          block = this.bump(1 + SIZE_CLASS_WORDS[cls]!);
        }
        this.i32[block - 1] = SIZE_CLASS_WORDS[cls]!;
      } else {
        block = this.takeLarge(words) || this.bump(1 + words);
        this.i32[block - 1] ||= words;
      }
      const allocated = (this.i32[Slot.AllocatedWords]! += this.i32[block - 1]!);
      if (allocated > this.i32[Slot.PeakAllocatedWords]!) this.i32[Slot.PeakAllocatedWords] = allocated;
      return block;
    } finally {
      this.unlock(Slot.AllocLock);
    }
  }

  /** Allocates and zero-fills. */
  allocZeroed(words: number): number {
    const block = this.alloc(words);
    this.i32.fill(0, block, block + words);
    return block;
  }

  /** Returns a block to its free list. */
  free(block: number): void {
    this.lock(Slot.AllocLock);
    try {
      if (this.i32[Slot.ByteSize] !== (this.viewBytes | 0)) this.refresh();
      const size = this.i32[block - 1]!;
      this.i32[Slot.AllocatedWords]! -= size;
      const cls = sizeClass(size);
      if (cls < SIZE_CLASSES && size === SIZE_CLASS_WORDS[cls]) {
        this.i32[block] = this.i32[Slot.FreeLists + cls]!;
        this.i32[Slot.FreeLists + cls] = block;
      } else {
        this.i32[block] = this.i32[Slot.LargeFreeList]!;
        this.i32[Slot.LargeFreeList] = block;
      }
    } finally {
      this.unlock(Slot.AllocLock);
    }
  }

  /** Size in words of an allocated block. */
  blockWords(block: number): number {
    return this.i32[block - 1]!;
  }

  /** The most words allocated at any one time so far. */
  get peakAllocatedWords(): number {
    return Atomics.load(this.i32, Slot.PeakAllocatedWords);
  }

  /** Words currently allocated. */
  get allocatedWords(): number {
    return Atomics.load(this.i32, Slot.AllocatedWords);
  }

  /** First fit in the large-block list; 0 when nothing fits. The caller holds the lock. */
  private takeLarge(words: number): number {
    let prev = 0;
    let block = this.i32[Slot.LargeFreeList]!;
    while (block !== 0) {
      const next = this.i32[block]!;
      if (this.i32[block - 1]! >= words) {
        if (prev === 0) this.i32[Slot.LargeFreeList] = next;
        else this.i32[prev] = next;
        return block;
      }
      prev = block;
      block = next;
    }
    return 0;
  }

  /**
   * Allocates a block above every block handed out so far (from the bump
   * pointer, never a free list). Code is allocated so, after the module's
   * other blocks: a thread whose views hold an instruction of it then holds
   * every block that code refers to.
   */
  allocAbove(words: number): number {
    if (!(words > 0)) throw new RangeError(`bad allocation size ${words}`);
    this.lock(Slot.AllocLock);
    try {
      if (this.i32[Slot.ByteSize] !== (this.viewBytes | 0)) this.refresh();
      const block = this.bump(1 + words);
      this.i32[block - 1] = words;
      const allocated = (this.i32[Slot.AllocatedWords]! += words);
      if (allocated > this.i32[Slot.PeakAllocatedWords]!) this.i32[Slot.PeakAllocatedWords] = allocated;
      return block;
    } finally {
      this.unlock(Slot.AllocLock);
    }
  }

  /**
   * Takes `words` fresh words (the first is the size word); grows the buffer
   * when needed. A block never straddles a size the buffer has had (it
   * starts at the old end instead), so a thread's views, whatever size they
   * were made at, hold all of a block or none of it. Lock held.
   */
  private bump(words: number): number {
    let top = this.i32[Slot.BumpTop]!;
    let end = top + words;
    if (end * 4 > this.buffer.byteLength) {
      top = Math.max(top, Math.floor(this.buffer.byteLength / 4) - 1); // the size word may be the old end's last word
      end = top + words;
    }
    if (end > MAX_WORD_INDEX || end * 4 > this.buffer.maxByteLength) throw new OutOfMemoryError(words);
    if (end * 4 > this.buffer.byteLength) this.grow(end * 4);
    this.i32[Slot.BumpTop] = end;
    return top + 1;
  }

  private grow(minBytes: number): void {
    const target = Math.min(this.buffer.maxByteLength, roundUp(Math.max(minBytes, this.buffer.byteLength * 2), 1 << 16));
    this.buffer.grow(target);
    this.refresh();
    Atomics.store(this.i32, Slot.ByteSize, target | 0);
  }

  // ---- locks ---------------------------------------------------------------

  /** A three-state mutex on a header slot (0 free, 1 held, 2 held with waiters). */
  lock(slot: number): void {
    const w = this.i32;
    let c = Atomics.compareExchange(w, slot, 0, 1);
    if (c === 0) return;
    do {
      if (c === 2 || Atomics.compareExchange(w, slot, 1, 2) !== 0) Atomics.wait(w, slot, 2);
      c = Atomics.compareExchange(w, slot, 0, 2);
    } while (c !== 0);
  }

  unlock(slot: number): void {
    if (Atomics.sub(this.i32, slot, 1) !== 1) {
      Atomics.store(this.i32, slot, 0);
      Atomics.notify(this.i32, slot, 1);
    }
  }

  // ---- atom table storage (the logic lives in vm/term/atoms.ts) -------------

  private initAtomTable(limit: number): void {
    const indexSize = 1 << Math.ceil(Math.log2(limit * 2));
    this.i32[Slot.AtomLimit] = limit;
    this.i32[Slot.AtomIndexSize] = indexSize;
    this.i32[Slot.AtomEntries] = this.allocZeroed(limit * ATOM_ENTRY_WORDS);
    this.i32[Slot.AtomIndex] = this.allocZeroed(indexSize);
  }
}

/** The size class holding `words` words: the smallest class at least that big (SIZE_CLASSES when none is). */
function sizeClass(words: number): number {
  if (words <= 128) return Math.max(0, 30 - Math.clz32(Math.max(words, 4) - 1));
  let c = 6;
  while (c < SIZE_CLASSES && SIZE_CLASS_WORDS[c]! < words) c++;
  return c;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
