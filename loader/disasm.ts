/**
 * Disassembly of a parsed .beam file, in two forms:
 *
 * - `disasmErlang`: the terms OTP's `beam_disasm:file/1` returns, printed one
 *   per line with `~w` — byte for byte what the real VM prints for the same
 *   file (the contract is in docs/architecture.md). The shapes of the terms
 *   below follow beam_disasm's (OTP 25) conventions, quirks included: some
 *   operands are shown raw (`{u,N}`, `{i,N}`), others resolved (`N`,
 *   `{integer,N}`), labels before a function's func_info come out in the
 *   order beam_disasm gives them, and so on.
 * - `disasmListing`: a readable listing for people.
 */
import { Atom, Bitstring, Tuple, atom, type ETerm } from './eterm.js';
import type { Operand } from './compact.js';
import type { BeamFile } from './beam_file.js';
import { decodeCode, type GenericInstr } from './code.js';
import { writeTerm } from '../vm/text/write.js';
import { canonicalize, type HashEnv } from './eterm_hash.js';

/** beam_disasm would have crashed on this input (the real snippet fails too). */
export class DisasmError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'DisasmError';
  }
}

const A = atom;
const int = (n: number | bigint): bigint => BigInt(n);
const tup = (...elements: ETerm[]): Tuple => new Tuple(elements);

interface Context {
  readonly file: BeamFile;
  /** VM state for ordering maps of more than 32 keys (atom indices); see eterm_hash.ts. */
  readonly hashEnv?: HashEnv;
  /** Entry labels of functions → {M,F,A}. */
  readonly labels: Map<number, Tuple>;
}

function fail(reason: string): never {
  throw new DisasmError(reason);
}

function atomName(file: BeamFile, index: number): Atom {
  const name = file.atoms[index - 1];
  if (name === undefined) fail(`atom index ${index} out of range`);
  return A(name);
}

/** An operand as beam_disasm's decode_arg gives it. */
function raw(ctx: Context, op: Operand): ETerm {
  switch (op.kind) {
    case 'u':
    case 'x':
    case 'y':
    case 'f':
    case 'h':
      return tup(A(op.kind), int(op.value));
    case 'i':
      return tup(A('i'), op.value);
    case 'a':
      return op.value === 0 ? A('nil') : tup(A('atom'), atomName(ctx.file, op.value));
    case 'float':
      return tup(A('float'), op.value);
    case 'list':
      // decode_arg shows the list tag alone; the instructions that take a
      // list print {{z,1},{u,Len},Elements} themselves (see `listParts`).
      return tup(A('z'), 1n);
    case 'fr':
      return tup(A('fr'), int(op.value));
    case 'alloc':
      return tup(
        A('u'),
        tup(
          A('alloc'),
          op.entries.map((e) => tup(A(['words', 'floats', 'funs'][e.type]!), int(e.count))),
        ),
      );
    case 'literal': {
      const value = ctx.file.literals[op.index];
      if (value === undefined) fail(`literal index ${op.index} out of range`);
      if (typeof value === 'number') return tup(A('float'), value);
      return tup(A('literal'), ctx.hashEnv ? canonicalize(value, ctx.hashEnv) : value);
    }
    case 'tr': {
      const type = ctx.file.types?.[op.typeIndex];
      if (type === undefined) fail(`type index ${op.typeIndex} out of range`);
      return tup(A('tr'), tup(A(op.reg.kind), int((op.reg as { value: number }).value)), type);
    }
  }
}

/** beam_disasm's resolve_arg: unsigned literals to integers, `i` to {integer,N}. */
function resolved(ctx: Context, op: Operand): ETerm {
  switch (op.kind) {
    case 'u':
      return int(op.value);
    case 'i':
      return tup(A('integer'), op.value);
    case 'h':
    case 'list':
    case 'alloc':
      return fail(`resolve_arg: cannot resolve ${op.kind}`);
    default:
      return raw(ctx, op);
  }
}

function unsigned(op: Operand | undefined): bigint {
  if (op?.kind !== 'u') fail(`expected {u,N}, found ${op?.kind}`);
  return int(op.value);
}

