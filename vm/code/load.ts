/**
 * Loading a module: the generic instructions of a parsed .beam file become
 * threaded code in shared memory (encoding in vm/code/ops.ts). Every operand
 * is decoded here, once: labels to addresses,
 * imports to export entries,
 * BIFs to registry indices, literals to term words in the module's literal
 * area. The specialization and fusion rules are in vm/code/transform.ts.
 *
 * An instruction the interpreter does not implement is a load error naming
 * it (LoadError), never a silent skip.
 */
import { Atom, type ETerm } from '../../loader/eterm.js';
import { parseBeam, type BeamFile } from '../../loader/beam_file.js';
import { decodeCode, type GenericInstr } from '../../loader/code.js';
import type { Operand } from '../../loader/compact.js';
import { lookupBif, missingBif } from '../../bifs/registry.js';
import { erlError } from '../errors.js';
import { commonAtom } from '../term/atoms.js';
import { fromETerm, sizeOfETerm } from '../term/build.js';
import { Heap } from '../term/heap.js';
import { FLOAT_HEADER, NIL, fitsSmall, makeSmall, type Term } from '../term/tags.js';
import type { VM } from '../vm.js';
import { FunWord, VersionWord, type LoadedModule } from './code_table.js';
import { FUNC_INFO_WORDS, xReg, yReg } from './ops.js';
import { selectSpecific, IMPLEMENTED_GENERIC } from './transform.js';
import { createHash } from 'node:crypto';

export class LoadError extends Error {
  constructor(
    readonly module: string,
    reason: string,
  ) {
    super(`${module}: ${reason}`);
    this.name = 'LoadError';
  }
}

/** Heap words per fun in an allocation list: our fun's fixed part (free variables are counted in `words`). */
const FUN_ALLOC_WORDS = 13;
/** Heap words per float in an allocation list (header and two words). */
const FLOAT_ALLOC_WORDS = 3;

/** What the emitter needs while encoding one module. */
export class Emitter {
  readonly code: number[] = [];
  /** Positions in `code` holding a label number to turn into an address. */
  readonly labelRefs: number[] = [];
  readonly labels = new Map<number, number>();
  readonly lineAddrs: number[] = [];
  readonly lineItems: number[] = [];
  readonly functions: Array<{ start: number; name: Term; arity: number }> = [];
  /** Positions in `code` holding a catch-table index relative to the module (patched to global). */
  readonly catchRefs: number[] = [];

  constructor(
    readonly vm: VM,
    readonly file: BeamFile,
    readonly moduleAtom: Term,
    readonly atomTerms: Term[],
    readonly literals: Term[],
    readonly extraLiteral: (t: ETerm) => Term,
    readonly stringBase: number,
    readonly funIndex: number[],
  ) {}

  fail(reason: string): never {
    throw new LoadError(this.file.module, reason);
  }

  emit(...words: number[]): void {
    for (const w of words) this.code.push(w);
  }

  /** A label operand: its number now, its address after relocation. */
  label(o: Operand): void {
    if (o.kind !== 'f') this.fail(`expected a label, got ${o.kind}`);
    if (o.value === 0) {
      this.code.push(0);
      return;
    }
    this.labelRefs.push(this.code.length);
    this.code.push(o.value);
  }

  atom(o: Operand): Term {
    if (o.kind !== 'a') this.fail(`expected an atom, got ${o.kind}`);
    return o.value === 0 ? NIL : this.atomTerms[o.value - 1]!;
  }

  /** A source operand word (vm/code/ops.ts). */
  source(o: Operand): number {
    switch (o.kind) {
      case 'x':
        return xReg(o.value);
      case 'y':
        return yReg(o.value);
      case 'a':
        return o.value === 0 ? NIL : this.atomTerms[o.value - 1]!;
      case 'i': {
        const v = o.value;
        if (v >= -134217728n && v <= 134217727n) return makeSmall(Number(v));
        return this.extraLiteral(v);
      }
      case 'literal': {
        const t = this.literals[o.index];
        if (t === undefined) this.fail(`literal ${o.index} out of range`);
        return t;
      }
      case 'float':
        return this.extraLiteral(o.value);
      case 'tr':
        return this.source(o.reg);
      case 'u':
        return makeSmall(o.value);
      default:
        return this.fail(`unexpected ${o.kind} operand where a source is expected`);
    }
  }

  dest(o: Operand): number {
    if (o.kind === 'x') return xReg(o.value);
    if (o.kind === 'y') return yReg(o.value);
    if (o.kind === 'tr') return this.dest(o.reg);
    return this.fail(`unexpected ${o.kind} operand where a register is expected`);
  }

