/**
 * The VM's code tables: the export table ({M, F, A} → code address), the
 * loaded modules (and which module a code address belongs to), the fun
 * table (lambdas of every module) and the catch table (catch index → handler
 * address).
 *
 * The export table's entries live in shared memory (EXPORT_ENTRY_WORDS each)
 * so that threaded code can name an entry by index and every scheduler sees
 * the same code address once a module is loaded; the name → index map is a
 * per-thread cache. Provisional (issue 6): the module, fun and catch tables
 * are JS objects of the one thread that runs Erlang code; they move into
 * shared memory with the SMP schedulers.
 */
import type { Memory } from '../memory.js';
import type { AtomTable } from '../term/atoms.js';
import type { Term } from '../term/tags.js';

/** Words per export entry: code address (0 = not loaded), module atom, function atom, arity. */
export const EXPORT_ENTRY_WORDS = 4;
export const MAX_EXPORTS = 1 << 18;

export class ExportTable {
  private readonly base: number;
  private count = 0;
  private readonly byKey = new Map<string, number>();

  constructor(private readonly mem: Memory) {
    this.base = mem.allocZeroed(MAX_EXPORTS * EXPORT_ENTRY_WORDS);
  }

  /** The entry for M:F/A, created (not loaded) if needed. */
  entry(module: Term, name: Term, arity: number): number {
    const key = `${module}:${name}/${arity}`;
    let e = this.byKey.get(key);
    if (e === undefined) {
      e = this.count++;
      if (e >= MAX_EXPORTS) throw new Error('export table full');
      const w = this.mem.i32;
      const at = this.base + e * EXPORT_ENTRY_WORDS;
      w[at] = 0;
      w[at + 1] = module;
      w[at + 2] = name;
      w[at + 3] = arity;
      this.byKey.set(key, e);
    }
    return e;
  }

  find(module: Term, name: Term, arity: number): number | undefined {
    return this.byKey.get(`${module}:${name}/${arity}`);
  }

  /** Word index of the code-address word of an entry (the interpreter reads it directly). */
  addressWord(e: number): number {
    return this.base + e * EXPORT_ENTRY_WORDS;
  }

  address(e: number): number {
    return this.mem.i32[this.base + e * EXPORT_ENTRY_WORDS]!;
  }

  setAddress(e: number, code: number): void {
    Atomics.store(this.mem.i32, this.base + e * EXPORT_ENTRY_WORDS, code);
  }

  module(e: number): Term {
    return this.mem.i32[this.base + e * EXPORT_ENTRY_WORDS + 1]!;
  }

  function(e: number): Term {
    return this.mem.i32[this.base + e * EXPORT_ENTRY_WORDS + 2]!;
  }

  arity(e: number): number {
    return this.mem.i32[this.base + e * EXPORT_ENTRY_WORDS + 3]!;
  }

  /** Entries of a module (for module_info(exports) and purging). */
  entriesOf(module: Term): number[] {
    const out: number[] = [];
    for (let e = 0; e < this.count; e++) if (this.module(e) === module) out.push(e);
    return out;
  }
}

/** A function's place in a module's code, for stack traces and function_clause. */
export interface FunctionInfo {
  /** Address of its func_info instruction. */
  readonly start: number;
  readonly name: Term;
  readonly arity: number;
}

/** A lambda of a loaded module. */
export interface FunEntry {
  readonly module: Term;
  readonly index: number;
  /** The arity of the code, free variables included. */
  readonly codeArity: number;
  readonly numFree: number;
  readonly oldUniq: number;
  readonly oldIndex: number;
  address: number;
  readonly name: Term;
}

export interface LoadedModule {
  readonly name: Term;
  readonly nameText: string;
  /** Code block: [code, codeEnd). */
  readonly code: number;
  readonly codeEnd: number;
  readonly functions: FunctionInfo[];
  /** Sorted code addresses where a line entry starts, and the entry (file index, line) at each. */
  readonly lineAddrs: Int32Array;
  readonly lineFiles: Int32Array;
  readonly lineNumbers: Int32Array;
  /** File names of the Line chunk (index 0: the module's own source). */
  readonly fileNames: string[];
  readonly funs: FunEntry[];
  readonly exports: Array<[name: Term, arity: number]>;
  readonly attributes: Term;
  readonly compileInfo: Term;
  readonly md5: Uint8Array;
  /** The on_load function's address, 0 if none. */
  readonly onLoad: number;
}

export class ModuleTable {
  private readonly byName = new Map<Term, LoadedModule>();
  /** Modules sorted by code address, for lookups by address. */
  private sorted: LoadedModule[] = [];

  get(name: Term): LoadedModule | undefined {
    return this.byName.get(name);
  }

  add(m: LoadedModule): void {
    const old = this.byName.get(m.name);
    if (old !== undefined) this.sorted = this.sorted.filter((x) => x !== old);
    this.byName.set(m.name, m);
    this.sorted.push(m);
    this.sorted.sort((a, b) => a.code - b.code);
  }

  all(): LoadedModule[] {
    return [...this.byName.values()];
  }

  /** The module whose code holds `addr`. */
  byAddress(addr: number): LoadedModule | undefined {
    const s = this.sorted;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = s[mid]!;
      if (addr < m.code) hi = mid - 1;
      else if (addr >= m.codeEnd) lo = mid + 1;
      else return m;
    }
    return undefined;
  }
}

/** The function of a module that holds `addr`. */
export function functionAt(m: LoadedModule, addr: number): FunctionInfo | undefined {
  const fs = m.functions;
  let lo = 0;
  let hi = fs.length - 1;
  let found: FunctionInfo | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fs[mid]!.start <= addr) {
      found = fs[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The source location of the instruction at `addr`: [file name, line], or undefined. */
export function locationAt(m: LoadedModule, addr: number): [string, number] | undefined {
  const a = m.lineAddrs;
  let lo = 0;
  let hi = a.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= addr) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  const line = m.lineNumbers[found]!;
  if (line === 0 && m.lineFiles[found] === 0) return undefined;
  return [m.fileNames[m.lineFiles[found]!]!, line];
}

export class FunTable {
  readonly entries: FunEntry[] = [];
  private readonly byKey = new Map<string, number>();

  /** Registers (or replaces, on reload) a module's lambda; returns its table index. */
  register(e: FunEntry): number {
    const key = `${e.module}:${e.index}`;
    const at = this.byKey.get(key);
    if (at !== undefined) {
      this.entries[at] = e;
      return at;
    }
    this.entries.push(e);
    this.byKey.set(key, this.entries.length - 1);
    return this.entries.length - 1;
  }

  find(module: Term, index: number): FunEntry | undefined {
    const at = this.byKey.get(`${module}:${index}`);
    return at === undefined ? undefined : this.entries[at];
  }
}

export class CatchTable {
  readonly handlers: number[] = [];
  add(address: number): number {
    this.handlers.push(address);
    return this.handlers.length - 1;
  }
}

export type { AtomTable };
