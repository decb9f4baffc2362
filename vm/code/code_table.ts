/**
 * The VM's code tables, in shared memory so that a VM context in any thread
 * runs code any other context loaded (roots in scheduler/layout.ts, Slot
 * 52..67):
 *
 * - the export table ({M, F, A} → code address): entries of
 *   EXPORT_ENTRY_WORDS plus an open-addressing index, inserted under
 *   Slot.ExportLock and published with Atomics.store (as the atom table);
 * - the module registry: per module a record [name, current, old] whose
 *   versions describe the loaded code (VersionWord below: code bounds,
 *   function and line tables, lambdas, exports, attributes, md5 and the
 *   .beam bytes), changed under Slot.CodeLock; every change bumps
 *   Slot.CodeGeneration;
 * - lambdas: one FunWord record per lambda of a loaded version (make_fun's
 *   operand is the record's address);
 * - the catch table (catch index → handler address), indices reserved per
 *   module from a shared counter;
 * - bs_create_bin segment lists (bin-spec blocks; the operand is the
 *   block's address).
 *
 * The JS objects here are per-thread caches of that state: the export
 * name → entry map, LoadedModule objects rebuilt from a version record
 * (vm/code/load.ts attachModule), decoded bin specs.
 */
import type { Memory } from '../memory.js';
import { Slot } from '../../scheduler/layout.js';
import type { AtomTable } from '../term/atoms.js';
import type { Term } from '../term/tags.js';
import { BinSpec, SEG_TYPE_NAMES, type SegmentDesc } from '../term/bits_build.js';

/** Words per export entry: code address (0 = not loaded), module atom, function atom, arity. */
export const EXPORT_ENTRY_WORDS = 4;
export const MAX_EXPORTS = 1 << 18;
const EXPORT_INDEX_SIZE = MAX_EXPORTS * 2;

export class ExportTable {
  private readonly base: number;
  /** This thread's cache of the shared index. */
  private readonly byKey = new Map<string, number>();

  constructor(private readonly mem: Memory) {
    this.base = mem.i32[Slot.ExportEntries]!;
  }

  /** Allocates the export table of a fresh memory (the formatting thread only). */
  static format(mem: Memory): ExportTable {
    const w = mem.i32;
    w[Slot.ExportEntries] = mem.allocZeroed(MAX_EXPORTS * EXPORT_ENTRY_WORDS);
    const index = mem.allocZeroed(EXPORT_INDEX_SIZE);
    mem.refresh();
    mem.i32[Slot.ExportIndex] = index;
    mem.i32[Slot.ExportIndexSize] = EXPORT_INDEX_SIZE;
    return new ExportTable(mem);
  }

  get count(): number {
    return Atomics.load(this.mem.i32, Slot.ExportCount);
  }

  /** The entry for M:F/A, created (not loaded) if needed. */
  entry(module: Term, name: Term, arity: number): number {
    const found = this.find(module, name, arity);
    if (found !== undefined) return found;
    const mem = this.mem;
    mem.lock(Slot.ExportLock);
    try {
      const again = this.probe(module, name, arity); // another thread may have inserted it
      if (again >= 0) return this.remember(module, name, arity, again);
      const w = mem.i32;
      const e = w[Slot.ExportCount]!;
      if (e >= MAX_EXPORTS) throw new Error('export table full');
      const at = this.base + e * EXPORT_ENTRY_WORDS;
      w[at] = 0;
      w[at + 1] = module;
      w[at + 2] = name;
      w[at + 3] = arity;
      const index = w[Slot.ExportIndex]!;
      const mask = w[Slot.ExportIndexSize]! - 1;
      let slot = exportHash(module, name, arity) & mask;
      while (w[index + slot] !== 0) slot = (slot + 1) & mask;
      Atomics.store(w, index + slot, e + 1);
      Atomics.store(w, Slot.ExportCount, e + 1);
      return this.remember(module, name, arity, e);
    } finally {
      mem.unlock(Slot.ExportLock);
    }
  }

  find(module: Term, name: Term, arity: number): number | undefined {
    const cached = this.byKey.get(`${module}:${name}/${arity}`);
    if (cached !== undefined) return cached;
    const e = this.probe(module, name, arity);
    return e < 0 ? undefined : this.remember(module, name, arity, e);
  }

