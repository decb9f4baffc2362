/**
 * Where terms are built: a heap is a range of words in shared memory with a
 * bump pointer. Process heaps (and the GC's to-space) are heaps; so are the
 * heap fragments senders build messages in, and a module's literal area.
 */
import type { Memory } from '../memory.js';
import type { AtomTable } from './atoms.js';

/** What term code needs: the memory and this thread's view of the atom table. */
export interface TermContext {
  readonly mem: Memory;
  readonly atoms: AtomTable;
}

/** The heap has no room; the caller collects garbage or takes a bigger heap, then retries. */
export class HeapFullError extends Error {
  constructor(readonly neededWords: number) {
    super(`heap full (needs ${neededWords} more words)`);
    this.name = 'HeapFullError';
  }
}

export class Heap {
  constructor(
    readonly mem: Memory,
    /** First word of the heap (a process heap's start moves when the GC gives it a new block). */
    public start: number,
    /** One past the last word (a process heap's end moves: it is the stack's top). */
    public end: number,
    /** Next free word. */
    public top: number = start,
  ) {}

  /** A heap in a fresh block of `words` words from the shared allocator. */
  static allocate(mem: Memory, words: number): Heap {
    const start = mem.alloc(words);
    return new Heap(mem, start, start + words);
  }

  /** Reserves `words` words and returns the index of the first one (HeapFullError when they do not fit). */
  alloc(words: number): number {
    const at = this.top;
    if (at + words > this.end) throw new HeapFullError(at + words - this.end);
    this.top = at + words;
    return at;
  }

  get free(): number {
    return this.end - this.top;
  }

  get used(): number {
    return this.top - this.start;
  }
}