/** `{u,N}`, or for an allocation list `{alloc,[...]}` (what beam_disasm matches as {u,X}). */
function unsignedOrAlloc(ctx: Context, op: Operand | undefined): ETerm {
  if (op?.kind === 'alloc') return (raw(ctx, op) as Tuple).elements[1]!;
  return unsigned(op);
}

function listOperand(op: Operand | undefined): Operand[] {
  if (op?.kind !== 'list') fail(`expected a list operand, found ${op?.kind}`);
  return op.elements;
}

/** `{list,[resolved elements]}`. */
function resolvedList(ctx: Context, op: Operand | undefined): Tuple {
  return tup(A('list'), listOperand(op).map((e) => resolved(ctx, e)));
}

/** `{{z,1},{u,Len},[raw elements]}`. */
function listParts(ctx: Context, op: Operand | undefined): ETerm[] {
  const elements = listOperand(op);
  return [tup(A('z'), 1n), tup(A('u'), int(elements.length)), elements.map((e) => raw(ctx, e))];
}

function label(ctx: Context, op: Operand | undefined): Tuple {
  if (op?.kind !== 'f') fail('expected a label');
  const mfa = ctx.labels.get(op.value);
  if (mfa === undefined) fail(`label ${op.value} is not a function entry`);
  return mfa;
}

function importEntry(ctx: Context, op: Operand | undefined): Tuple {
  const index = Number(unsigned(op));
  const entry = ctx.file.imports[index];
  if (entry === undefined) fail(`import index ${index} out of range`);
  return tup(A('extfunc'), atomName(ctx.file, entry.module), atomName(ctx.file, entry.name), int(entry.arity));
}

function bifName(ctx: Context, op: Operand | undefined): ETerm {
  return importEntry(ctx, op).elements[2]!;
}

const fieldFlags = (op: Operand | undefined): Tuple => tup(A('field_flags'), unsigned(op));

function lambda(ctx: Context, oldIndex: number): { name: Atom; arity: number; oldUniq: number; numFree: number } {
  const entry = ctx.file.lambdas[oldIndex];
  if (entry === undefined) fail(`lambda ${oldIndex} not in FunT`);
  return { name: atomName(ctx.file, entry.name), arity: entry.arity, oldUniq: entry.oldUniq, numFree: entry.numFree };
}

function stringBytes(ctx: Context, offset: number, length: number): Uint8Array {
  if (length > 0 && offset + length > ctx.file.strings.length) fail('string table reference out of range');
  return ctx.file.strings.subarray(offset, offset + length);
}

const TEST_OPS = new Set([
  'is_lt', 'is_ge', 'is_eq', 'is_ne', 'is_eq_exact', 'is_ne_exact', 'is_integer', 'is_float',
  'is_number', 'is_atom', 'is_pid', 'is_reference', 'is_port', 'is_nil', 'is_binary', 'is_list',
  'is_nonempty_list', 'is_tuple', 'test_arity', 'is_tagged_tuple', 'is_function', 'is_boolean',
  'is_function2', 'is_bitstr', 'is_map',
]);

const BARE_ATOM_OPS = new Set([
  'return', 'send', 'remove_message', 'timeout', 'if_end', 'fclearerror', 'bs_init_writable',
  'on_load', 'build_stacktrace', 'raw_raise', 'nif_start',
]);

/** Ops whose operands beam_disasm prints as decoded, unchanged. */
const RAW_OPS = new Set([
  'init', 'loop_rec', 'loop_rec_end', 'wait', 'jump', 'catch', 'catch_end', 'get_list', 'try',
  'try_end', 'try_case', 'recv_mark', 'recv_set', 'get_hd', 'get_tl', 'bs_start_match3',
  'bs_get_tail', 'bs_get_position', 'bs_set_position', 'bs_start_match4', 'recv_marker_bind',
  'recv_marker_clear', 'recv_marker_reserve', 'recv_marker_use',
]);