  unsigned(o: Operand): number {
    if (o.kind === 'u') return o.value;
    if (o.kind === 'alloc') return this.alloc(o); // bs_init2's Extra may be an allocation list
    if (o.kind === 'i' && o.value >= 0n && o.value <= 0x7fffffffn) return Number(o.value);
    return this.fail(`expected an unsigned operand, got ${o.kind}`);
  }

  /** Heap words of an allocation operand (a count or an allocation list). */
  alloc(o: Operand): number {
    if (o.kind === 'u') return o.value;
    if (o.kind !== 'alloc') this.fail(`expected an allocation, got ${o.kind}`);
    let words = 0;
    for (const e of o.entries) {
      words += e.type === 0 ? e.count : e.type === 1 ? e.count * FLOAT_ALLOC_WORDS : e.count * FUN_ALLOC_WORDS;
    }
    return words;
  }

  list(o: Operand): Operand[] {
    if (o.kind !== 'list') this.fail(`expected a list operand, got ${o.kind}`);
    return o.elements;
  }

  /** An import operand: its export-table entry. */
  importEntry(o: Operand): number {
    const imp = this.file.imports[this.unsigned(o)];
    if (imp === undefined) this.fail(`import ${this.unsigned(o)} out of range`);
    return this.vm.exports.entry(this.atomTerms[imp.module - 1]!, this.atomTerms[imp.name - 1]!, imp.arity);
  }

  /** A BIF operand (an import that must be a BIF): its registry index. */
  bif(o: Operand): number {
    const imp = this.file.imports[this.unsigned(o)];
    if (imp === undefined) this.fail(`import ${this.unsigned(o)} out of range`);
    const m = this.file.atoms[imp.module - 1]!;
    const f = this.file.atoms[imp.name - 1]!;
    const entry = lookupBif(m, f, imp.arity) ?? missingBif(m, f, imp.arity, () => {
      throw erlError(commonAtom('undef'));
    });
    return entry.index;
  }

  /** Any operand, encoded by its own kind (for list elements and `*` operands). */
  any(o: Operand): void {
    switch (o.kind) {
      case 'f':
        this.label(o);
        return;
      case 'u':
        this.code.push(o.value);
        return;
      case 'list':
        this.code.push(o.elements.length);
        for (const e of o.elements) this.any(e);
        return;
      case 'fr':
        this.code.push(o.value);
        return;
      case 'alloc':
        this.code.push(this.alloc(o));
        return;
      default:
        this.code.push(this.source(o));
    }
  }
}

/** True when instrs[j] begins the next function (labels and lines then func_info) or the end of code. */
function startsFunction(instrs: readonly GenericInstr[], j: number): boolean {
  for (let k = j; k < instrs.length; k++) {
    const n = instrs[k]!.op.name;
    if (n === 'func_info' || n === 'int_code_end') return true;
    if (n !== 'label' && n !== 'line') return false;
  }
  return true;
}

/**
 * Parsed and decoded modules by content digest. Both are pure functions of
 * the bytes and never mutated by loading, so the VMs of one Node process
 * (every VM starts the kernel's modules) parse each .beam once.
 */
const parsedCache = new Map<string, { file: BeamFile; instrs?: GenericInstr[] }>();

/** The parsed file, and its decoded instructions when `decode` (attaching needs only the file). */
function parseCached(bytes: Uint8Array, decode: boolean): { file: BeamFile; instrs: GenericInstr[] } {
  const key = `${bytes.length}:${createHash('sha1').update(bytes).digest('base64')}`;
  let hit = parsedCache.get(key);
  if (hit === undefined) {
    hit = { file: parseBeam(bytes) };
    if (parsedCache.size > 2000) parsedCache.clear();
    parsedCache.set(key, hit);
  }
  if (decode) hit.instrs ??= decodeCode(hit.file);
  return { file: hit.file, instrs: hit.instrs ?? [] };
}

/**
 * Loads a module from .beam bytes (its current version becomes old, as
 * code:load_binary does) and returns it. The caller holds Slot.CodeLock.
 */