  /** The entry of M:F/A in the shared index, or -1. Lock-free: a published slot names a complete entry. */
  private probe(module: Term, name: Term, arity: number): number {
    const w = this.mem.i32;
    const index = w[Slot.ExportIndex]!;
    const mask = w[Slot.ExportIndexSize]! - 1;
    for (let slot = exportHash(module, name, arity) & mask; ; slot = (slot + 1) & mask) {
      const v = Atomics.load(w, index + slot);
      if (v === 0) return -1;
      const at = this.base + (v - 1) * EXPORT_ENTRY_WORDS;
      if (w[at + 1] === module && w[at + 2] === name && w[at + 3] === arity) return v - 1;
    }
  }

  private remember(module: Term, name: Term, arity: number, e: number): number {
    this.byKey.set(`${module}:${name}/${arity}`, e);
    return e;
  }

  /** Word index of the code-address word of an entry (the interpreter reads it directly). */
  addressWord(e: number): number {
    return this.base + e * EXPORT_ENTRY_WORDS;
  }

  address(e: number): number {
    return Atomics.load(this.mem.i32, this.base + e * EXPORT_ENTRY_WORDS);
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
    const n = this.count;
    for (let e = 0; e < n; e++) if (this.module(e) === module) out.push(e);
    return out;
  }
}

function exportHash(module: Term, name: Term, arity: number): number {
  let h = Math.imul(module ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ name ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ arity ^ (h >>> 16)) | 0;
}

/** A function's place in a module's code, for stack traces and function_clause. */
export interface FunctionInfo {
  /** Address of its func_info instruction. */
  readonly start: number;
  readonly name: Term;
  readonly arity: number;
}

/** A lambda's record in shared memory (FUN_RECORD_WORDS; make_fun's operand is its address). */
export const enum FunWord {
  Module = 0,
  Index = 1,
  /** The arity of the code, free variables included. */
  CodeArity = 2,
  NumFree = 3,
  OldUniq = 4,
  OldIndex = 5,
  /** Code address of the lambda's entry. */
  Address = 6,
  Name = 7,
  /** The module's MD5 (the fun's new uniq): four words in byte order. */
  Uniq = 8,
  Words = 12,
}

/** A lambda of a loaded module (this thread's copy of its record). */
export interface FunEntry {
  readonly module: Term;
  readonly index: number;
  readonly codeArity: number;
  readonly numFree: number;
  readonly oldUniq: number;
  readonly oldIndex: number;
  readonly address: number;
  readonly name: Term;
  /** Address of its shared record. */
  readonly record: number;
}

/**
 * A loaded version of a module: a block of VersionWord.Words words. Each
 * table is a block of its own: Functions [n, (start, name, arity)*], Lines
 * [n, addrs[n], files[n], numbers[n]], Exports [n, (name, arity)*], Funs [n,
 * FunWord records], Bytes the .beam file (ByteLength bytes).
 */
export const enum VersionWord {
  Name = 0,
  Code = 1,
  CodeEnd = 2,
  Functions = 3,
  Lines = 4,
  Exports = 5,
  Funs = 6,
  Attributes = 7,
  CompileInfo = 8,
  OnLoad = 9,
  Bytes = 10,
  ByteLength = 11,
  Md5 = 12,
  Words = 16,
}

export interface LoadedModule {
  readonly name: Term;
  readonly nameText: string;
  /** Its version record in shared memory. */
  readonly version: number;
  /** Code block: [code, codeEnd). */
  readonly code: number;
  readonly codeEnd: number;
  readonly functions: FunctionInfo[];
  /** Sorted code addresses where a line entry starts, and the entry (file index, line) at each (views of shared memory). */
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

/** Module record: its name, current and old version (0 = none). */
const enum ModWord {
  Name = 0,
  Current = 1,
  Old = 2,
  Words = 4,
}

const MODULE_INDEX_SIZE = 1 << 14;

/**
 * This thread's view of the module registry. Lookups are cached per code
 * generation: one shared word read per `get` while nothing changes; a
 * version another thread loaded is rebuilt here once (`attach`).
 */
export class ModuleTable {
  private gen = -1;
  private readonly byName = new Map<Term, LoadedModule | null>();
  private readonly byVersion = new Map<number, LoadedModule>();
  /** Current and old versions sorted by code address, for lookups by address; rebuilt after a change. */
  private sorted: LoadedModule[] | undefined;

