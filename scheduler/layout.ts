/**
 * The fixed layout of the VM's shared memory: every word offset that more
 * than one module (or thread) relies on is named here, once. Offsets are
 * word indices into the Int32Array view of the one SharedArrayBuffer.
 *
 *   word 0 .. HEADER_WORDS-1   this header (sizes, locks, table roots)
 *   HEADER_WORDS ..            blocks handed out by the allocator (vm/memory.ts)
 */

export const LAYOUT_MAGIC = 0x4245414d; // 'BEAM'
export const LAYOUT_VERSION = 1;

export const enum Slot {
  Magic = 0,
  Version = 1,
  /** Current byte length of the buffer; threads rebuild their views when it changes. */
  ByteSize = 2,
  /** Next word never handed out by the allocator. */
  BumpTop = 3,
  /** Allocator mutex (0 free, 1 held, 2 held with waiters). */
  AllocLock = 4,
  /** Words currently handed out (statistics). */
  AllocatedWords = 5,
  /** Head of the free list of blocks larger than the largest size class. */
  LargeFreeList = 6,
  /** Heads of the size-class free lists: FreeLists + class. */
  FreeLists = 8,

  /** Atom table: number of atoms. */
  AtomCount = 40,
  /** Atom table insertion mutex. */
  AtomLock = 41,
  /** Word index of the atom entry array (ATOM_ENTRY_WORDS per atom). */
  AtomEntries = 42,
  /** Word index of the atom hash index (open addressing, atom index + 1 per slot, 0 = empty). */
  AtomIndex = 43,
  /** Number of slots in the atom hash index (a power of two). */
  AtomIndexSize = 44,
  /** Maximum number of atoms. */
  AtomLimit = 45,

  /** ETS: word index of the table registry (vm/ets/table.ts), 0 until the first table. */
  EtsRegistry = 46,
  /** ETS: mutex guarding the registry's creation. */
  EtsInitLock = 47,
  /** persistent_term: word index of its hash index (bifs/persistent_term.ts), 0 until first use. */
  PersistentTerm = 48,
  /** persistent_term: mutex of the index. */
  PersistentTermLock = 49,
  /** atomics/counters: next unique id for their references. */
  AtomicsSerial = 50,
}

export const HEADER_WORDS = 64;
/** Size classes: blocks of 2^(MIN_CLASS_SHIFT + c) words, c = 0 .. SIZE_CLASSES-1. */
export const MIN_CLASS_SHIFT = 2;
export const SIZE_CLASSES = 24; // up to 2^25 words (128 MiB)

/** Words per atom entry: name block (word index), UTF-8 byte length, character count, hash. */
export const ATOM_ENTRY_WORDS = 4;