/** One instruction as the term beam_disasm's resolve_inst gives. */
function instrTerm(ctx: Context, instr: GenericInstr): ETerm {
  const name = instr.op.name;
  const a = instr.args;
  const R = (i: number): ETerm => resolved(ctx, a[i]!);
  const W = (i: number): ETerm => raw(ctx, a[i]!);
  // beam_disasm matches {u,X}; an allocation list also decodes as {u,{alloc,...}}.
  const U = (i: number): ETerm => unsignedOrAlloc(ctx, a[i]);
  const N = (i: number): number => Number(unsigned(a[i]));
  const op = A(name);

  if (TEST_OPS.has(name)) return tup(A('test'), op, R(0), a.slice(1).map((x) => resolved(ctx, x)));
  if (BARE_ATOM_OPS.has(name)) return op;
  if (RAW_OPS.has(name)) return tup(op, ...a.map((x) => raw(ctx, x)));

  switch (name) {
    case 'label':
      return tup(op, U(0));
    case 'call':
    case 'call_only':
      return tup(op, U(0), label(ctx, a[1]));
    case 'call_last':
      return tup(op, U(0), label(ctx, a[1]), U(2));
    case 'call_ext':
    case 'call_ext_only':
      return tup(op, U(0), importEntry(ctx, a[1]));
    case 'call_ext_last':
      return tup(op, U(0), importEntry(ctx, a[1]), U(2));
    case 'bif0':
      return tup(A('bif'), bifName(ctx, a[0]), A('nofail'), [], R(1));
    case 'bif1':
      return tup(A('bif'), bifName(ctx, a[1]), R(0), [R(2)], R(3));
    case 'bif2':
      return tup(A('bif'), bifName(ctx, a[1]), R(0), [R(2), R(3)], R(4));
    case 'gc_bif1':
      return tup(A('gc_bif'), bifName(ctx, a[2]), R(0), R(1), [R(3)], R(4));
    case 'gc_bif2':
      return tup(A('gc_bif'), bifName(ctx, a[2]), R(0), R(1), [R(3), R(4)], R(5));
    case 'gc_bif3':
      return tup(A('gc_bif'), bifName(ctx, a[2]), R(0), R(1), [R(3), R(4), R(5)], R(6));
    case 'allocate':
    case 'allocate_zero':
    case 'test_heap':
      return tup(op, U(0), U(1));
    case 'allocate_heap':
    case 'allocate_heap_zero':
      return tup(op, U(0), U(1), U(2));
    case 'deallocate':
    case 'call_fun':
    case 'apply':
      return tup(op, U(0));
    case 'apply_last':
    case 'trim':
      return tup(op, U(0), U(1));
    case 'wait_timeout':
      return tup(op, W(0), R(1));
    case 'select_val':
    case 'select_tuple_arity':
      return tup(op, W(0), W(1), resolvedList(ctx, a[2]));
    case 'move':
      return tup(op, R(0), W(1));
    case 'get_tuple_element':
      return tup(op, R(0), U(1), R(2));
    case 'set_tuple_element':
      return tup(op, R(0), R(1), U(2));
    case 'put_list':
      return tup(op, R(0), R(1), W(2));
    case 'put_tuple':
      return tup(op, U(0), W(1));
    case 'put':
    case 'badmatch':
    case 'case_end':
    case 'fcheckerror':
    case 'try_case_end':
    case 'bs_context_to_binary':
    case 'line':
    case 'badrecord':
      return tup(op, R(0));
    case 'bs_put_integer':
    case 'bs_put_binary':
    case 'bs_put_float':
      return tup(op, W(0), R(1), U(2), fieldFlags(a[3]), R(4));
    case 'bs_put_string': {
      const len = N(0);
      return tup(op, int(len), tup(A('string'), Array.from(stringBytes(ctx, N(1), len), int)));
    }
    case 'fmove':
    case 'fconv':
    case 'swap':
      return tup(op, R(0), R(1));
    case 'fadd':
    case 'fsub':
    case 'fmul':
    case 'fdiv':
      return tup(A('arithfbif'), op, R(0), [R(1), R(2)], R(3));
    case 'fnegate':
      return tup(A('arithfbif'), op, R(0), [R(1)], R(2));
    case 'raise':
      return tup(op, tup(A('f'), 0n), [W(0), W(1)], tup(A('x'), 0n));
    case 'bs_init2':
    case 'bs_init_bits':
      return tup(op, W(0), R(1), U(2), U(3), fieldFlags(a[4]), R(5));
    case 'bs_add':
      return tup(op, W(0), [R(1), R(2), R(3)], R(4));
    case 'bs_start_match2':
      return tup(A('test'), op, W(0), [W(1), U(2), U(3), W(4)]);
    case 'bs_get_integer2':
    case 'bs_get_binary2':
    case 'bs_get_float2':
      return tup(A('test'), op, W(0), [W(1), U(2), R(3), U(4), fieldFlags(a[5]), R(6)]);
    case 'bs_skip_bits2':
      return tup(A('test'), op, W(0), [W(1), R(2), U(3), fieldFlags(a[4])]);
    case 'bs_test_tail2':
    case 'bs_test_unit':
      return tup(A('test'), op, W(0), [W(1), U(2)]);
    case 'bs_save2':
    case 'bs_restore2':
      if (a[1]?.kind === 'a' && a[1].value !== 0) return tup(op, W(0), W(1));
      return tup(op, W(0), U(1));
    case 'bs_match_string': {
      const bits = N(2);
      const len = Math.ceil(bits / 8);
      const bytes = len > 0 ? stringBytes(ctx, N(3), len) : new Uint8Array(0);
      return tup(A('test'), op, W(0), [W(1), int(bits), new Bitstring(bytes.slice())]);
    }
    case 'bs_append':
      return tup(op, W(0), R(1), U(2), U(3), U(4), R(5), fieldFlags(a[6]), R(7));
    case 'bs_private_append':
      return tup(op, W(0), R(1), U(2), R(3), fieldFlags(a[4]), R(5));
    case 'bs_get_utf8':
    case 'bs_get_utf16':
    case 'bs_get_utf32':
      return tup(A('test'), op, W(0), [R(1), R(2), fieldFlags(a[3]), R(4)]);
    case 'bs_skip_utf8':
    case 'bs_skip_utf16':
    case 'bs_skip_utf32':
      return tup(A('test'), op, W(0), [R(1), R(2), fieldFlags(a[3])]);
    case 'bs_utf8_size':
    case 'bs_utf16_size':
      return tup(op, W(0), R(1), R(2));
    case 'bs_put_utf8':
    case 'bs_put_utf16':
    case 'bs_put_utf32':
      return tup(op, W(0), fieldFlags(a[1]), R(2));
    case 'put_map_assoc':
    case 'put_map_exact':
      return tup(op, W(0), W(1), W(2), U(3), resolvedList(ctx, a[4]));
    case 'has_map_fields':
      return tup(A('test'), op, W(0), W(1), resolvedList(ctx, a[2]));
    case 'get_map_elements':
      return tup(op, W(0), W(1), resolvedList(ctx, a[2]));
    case 'put_tuple2':
      return tup(op, W(0), resolvedList(ctx, a[1]));
    case 'init_yregs':
      return tup(op, resolvedList(ctx, a[0]));
    case 'bs_create_bin':
      return tup(op, [tup(W(0), W(1), W(2), W(3), W(4), ...listParts(ctx, a[5]))]);
    case 'call_fun2':
      return tup(op, W(0), U(1), W(2));
    case 'make_fun2': {
      const oldIndex = N(0);
      const fun = lambda(ctx, oldIndex);
      const mfa = tup(A(ctx.file.module), fun.name, int(fun.arity));
      return tup(op, mfa, int(oldIndex), int(fun.oldUniq), int(fun.numFree));
    }
    case 'make_fun3': {
      const oldIndex = N(0);
      const fun = lambda(ctx, oldIndex);
      const mfa = tup(A(ctx.file.module), fun.name, int(fun.arity));
      return tup(op, mfa, int(oldIndex), int(fun.oldUniq), W(1), resolvedList(ctx, a[2]));
    }
    // OTP 26-28 instructions: the OTP 25 beam_disasm does not know them; these
    // are the shapes later versions print (not verified against a real one).
    case 'update_record':
      return tup(op, W(0), U(1), W(2), W(3), resolvedList(ctx, a[4]));
    case 'bs_match':
      return tup(op, W(0), W(1), tup(A('commands'), listOperand(a[2]).map((e) => resolved(ctx, e))));
    case 'executable_line':
      return tup(op, R(0), R(1));
    case 'debug_line':
      return tup(op, R(0), R(1), R(2), R(3));
    default:
      return fail(`beam_disasm has no form for ${name}`);
  }
}