export function loadModule(vm: VM, bytes: Uint8Array): LoadedModule {
  const { file, instrs } = parseCached(bytes, true);
  const mem = vm.mem;
  const atomTerms = file.atoms.map((a) => vm.atoms.intern(a));
  const moduleAtom = atomTerms[0]!;

  // Literal area: the literal table, plus big integers and floats used as operands.
  const extras: ETerm[] = [];
  for (const ins of instrs) collectExtraLiterals(ins.args, extras);
  let words = 0;
  for (const t of file.literals) words += sizeOfETerm(t, vm);
  for (const t of extras) words += sizeOfETerm(t, vm);
  const literalHeap = Heap.allocate(mem, Math.max(words, 1));
  const literals = file.literals.map((t) => fromETerm(vm, literalHeap, t));
  const extraTerms = new Map<ETerm, Term>();
  for (const t of extras) extraTerms.set(t, fromETerm(vm, literalHeap, t));
  mem.refresh();

  // String table, in shared memory for bs_match_string and friends.
  const strings = file.strings;
  const stringBlock = mem.alloc(Math.max(1, (strings.length + 3) >>> 2));
  mem.refresh();
  mem.u8.set(strings, stringBlock * 4);

  // Lambdas first: make_fun's operand is the address of the lambda's shared record.
  const md5 = moduleMd5(file);
  const md5Words = new Int32Array(md5.buffer, md5.byteOffset, 4);
  const funBlock = mem.alloc(1 + file.lambdas.length * FunWord.Words);
  mem.refresh();
  mem.i32[funBlock] = file.lambdas.length;
  const funIndex = file.lambdas.map((l, k) => {
    const rec = funBlock + 1 + k * FunWord.Words;
    const w = mem.i32;
    w[rec + FunWord.Module] = moduleAtom;
    w[rec + FunWord.Index] = l.index;
    w[rec + FunWord.CodeArity] = l.arity;
    w[rec + FunWord.NumFree] = l.numFree;
    w[rec + FunWord.OldUniq] = l.oldUniq;
    w[rec + FunWord.OldIndex] = l.index;
    w[rec + FunWord.Name] = atomTerms[l.name - 1]!;
    for (let i = 0; i < 4; i++) w[rec + FunWord.Uniq + i] = md5Words[i]!;
    return rec;
  });
  const em = new Emitter(
    vm,
    file,
    moduleAtom,
    atomTerms,
    literals,
    (t) => {
      const term = extraTerms.get(t);
      if (term === undefined) throw new LoadError(file.module, 'internal: literal operand not collected');
      return term;
    },
    stringBlock * 4,
    funIndex,
  );

  let currentFunction: { start: number; name: Term; arity: number; nif: number } | undefined;
  for (let i = 0; i < instrs.length; i++) {
    const ins = instrs[i]!;
    const name = ins.op.name;
    if (name === 'label') {
      em.labels.set(em.unsigned(ins.args[0]!), em.code.length);
      // A function replaced by a native function: its entry label starts the stub, its body is dropped.
      if (currentFunction !== undefined && currentFunction.nif >= 0 && em.code.length === currentFunction.start + FUNC_INFO_WORDS) {
        em.emit(...vm.stubFor(currentFunction.nif));
        // Skip the body (an erlang:nif_error stub); its labels point at the native stub.
        while (i + 1 < instrs.length && !startsFunction(instrs, i + 1)) {
          const next = instrs[i + 1]!;
          if (next.op.name === 'label') em.labels.set(em.unsigned(next.args[0]!), em.code.length - 2);
          i++;
        }
      }
      continue;
    }
    if (name === 'line') {
      const item = em.unsigned(ins.args[0]!);
      em.lineAddrs.push(em.code.length);
      em.lineItems.push(item);
      continue;
    }
    if (name === 'int_code_end') break;
    if (name === 'func_info') {
      const fname = em.atom(ins.args[1]!);
      const arity = em.unsigned(ins.args[2]!);
      const nif = lookupBif(file.module, vm.atoms.name(fname), arity);
      currentFunction = { start: em.code.length, name: fname, arity, nif: nif === undefined ? -1 : nif.index };
      em.functions.push({ start: em.code.length, name: fname, arity });
      // The fourth word counts calls to the function (the JIT's hotness counter, vm/jit.ts).
      em.emit(2, em.atom(ins.args[0]!), fname, arity, 0);
      continue;
    }
    if (!IMPLEMENTED_GENERIC.has(ins.op.opcode)) {
      em.fail(`instruction ${name}/${ins.op.arity} is not implemented (opcode ${ins.op.opcode})`);
    }
    i += selectSpecific(em, instrs, i) - 1;
  }

  // Relocate: code goes into its own block of shared memory.
  const codeWords = em.code.length;
  // Above the module's other blocks (Memory.allocAbove): views that hold its code hold what the code refers to.
  const base = mem.allocAbove(Math.max(codeWords, 1));
  mem.refresh();
  const resolve = (label: number): number => {
    const at = em.labels.get(label);
    if (at === undefined) throw new LoadError(file.module, `undefined label ${label}`);
    return base + at;
  };
  for (const at of em.labelRefs) em.code[at] = resolve(em.code[at]!);
  // Catch words name global catch indices, reserved for this module in one go.
  const firstCatch = em.catchRefs.length === 0 ? 0 : vm.catches.reserve(em.catchRefs.length);
  em.catchRefs.forEach((at, k) => {
    vm.catches.set(firstCatch + k, em.code[at]!);
    em.code[at] = firstCatch + k;
  });
  file.lambdas.forEach((l, k) => (mem.i32[funIndex[k]! + FunWord.Address] = resolve(l.label)));

  let onLoad = 0;
  const onLoadAttr = findOnLoad(file);
  if (onLoadAttr !== undefined) {
    const f = em.functions.find((fn) => vm.atoms.name(fn.name) === onLoadAttr && fn.arity === 0);
    if (f !== undefined) onLoad = base + f.start + FUNC_INFO_WORDS;
  }
  const lines = file.lines;
  const attributes = file.attributes === undefined ? NIL : fromETerm(vm, Heap.allocate(mem, sizeOfETerm(file.attributes, vm) + 1), file.attributes);
  const compileInfo = file.compileInfo === undefined ? NIL : fromETerm(vm, Heap.allocate(mem, sizeOfETerm(file.compileInfo, vm) + 1), file.compileInfo);

  // The version record: what any thread needs to rebuild its LoadedModule (attachModule).
  const table = (n: number, width: number, fill: (w: Int32Array, at: number) => void): number => {
    const block = mem.alloc(1 + n * width);
    mem.refresh();
    mem.i32[block] = n;
    fill(mem.i32, block + 1);
    return block;
  };
  const nLines = em.lineItems.length;
  const version = mem.allocZeroed(VersionWord.Words);
  const bytesBlock = mem.alloc(Math.max(1, (bytes.length + 3) >>> 2));
  const tables = {
    functions: table(em.functions.length, 3, (w, at) =>
      em.functions.forEach((f, k) => w.set([base + f.start, f.name, f.arity], at + 3 * k)),
    ),
    lines: table(nLines, 3, (w, at) =>
      em.lineItems.forEach((item, k) => {
        const li = lines?.items[item];
        w[at + k] = base + em.lineAddrs[k]!;
        w[at + nLines + k] = li?.file ?? 0;
        w[at + 2 * nLines + k] = li?.line ?? 0;
      }),
    ),
    exports: table(file.exports.length, 2, (w, at) =>
      file.exports.forEach((e, k) => w.set([atomTerms[e.name - 1]!, e.arity], at + 2 * k)),
    ),
  };
  mem.refresh();
  const w = mem.i32;
  for (let k = 0; k < codeWords; k++) w[base + k] = em.code[k]!;
  mem.u8.set(bytes, bytesBlock * 4);
  w[version + VersionWord.Name] = moduleAtom;
  w[version + VersionWord.Code] = base;
  w[version + VersionWord.CodeEnd] = base + codeWords;
  w[version + VersionWord.Functions] = tables.functions;
  w[version + VersionWord.Lines] = tables.lines;
  w[version + VersionWord.Exports] = tables.exports;
  w[version + VersionWord.Funs] = funBlock;
  w[version + VersionWord.Attributes] = attributes;
  w[version + VersionWord.CompileInfo] = compileInfo;
  w[version + VersionWord.OnLoad] = onLoad;
  w[version + VersionWord.Bytes] = bytesBlock;
  w[version + VersionWord.ByteLength] = bytes.length;
  for (let i = 0; i < 4; i++) w[version + VersionWord.Md5 + i] = md5Words[i]!;

  // Publish: the registry first (so a thread that reaches the code finds its module), then the exports.
  vm.modules.publish(moduleAtom, version);
  const module = vm.modules.version(version);
  for (const e of file.exports) {
    const entry = vm.exports.entry(moduleAtom, atomTerms[e.name - 1]!, e.arity);
    vm.exports.setAddress(entry, resolve(e.label));
  }
  return module;
}