  constructor(
    private readonly mem: Memory,
    private readonly attach: (version: number) => LoadedModule,
  ) {}

  /** Allocates the registry of a fresh memory (the formatting thread only). */
  static format(mem: Memory): void {
    const index = mem.allocZeroed(MODULE_INDEX_SIZE);
    mem.refresh();
    mem.i32[Slot.ModuleIndex] = index;
    mem.i32[Slot.ModuleIndexSize] = MODULE_INDEX_SIZE;
  }

  private check(): void {
    const g = Atomics.load(this.mem.i32, Slot.CodeGeneration);
    if (g !== this.gen) {
      this.gen = g;
      this.byName.clear();
      this.sorted = undefined;
    }
  }

  /** The current version of a module, wherever it was loaded. */
  get(name: Term): LoadedModule | undefined {
    this.check();
    const hit = this.byName.get(name);
    if (hit !== undefined) return hit ?? undefined;
    this.mem.refresh();
    const rec = this.record(name);
    const v = rec === 0 ? 0 : Atomics.load(this.mem.i32, rec + ModWord.Current);
    const m = v === 0 ? null : this.version(v);
    this.byName.set(name, m);
    return m ?? undefined;
  }

  /** The old version of a module (the one before the last load), if any. */
  old(name: Term): LoadedModule | undefined {
    this.mem.refresh();
    const rec = this.record(name);
    const v = rec === 0 ? 0 : Atomics.load(this.mem.i32, rec + ModWord.Old);
    return v === 0 ? undefined : this.version(v);
  }

  /** This thread's object for a version record. */
  version(v: number): LoadedModule {
    let m = this.byVersion.get(v);
    if (m === undefined) {
      m = this.attach(v);
      this.byVersion.set(v, m);
    }
    return m;
  }

  /** Every module's current version. */
  all(): LoadedModule[] {
    const out: LoadedModule[] = [];
    this.eachRecord((rec) => {
      const v = Atomics.load(this.mem.i32, rec + ModWord.Current);
      if (v !== 0) out.push(this.version(v));
    });
    return out;
  }