interface DisasmFunction {
  readonly name: Atom;
  readonly arity: number;
  readonly entry: number;
  /** Instructions; func_info is given already in its printed form. */
  readonly code: (GenericInstr | Tuple)[];
}

const isLabelOrLine = (i: GenericInstr): boolean => i.op.name === 'label' || i.op.name === 'line';

/**
 * Splits the instruction stream into functions the way beam_disasm does: the
 * labels and line instructions just before a func_info belong to that
 * function (and, for every function after the first, come out in reverse).
 */
function splitFunctions(ctx: Context, instrs: GenericInstr[]): DisasmFunction[] {
  if (instrs.length === 0) fail('empty code segment');
  const functions: DisasmFunction[] = [];
  // Leading labels/lines of the first function, gathered in reverse.
  let i = 0;
  let before: GenericInstr[] = [];
  while (i < instrs.length && isLabelOrLine(instrs[i]!)) before.unshift(instrs[i++]!);
  while (true) {
    if (i >= instrs.length) {
      if (before.length === 0) break;
      fail('no func_info in code segment');
    }
    const fi = instrs[i]!;
    if (fi.op.name !== 'func_info') fail(`expected func_info, found ${fi.op.name}`);
    const [m, f, arityOp] = fi.args;
    if (m?.kind !== 'a' || m.value === 0 || f?.kind !== 'a' || f.value === 0) fail('func_info without atoms');
    const arity = Number(unsigned(arityOp));
    const funcInfo = tup(A('func_info'), raw(ctx, m), raw(ctx, f), int(arity));
    i++;
    const body: GenericInstr[] = [];
    let after: GenericInstr[] = [];
    let ended = false;
    while (i < instrs.length) {
      const ins = instrs[i]!;
      if (ins.op.name === 'func_info') {
        // Trailing labels/lines go to the next function (in forward order).
        let k = body.length;
        while (k > 0 && isLabelOrLine(body[k - 1]!)) k--;
        after = body.splice(k);
        ended = true;
        break;
      }
      if (ins.op.name === 'int_code_end' && i === instrs.length - 1) {
        i++;
        break;
      }
      body.push(ins);
      i++;
    }
    const first = body[0];
    if (first?.op.name !== 'label' || first.args[0]?.kind !== 'u') fail('function body does not start with a label');
    functions.push({
      name: atomName(ctx.file, (f as { value: number }).value),
      arity,
      entry: first.args[0].value,
      code: [...before.slice().reverse(), funcInfo, ...body],
    });
    if (!ended) break;
    // beam_disasm reverses these once more when it prepends them.
    before = after;
  }
  return functions;
}