/**
 * This thread's LoadedModule for a version record that any thread wrote
 * (loadModule): its tables are read from shared memory (the line tables are
 * views of it), the file names come from the .beam bytes kept with it.
 * Writes nothing into shared memory.
 */
export function attachModule(vm: VM, version: number): LoadedModule {
  const mem = vm.mem;
  mem.refresh();
  const w = mem.i32;
  const word = (k: VersionWord): number => w[version + k]!;
  const bytesAt = word(VersionWord.Bytes) * 4;
  const { file } = parseCached(mem.u8.slice(bytesAt, bytesAt + word(VersionWord.ByteLength)), false);
  const rows = <R>(block: number, width: number, row: (at: number) => R): R[] =>
    Array.from({ length: w[block]! }, (_, k) => row(block + 1 + k * width));
  const lines = word(VersionWord.Lines);
  const nLines = w[lines]!;
  const view = (at: number): Int32Array => new Int32Array(mem.buffer, at * 4, nLines);
  const md5 = new Uint8Array(16);
  new Int32Array(md5.buffer).set(w.subarray(version + VersionWord.Md5, version + VersionWord.Md5 + 4));
  return {
    name: word(VersionWord.Name),
    nameText: file.module,
    version,
    code: word(VersionWord.Code),
    codeEnd: word(VersionWord.CodeEnd),
    functions: rows(word(VersionWord.Functions), 3, (at) => ({ start: w[at]!, name: w[at + 1]!, arity: w[at + 2]! })),
    lineAddrs: view(lines + 1),
    lineFiles: view(lines + 1 + nLines),
    lineNumbers: view(lines + 1 + 2 * nLines),
    // Line items name file 0 for the module's own source (as the real loader: Module.erl), else fileNames[file - 1].
    fileNames: [`${file.module}.erl`, ...(file.lines?.fileNames ?? [])],
    funs: rows(word(VersionWord.Funs), FunWord.Words, (at) => ({
      module: w[at + FunWord.Module]!,
      index: w[at + FunWord.Index]!,
      codeArity: w[at + FunWord.CodeArity]!,
      numFree: w[at + FunWord.NumFree]!,
      oldUniq: w[at + FunWord.OldUniq]!,
      oldIndex: w[at + FunWord.OldIndex]!,
      address: w[at + FunWord.Address]!,
      name: w[at + FunWord.Name]!,
      record: at,
    })),
    exports: rows(word(VersionWord.Exports), 2, (at): [Term, number] => [w[at]!, w[at + 1]!]),
    attributes: word(VersionWord.Attributes),
    compileInfo: word(VersionWord.CompileInfo),
    md5,
    onLoad: word(VersionWord.OnLoad),
  };
}

