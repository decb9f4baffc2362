/**
 * The atom table, in shared memory: index → name and name → index, with
 * concurrent insertion from any thread.
 *
 * Storage (offsets in scheduler/layout.ts): an entry array of
 * ATOM_ENTRY_WORDS words per atom — the word index of a block holding the
 * UTF-8 bytes, the byte length, the character count, the name's hash — and
 * an open-addressing hash index whose slots hold atom index + 1 (0 = empty).
 * Writers take Slot.AtomLock, write the entry, then publish the slot and the
 * count with Atomics.store; readers never lock: a published slot always
 * points at a complete entry.
 *
 * Each thread keeps JS caches (index → string, string → index); they only
 * ever grow, because atoms are never removed.
 */
import type { Memory } from '../memory.js';
import { ATOM_ENTRY_WORDS, Slot } from '../../scheduler/layout.js';
import { makeAtom, atomVal, type Term } from './tags.js';

/** The real VM's limit on atom length, in characters. */
export const MAX_ATOM_CHARACTERS = 255;

/**
 * Atoms with fixed indices, known as constants in every thread. Created in
 * this order when a memory is formatted; append only (indices are ABI).
 */
export const COMMON_ATOMS = [
  'false', 'true', 'ok', 'error', 'undefined', 'badarg', 'badarith', 'badmatch', 'function_clause',
  'case_clause', 'if_clause', 'undef', 'badfun', 'badarity', 'badkey', 'badmap', 'badrecord',
  'try_clause', 'system_limit', 'noproc', 'normal', 'kill', 'killed', 'EXIT', 'DOWN', 'throw', 'exit',
  'nonode@nohost', 'infinity', 'timeout', 'erlang', 'process', 'port', 'noconnection', 'nocatch',
  'notalive', 'file', 'line', 'error_info', 'module', 'function', 'arity', 'safe', 'used', 'nil',
  '', 'data', 'call', 'return', 'exception', 'module_info', 'apply', 'self', 'node', '$end_of_table',
] as const;

export type CommonAtom = (typeof COMMON_ATOMS)[number];

/** The term of a common atom, e.g. `atom('true')`. */
export function commonAtom(name: CommonAtom): Term {
  return makeAtom(COMMON_INDEX.get(name)!);
}
const COMMON_INDEX = new Map<string, number>(COMMON_ATOMS.map((n, i) => [n, i]));

export const ATOM_FALSE = commonAtom('false');
export const ATOM_TRUE = commonAtom('true');
export const ATOM_OK = commonAtom('ok');
export const ATOM_ERROR = commonAtom('error');
export const ATOM_UNDEFINED = commonAtom('undefined');

/** Raised for an atom that is too long or when the table is full (the VM maps it to system_limit). */
export class AtomLimitError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AtomLimitError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class AtomTable {
  private readonly names: string[] = [];
  private readonly byName = new Map<string, number>();

  constructor(private readonly mem: Memory) {}

  /** Formats the common atoms into a fresh memory; done once, by the creating thread. */
  static format(mem: Memory): AtomTable {
    const table = new AtomTable(mem);
    COMMON_ATOMS.forEach((name, i) => {
      if (table.intern(name) !== makeAtom(i)) throw new Error(`common atom ${name} did not get index ${i}`);
    });
    return table;
  }

  get count(): number {
    return Atomics.load(this.mem.i32, Slot.AtomCount);
  }

  /** The atom term for `name`, creating the atom if needed. */
  intern(name: string): Term {
    const cached = this.byName.get(name);
    if (cached !== undefined) return makeAtom(cached);
    const bytes = encoder.encode(name);
    const hash = hashBytes(bytes);
    const found = this.find(bytes, hash);
    if (found >= 0) return this.remember(name, found);
    const chars = countChars(name);
    if (chars > MAX_ATOM_CHARACTERS) throw new AtomLimitError(`atom of ${chars} characters (the limit is 255)`);
    return this.remember(name, this.insert(bytes, chars, hash));
  }