/** Function entry labels (the labels right after each func_info) → {M,F,A}. */
function entryLabels(file: BeamFile, functions: DisasmFunction[]): Map<number, Tuple> {
  const labels = new Map<number, Tuple>();
  const module = A(file.module);
  for (const fn of functions) {
    const k = fn.code.findIndex((c) => c instanceof Tuple);
    for (let j = k + 1; j < fn.code.length; j++) {
      const ins = fn.code[j] as GenericInstr;
      if (ins.op.name !== 'label' || ins.args[0]?.kind !== 'u') break;
      labels.set(ins.args[0].value, tup(module, fn.name, int(fn.arity)));
    }
  }
  return labels;
}

export interface DisasmOptions {
  /**
   * The VM whose beam_disasm output is to be reproduced, where it matters:
   * a literal map of more than 32 keys prints in the order of the VM's
   * internal hash, which for atom keys depends on that VM's atom indices.
   */
  hashEnv?: HashEnv;
}

/** The beam_disasm-compatible text: `{function,N,A,Entry}.` then one `~w.` line per instruction. */
export function disasmErlang(file: BeamFile, options: DisasmOptions = {}): string {
  const ctx: Context = { file, labels: new Map() };
  const functions = splitFunctions(ctx, decodeCode(file));
  const labels = entryLabels(file, functions);
  const full: Context = { file, labels, ...(options.hashEnv ? { hashEnv: options.hashEnv } : {}) };
  const out: string[] = [];
  for (const fn of functions) {
    out.push(`${writeTerm(tup(A('function'), fn.name, int(fn.arity), int(fn.entry)))}.\n`);
    for (const c of fn.code) {
      out.push(`${writeTerm(c instanceof Tuple ? c : instrTerm(full, c))}.\n`);
    }
  }
  return out.join('');
}