function findOnLoad(file: BeamFile): string | undefined {
  const attrs = file.attributes;
  if (!Array.isArray(attrs)) return undefined;
  for (const a of attrs) {
    if (typeof a === 'object' && a !== null && 'elements' in a) {
      const [k, v] = (a as { elements: ETerm[] }).elements;
      if (k instanceof Atom && k.name === 'on_load' && Array.isArray(v) && v.length > 0) {
        const fa = v[0] as { elements?: ETerm[] };
        const n = fa.elements?.[0];
        if (n instanceof Atom) return n.name;
      }
    }
  }
  return undefined;
}

/**
 * MD5 of the module, as module_info(md5) and beam_lib:md5/1 compute it: the
 * chunks in this fixed order, with each FunT entry's OldUniq field zeroed.
 */
function moduleMd5(file: BeamFile): Uint8Array {
  const h = createHash('md5');
  for (const id of ['Atom', 'AtU8', 'Code', 'StrT', 'ImpT', 'ExpT', 'FunT', 'LitT', 'Meta']) {
    const c = file.chunks.find((ch) => ch.id === id);
    if (c === undefined) continue;
    if (id === 'FunT') {
      const data = Uint8Array.from(c.data);
      // 4-byte count, then 24-byte entries whose bytes 20..23 are OldUniq.
      for (let at = 4; at + 24 <= data.length; at += 24) data.fill(0, at + 20, at + 24);
      h.update(data);
    } else h.update(c.data);
  }
  return new Uint8Array(h.digest());
}

function collectExtraLiterals(args: readonly Operand[], out: ETerm[]): void {
  for (const a of args) {
    if (a.kind === 'i' && (a.value < -134217728n || a.value > 134217727n)) {
      (a as { literal?: ETerm }).literal = a.value;
      out.push(a.value);
    } else if (a.kind === 'float') out.push(a.value);
    else if (a.kind === 'list') collectExtraLiterals(a.elements, out);
    else if (a.kind === 'tr') collectExtraLiterals([a.reg], out);
  }
}

export { FLOAT_HEADER, fitsSmall };