  /** The atom term for `name` if it exists (binary_to_existing_atom, `safe` decoding). */
  existing(name: string): Term | undefined {
    const cached = this.byName.get(name);
    if (cached !== undefined) return makeAtom(cached);
    const bytes = encoder.encode(name);
    const found = this.find(bytes, hashBytes(bytes));
    return found >= 0 ? this.remember(name, found) : undefined;
  }

  /** The name of an atom term. */
  name(atom: Term): string {
    const index = atomVal(atom);
    const cached = this.names[index];
    if (cached !== undefined) return cached;
    if (index >= this.count) throw new RangeError(`no atom with index ${index}`);
    this.mem.refresh();
    const entry = this.entry(index);
    const w = this.mem.i32;
    const start = w[entry]! * 4;
    const name = decoder.decode(this.mem.u8.subarray(start, start + w[entry + 1]!));
    this.names[index] = name;
    this.byName.set(name, index);
    return name;
  }

  /** The UTF-8 bytes of an atom's name, as a view into shared memory. */
  utf8(atom: Term): Uint8Array {
    const entry = this.entry(atomVal(atom));
    const w = this.mem.i32;
    const start = w[entry]! * 4;
    return this.mem.u8.subarray(start, start + w[entry + 1]!);
  }

  /** The number of characters in an atom's name. */
  length(atom: Term): number {
    return this.mem.i32[this.entry(atomVal(atom)) + 2]!;
  }

  private entry(index: number): number {
    return this.mem.i32[Slot.AtomEntries]! + index * ATOM_ENTRY_WORDS;
  }

  private remember(name: string, index: number): Term {
    this.names[index] = name;
    this.byName.set(name, index);
    return makeAtom(index);
  }

  /** Index of the atom with these bytes, or -1. Lock-free. */
  private find(bytes: Uint8Array, hash: number): number {
    const mem = this.mem;
    mem.refresh();
    const w = mem.i32;
    const base = w[Slot.AtomIndex]!;
    const mask = w[Slot.AtomIndexSize]! - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const v = Atomics.load(w, base + slot);
      if (v === 0) return -1;
      const entry = this.entry(v - 1);
      if (w[entry + 3] === hash && w[entry + 1] === bytes.length && sameBytes(mem.u8, w[entry]! * 4, bytes)) return v - 1;
    }
  }

  private insert(bytes: Uint8Array, chars: number, hash: number): number {
    const mem = this.mem;
    // The name block is allocated before taking the atom lock (the allocator has its own).
    const block = mem.alloc(Math.max(1, Math.ceil(bytes.length / 4)));
    mem.lock(Slot.AtomLock);
    try {
      const again = this.find(bytes, hash); // another thread may have won the race
      if (again >= 0) {
        mem.free(block);
        return again;
      }
      const w = mem.i32;
      const index = w[Slot.AtomCount]!;
      if (index >= w[Slot.AtomLimit]!) throw new AtomLimitError(`the atom table is full (${index} atoms)`);
      mem.u8.set(bytes, block * 4);
      const entry = this.entry(index);
      w[entry] = block;
      w[entry + 1] = bytes.length;
      w[entry + 2] = chars;
      w[entry + 3] = hash;
      const base = w[Slot.AtomIndex]!;
      const mask = w[Slot.AtomIndexSize]! - 1;
      let slot = hash & mask;
      while (w[base + slot] !== 0) slot = (slot + 1) & mask;
      Atomics.store(w, base + slot, index + 1);
      Atomics.store(w, Slot.AtomCount, index + 1);
      return index;
    } finally {
      mem.unlock(Slot.AtomLock);
    }
  }
}

/** FNV-1a over the UTF-8 bytes: only for the table's own index, never visible to Erlang. */
function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h | 0;
}

function sameBytes(heap: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (heap[at + i] !== bytes[i]) return false;
  return true;
}

function countChars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