/** One operand for people: x0, y1, L3, fr0, atoms and literals as Erlang writes them. */
function showOperand(file: BeamFile, op: Operand, kind: string): string {
  switch (op.kind) {
    case 'u':
      return showByKind(file, op.value, kind);
    case 'i':
      return op.value.toString();
    case 'a':
      return op.value === 0 ? '[]' : writeTerm(atomName(file, op.value));
    case 'x':
    case 'y':
      return `${op.kind}${op.value}`;
    case 'f':
      return op.value === 0 ? 'nofail' : `L${op.value}${entryNote(file, op.value, kind)}`;
    case 'h':
      return op.value <= 0x10ffff ? `$${String.fromCodePoint(op.value)}` : `{h,${op.value}}`;
    case 'float':
      return writeTerm(op.value);
    case 'fr':
      return `fr${op.value}`;
    case 'list':
      return `[${op.elements.map((e) => showOperand(file, e, '*')).join(', ')}]`;
    case 'alloc':
      return op.entries.map((e) => `${['words', 'floats', 'funs'][e.type]}=${e.count}`).join(' ');
    case 'literal': {
      const value = file.literals[op.index];
      if (value === undefined) return `literal#${op.index}?`;
      const text = writeTerm(value);
      return text.length > 120 ? `${text.slice(0, 117)}...` : text;
    }
    case 'tr':
      return showOperand(file, op.reg, kind);
  }
}

/** The target of a call label, for the reader. */
function entryNote(file: BeamFile, labelNumber: number, kind: string): string {
  if (kind !== 'l') return '';
  const fn = [...file.exports, ...file.locals].find((e) => e.label === labelNumber);
  return fn ? ` (${writeTerm(atomName(file, fn.name))}/${fn.arity})` : '';
}

function showByKind(file: BeamFile, value: number, kind: string): string {
  const mfa = (m: number, f: number, a: number): string =>
    `${writeTerm(atomName(file, m))}:${writeTerm(atomName(file, f))}/${a}`;
  if (kind === 'i' || kind === 'b') {
    const imp = file.imports[value];
    return imp ? mfa(imp.module, imp.name, imp.arity) : `import#${value}?`;
  }
  if (kind === 'k') {
    const fun = file.lambdas[value];
    return fun ? `fun ${writeTerm(atomName(file, fun.name))}/${fun.arity}` : `lambda#${value}?`;
  }
  if (kind === 'n' && value === 0) return 'no-location';
  if (kind === 'n' && file.lines) {
    const item = file.lines.items[value];
    if (!item) return `line#${value}?`;
    const name = item.file === 0 ? `${file.module}.erl` : file.lines.fileNames[item.file - 1];
    return `${name}:${item.line}`;
  }
  return String(value);
}

/** A readable listing: module header, then each function's instructions with labels at the margin. */
export function disasmListing(file: BeamFile): string {
  const out: string[] = [];
  const name = (index: number): string => writeTerm(atomName(file, index));
  out.push(`module ${writeTerm(A(file.module))}\n`);
  out.push(`exports: ${file.exports.map((e) => `${name(e.name)}/${e.arity}`).join(', ')}\n`);
  for (const ins of decodeCode(file)) {
    const opName = ins.op.name;
    const args = ins.args.map((op, i) => showOperand(file, op, ins.op.kinds[i] ?? '*'));
    if (opName === 'label') {
      out.push(`  L${args[0]}:\n`);
      continue;
    }
    if (opName === 'func_info') out.push(`\nfunction ${args[1]}/${args[2]}\n`);
    out.push(`      ${args.length ? `${opName.padEnd(18)} ${args.join(', ')}` : opName}\n`);
  }
  return out.join('');
}