  /** The module version (current or old) whose code holds `addr`. */
  byAddress(addr: number): LoadedModule | undefined {
    this.check();
    if (this.sorted === undefined) {
      const list: LoadedModule[] = [];
      this.eachRecord((rec) => {
        for (const which of [ModWord.Current, ModWord.Old]) {
          const v = Atomics.load(this.mem.i32, rec + which);
          if (v !== 0) list.push(this.version(v));
        }
      });
      this.sorted = list.sort((a, b) => a.code - b.code);
    }
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

  /**
   * Makes `version` the module's current code and the current one old (the
   * previous old code is dropped: a purge). The caller holds Slot.CodeLock.
   */
  publish(name: Term, version: number): void {
    const mem = this.mem;
    let rec = this.record(name);
    if (rec === 0) {
      rec = mem.allocZeroed(ModWord.Words);
      mem.refresh();
      const w = mem.i32;
      w[rec + ModWord.Name] = name;
      const index = w[Slot.ModuleIndex]!;
      const mask = w[Slot.ModuleIndexSize]! - 1;
      let slot = moduleHash(name) & mask;
      for (let n = 0; w[index + slot] !== 0; slot = (slot + 1) & mask) if (++n > mask) throw new Error('module registry full');
      Atomics.store(w, index + slot, rec);
    }
    const w = mem.i32;
    Atomics.store(w, rec + ModWord.Old, w[rec + ModWord.Current]!);
    Atomics.store(w, rec + ModWord.Current, version);
    Atomics.add(w, Slot.CodeGeneration, 1);
  }

  /** Makes a module's current code old (erlang:delete_module/1). The caller holds Slot.CodeLock. */
  retire(name: Term): void {
    const rec = this.record(name);
    if (rec === 0) return;
    const w = this.mem.i32;
    Atomics.store(w, rec + ModWord.Old, w[rec + ModWord.Current]!);
    Atomics.store(w, rec + ModWord.Current, 0);
    Atomics.add(w, Slot.CodeGeneration, 1);
  }

  /** The registry record of a module, 0 if it was never loaded. Lock-free. */
  private record(name: Term): number {
    const w = this.mem.i32;
    const index = w[Slot.ModuleIndex]!;
    const mask = w[Slot.ModuleIndexSize]! - 1;
    for (let slot = moduleHash(name) & mask; ; slot = (slot + 1) & mask) {
      const rec = Atomics.load(w, index + slot);
      if (rec === 0) return 0;
      if (w[rec + ModWord.Name] === name) return rec;
    }
  }

  private eachRecord(f: (rec: number) => void): void {
    this.mem.refresh();
    const w = this.mem.i32;
    const index = w[Slot.ModuleIndex]!;
    const size = w[Slot.ModuleIndexSize]!;
    for (let slot = 0; slot < size; slot++) {
      const rec = Atomics.load(w, index + slot);
      if (rec !== 0) f(rec);
    }
  }
}

function moduleHash(name: Term): number {
  const h = Math.imul(name ^ (name >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) | 0;
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

/** Catch indices fit the catch immediate's value field. */
export const MAX_CATCHES = 1 << 18;

/** The catch table: catch index → handler address, one shared word per index. */
export class CatchTable {
  readonly base: number;

  constructor(private readonly mem: Memory) {
    this.base = mem.i32[Slot.CatchTable]!;
  }

  static format(mem: Memory): void {
    const base = mem.allocZeroed(MAX_CATCHES);
    mem.refresh();
    mem.i32[Slot.CatchTable] = base;
  }

  /** Reserves `n` consecutive catch indices; returns the first. */
  reserve(n: number): number {
    const first = Atomics.add(this.mem.i32, Slot.CatchCount, n);
    if (first + n > MAX_CATCHES) throw new Error('catch table full');
    return first;
  }

  set(index: number, handler: number): void {
    Atomics.store(this.mem.i32, this.base + index, handler);
  }

  handler(index: number): number {
    return this.mem.i32[this.base + index]!;
  }
}

/** Words per segment of a bin-spec block: type, segIndex, unit, flags, sizeAll, string byte address, string length. */
const SPEC_SEGMENT_WORDS = 7;

/**
 * Writes a bs_create_bin segment list into shared memory and returns the
 * block's address (the instruction's operand). String segments point into
 * the module's string table (`stringAddr(seg)` is the byte address).
 */
export function storeBinSpec(mem: Memory, segs: readonly SegmentDesc[], stringAddr: (seg: number) => number): number {
  new BinSpec(segs); // a bad segment list is a load error, not a run-time one
  const block = mem.alloc(1 + segs.length * SPEC_SEGMENT_WORDS);
  mem.refresh();
  const w = mem.i32;
  w[block] = segs.length;
  segs.forEach((s, i) => {
    const at = block + 1 + i * SPEC_SEGMENT_WORDS;
    w[at] = (SEG_TYPE_NAMES as readonly string[]).indexOf(s.type);
    w[at + 1] = s.segIndex;
    w[at + 2] = s.unit;
    w[at + 3] = s.flags;
    w[at + 4] = s.sizeAll === true ? 1 : 0;
    w[at + 5] = s.string === undefined ? 0 : stringAddr(i);
    w[at + 6] = s.string?.length ?? 0;
  });
  return block;
}

/** This thread's decoded bin specs, by block address. */
export class BinSpecCache {
  private readonly specs = new Map<number, BinSpec>();

  constructor(private readonly mem: Memory) {}

  get(block: number): BinSpec {
    let spec = this.specs.get(block);
    if (spec === undefined) {
      const w = this.mem.i32;
      const segs: SegmentDesc[] = [];
      for (let i = 0; i < w[block]!; i++) {
        const at = block + 1 + i * SPEC_SEGMENT_WORDS;
        const type = SEG_TYPE_NAMES[w[at]!]!;
        const desc: SegmentDesc = { type, segIndex: w[at + 1]!, unit: w[at + 2]!, flags: w[at + 3]! };
        if (w[at + 4] === 1) desc.sizeAll = true;
        if (type === 'string') desc.string = this.mem.u8.slice(w[at + 5]!, w[at + 5]! + w[at + 6]!);
        segs.push(desc);
      }
      spec = new BinSpec(segs);
      this.specs.set(block, spec);
    }
    return spec;
  }
}

export type { AtomTable };
