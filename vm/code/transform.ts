/**
 * From generic to specific instructions. The rules are data: each names the
 * generic sequence it replaces, an optional condition, and what it writes.
 * The first rule that matches at a position wins; with none, the generic
 * instruction is written with its operands encoded by their kinds
 * (loader/genop.ts letters; encoding in vm/code/ops.ts).
 */
import type { GenericInstr } from '../../loader/code.js';
import type { Operand } from '../../loader/compact.js';
import { GENERIC_OPS } from '../../loader/genop.js';
import { isSmall, smallVal, isImmediate, NIL as NIL_WORD } from '../term/tags.js';
import type { SegmentDesc } from '../term/bits_build.js';
import { storeBinSpec } from './code_table.js';
import { flagsFromNames } from '../term/bits_match.js';
import type { Emitter } from './load.js';
import { lookupBif } from '../../bifs/registry.js';
import {
  OP_BIF_STUB_ERROR,
  OP_CALL_BIF,
  OP_CALL_BIF_RETURN,
  OP_ADD,
  OP_DEALLOCATE_RETURN,
  OP_FMOVE_FROM_FREG,
  OP_FMOVE_TO_FREG,
  OP_MOVE_DEALLOCATE_RETURN,
  OP_MOVE_RETURN,
  OP_SELECT_VAL_JT,
  OP_SELECT_VAL_LINEAR,
  OP_SELECT_VAL_SEARCH,
  OP_SUB,
} from './ops.js';

interface Rule {
  readonly name: string;
  /** Generic instruction names, in sequence. */
  readonly pattern: readonly string[];
  readonly when?: (em: Emitter, ins: readonly GenericInstr[]) => boolean;
  readonly emit: (em: Emitter, ins: readonly GenericInstr[]) => void;
}

const isX0 = (o: Operand | undefined): boolean => o !== undefined && o.kind === 'x' && o.value === 0;

const bifName = (em: Emitter, o: Operand): string => {
  const imp = em.file.imports[em.unsigned(o)]!;
  return `${em.file.atoms[imp.module - 1]}:${em.file.atoms[imp.name - 1]}/${imp.arity}`;
};

/** The BIF an import names when it is a real BIF (not apply, not a replaced Erlang function). */
function importedBif(em: Emitter, o: Operand): number | undefined {
  const imp = em.file.imports[em.unsigned(o)]!;
  const entry = lookupBif(em.file.atoms[imp.module - 1]!, em.file.atoms[imp.name - 1]!, imp.arity);
  // Natives replacing Erlang stubs (kind nif) are BIFs of bif.tab in the real VM too (lists:reverse/2,
  // binary:split/2 ...): they are called in place as well.
  if (entry === undefined || em.vm.stubFor(entry.index)[0] !== OP_CALL_BIF_RETURN) {
    return entry !== undefined && em.vm.stubFor(entry.index)[0] === OP_BIF_STUB_ERROR ? entry.index : undefined;
  }
  return entry.index;
}

const callBifRule = (name: string, mode: number): Rule => ({
  name: 'call_bif',
  pattern: [name],
  when: (em, [c]) => importedBif(em, c!.args[1]!) !== undefined,
  emit: (em, [c]) => em.emit(OP_CALL_BIF, importedBif(em, c!.args[1]!)!, mode, mode === 2 ? em.unsigned(c!.args[2]!) : 0),
});

const RULES: readonly Rule[] = [
  callBifRule('call_ext', 0),
  callBifRule('call_ext_only', 1),
  callBifRule('call_ext_last', 2),
  {
    name: 'move_deallocate_return',
    pattern: ['move', 'deallocate', 'return'],
    when: (_em, [mv]) => isX0(mv!.args[1]),
    emit: (em, [mv, dealloc]) => em.emit(OP_MOVE_DEALLOCATE_RETURN, em.source(mv!.args[0]!), em.unsigned(dealloc!.args[0]!)),
  },
  {
    name: 'move_return',
    pattern: ['move', 'return'],
    when: (_em, [mv]) => isX0(mv!.args[1]),
    emit: (em, [mv]) => em.emit(OP_MOVE_RETURN, em.source(mv!.args[0]!)),
  },
  {
    name: 'deallocate_return',
    pattern: ['deallocate', 'return'],
    emit: (em, [dealloc]) => em.emit(OP_DEALLOCATE_RETURN, em.unsigned(dealloc!.args[0]!)),
  },
  {
    name: 'add',
    pattern: ['gc_bif2'],
    when: (em, [g]) => bifName(em, g!.args[2]!) === 'erlang:+/2',
    emit: (em, [g]) => {
      em.emit(OP_ADD);
      em.label(g!.args[0]!);
      em.emit(em.source(g!.args[3]!), em.source(g!.args[4]!), em.dest(g!.args[5]!));
    },
  },
  {
    name: 'sub',
    pattern: ['gc_bif2'],
    when: (em, [g]) => bifName(em, g!.args[2]!) === 'erlang:-/2',
    emit: (em, [g]) => {
      em.emit(OP_SUB);
      em.label(g!.args[0]!);
      em.emit(em.source(g!.args[3]!), em.source(g!.args[4]!), em.dest(g!.args[5]!));
    },
  },
  {
    name: 'select_val',
    pattern: ['select_val'],
    emit: (em, [sv]) => emitSelectVal(em, sv!),
  },
  {
    name: 'fmove',
    pattern: ['fmove'],
    emit: (em, [fm]) => {
      const [from, to] = fm!.args as [Operand, Operand];
      if (from.kind === 'fr' && to.kind === 'fr') em.emit(96, from.value, to.value);
      else if (to.kind === 'fr') em.emit(OP_FMOVE_TO_FREG, em.source(from), to.value);
      else if (from.kind === 'fr') em.emit(OP_FMOVE_FROM_FREG, from.value, em.dest(to));
      else em.fail('fmove between two non-float registers');
    },
  },
  {
    name: 'bs_create_bin',
    pattern: ['bs_create_bin'],
    emit: (em, [b]) => emitCreateBin(em, b!),
  },
  {
    name: 'bs_start_match4',
    pattern: ['bs_start_match4'],
    emit: (em, [b]) => {
      const [fail, live, src, dst] = b!.args as [Operand, Operand, Operand, Operand];
      em.emit(170);
      if (fail.kind === 'f') em.label(fail);
      else em.emit(0); // no_fail / resume: the source is known to be a bitstring or match state
      em.emit(em.unsigned(live), em.source(src), em.dest(dst));
    },
  },
  {
    name: 'catch_register',
    pattern: ['try'],
    emit: (em, [t]) => emitCatch(em, 104, t!),
  },
  {
    name: 'catch_register',
    pattern: ['catch'],
    emit: (em, [t]) => emitCatch(em, 62, t!),
  },
];

/**
 * bs_create_bin Fail Alloc Live Unit Dst [Type Seg Unit Flags Value Size ...]
 * becomes bs_create_bin Fail SpecIndex Dst Alloc Live N [Value Size ...]: the segment
 * descriptions are stored once in shared memory (the operand is the block's address), decoded
 * into a BinSpec by each thread that runs it (code_table.ts BinSpecCache).
 */
function emitCreateBin(em: Emitter, ins: GenericInstr): void {
  const [fail, alloc, live, , dst, list] = ins.args as [Operand, Operand, Operand, Operand, Operand, Operand];
  const elems = em.list(list);
  const segs: SegmentDesc[] = [];
  const stringAddrs: number[] = [];
  const operands: number[] = [];
  for (let k = 0; k < elems.length; k += 6) {
    const [type, seg, unit, flags, value, size] = elems.slice(k, k + 6) as [Operand, Operand, Operand, Operand, Operand, Operand];
    const typeName = em.vm.atoms.name(em.atom(type)) as SegmentDesc['type'];
    const desc: SegmentDesc = { type: typeName, segIndex: em.unsigned(seg), unit: em.unsigned(unit), flags: segmentFlags(em, flags) };
    if (size.kind === 'a' && size.value !== 0 && em.file.atoms[size.value - 1] === 'all') desc.sizeAll = true;
    if (typeName === 'string') {
      const offset = em.unsigned(value);
      const length = em.unsigned(size.kind === 'i' ? { kind: 'u', value: Number(size.value) } : size);
      desc.string = em.file.strings.slice(offset, offset + length);
      stringAddrs[segs.length] = em.stringBase + offset;
      operands.push(NIL_WORD, NIL_WORD);
    } else {
      operands.push(em.source(value), size.kind === 'a' ? NIL_WORD : em.source(size));
    }
    segs.push(desc);
  }
  em.emit(177);
  em.label(fail);
  em.emit(storeBinSpec(em.vm.mem, segs, (i) => stringAddrs[i]!), em.dest(dst), em.alloc(alloc), em.unsigned(live), segs.length);
  for (const w of operands) em.emit(w);
}

function segmentFlags(em: Emitter, o: Operand): number {
  if (o.kind === 'a') return 0; // []
  if (o.kind === 'literal') {
    const names = em.file.literals[o.index];
    if (Array.isArray(names)) return flagsFromNames(names.map((n) => (n as { name: string }).name));
  }
  if (o.kind === 'u') return o.value;
  return em.fail('bs_create_bin: unexpected segment flags');
}

function emitCatch(em: Emitter, opcode: number, ins: GenericInstr): void {
  em.emit(opcode, em.dest(ins.args[0]!));
  em.catchRefs.push(em.code.length);
  em.label(ins.args[1]!);
}

/**
 * select_val: a jump table when the values are dense small integers, a
 * binary search over the sorted words when they are all immediates, a
 * linear scan with =:= otherwise.
 */
function emitSelectVal(em: Emitter, ins: GenericInstr): void {
  const [src, fail, list] = ins.args as [Operand, Operand, Operand];
  const elems = em.list(list);
  const pairs: Array<[number, Operand]> = [];
  for (let k = 0; k < elems.length; k += 2) pairs.push([em.source(elems[k]!), elems[k + 1]!]);
  const allSmall = pairs.every(([v]) => isSmall(v));
  if (allSmall && pairs.length > 0) {
    const vals = pairs.map(([v]) => smallVal(v));
    const min = Math.min(...vals);
    const span = Math.max(...vals) - min + 1;
    if (span <= 2 * pairs.length + 8) {
      em.emit(OP_SELECT_VAL_JT, em.source(src));
      em.label(fail);
      em.emit(min, span);
      const slots: Array<Operand> = new Array(span).fill(fail);
      for (const [v, l] of pairs) slots[smallVal(v) - min] = l;
      for (const l of slots) em.label(l);
      return;
    }
  }
  if (pairs.every(([v]) => isImmediate(v))) {
    pairs.sort((a, b) => a[0] - b[0]);
    em.emit(OP_SELECT_VAL_SEARCH, em.source(src));
    em.label(fail);
    em.emit(pairs.length);
    for (const [v] of pairs) em.emit(v);
    for (const [, l] of pairs) em.label(l);
    return;
  }
  em.emit(OP_SELECT_VAL_LINEAR, em.source(src));
  em.label(fail);
  em.emit(pairs.length);
  for (const [v, l] of pairs) {
    em.emit(v);
    em.label(l);
  }
}

/** Writes one generic instruction with operands encoded by their kind letters. */
function emitGeneric(em: Emitter, ins: GenericInstr): void {
  const op = ins.op;
  em.emit(op.opcode);
  for (let k = 0; k < op.kinds.length; k++) {
    const o = ins.args[k]!;
    switch (op.kinds[k]) {
      case 'l':
        em.label(o);
        break;
      case 'u':
      case 'o':
        em.emit(em.unsigned(o));
        break;
      case 's':
        em.emit(em.source(o));
        break;
      case 'd':
      case 'x':
      case 'y':
        em.emit(em.dest(o));
        break;
      case 'a':
        em.emit(em.atom(o));
        break;
      case 'i':
        em.emit(em.importEntry(o));
        break;
      case 'b':
        em.emit(em.bif(o));
        break;
      case 'k':
        em.emit(em.funIndex[em.unsigned(o)]!);
        break;
      case 'A':
        em.emit(em.alloc(o));
        break;
      case 'z':
        em.emit(em.stringBase + em.unsigned(o));
        break;
      case 'F':
        if (o.kind !== 'fr') em.fail(`${op.name}: expected a float register`);
        em.emit(o.value);
        break;
      default: // L, t, *: by the operand's own kind
        em.any(o);
    }
  }
}

/**
 * The generic instructions the interpreter implements (others are load
 * errors). Kept here, beside the rules, so the loader and the interpreter
 * agree; a test checks every one has a handler.
 */
export const IMPLEMENTED_GENERIC = new Set<number>([
  2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
  39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67,
  69, 72, 73, 74, 75, 77, 78, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 112, 113, 114,
  115, 124, 125, 129, 136, 149, 152, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 169, 171, 172, 173,
  174, 175, 176, 178, 180,
  // bit syntax (vm/interp_bits.ts)
  89, 90, 91, 92, 109, 111, 117, 118, 119, 120, 121, 130, 131, 132, 133, 134, 135, 137, 138, 139, 140, 141, 142,
  143, 144, 145, 146, 147, 148, 165, 166, 167, 168, 170, 177, 179,
]);

/** Writes the specific form of the instruction(s) at instrs[i]; returns how many generic instructions it consumed. */
export function selectSpecific(em: Emitter, instrs: readonly GenericInstr[], i: number): number {
  for (const rule of RULES) {
    const n = rule.pattern.length;
    if (i + n > instrs.length) continue;
    let ok = true;
    for (let k = 0; k < n; k++) {
      if (instrs[i + k]!.op.name !== rule.pattern[k]) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    const seq = instrs.slice(i, i + n);
    if (rule.when !== undefined && !rule.when(em, seq)) continue;
    rule.emit(em, seq);
    return n;
  }
  emitGeneric(em, instrs[i]!);
  return 1;
}

/** Names of the rules, for the listing and tests. */
export const RULE_NAMES = RULES.map((r) => r.name);

/** Generic instructions a rule always rewrites into other specific forms (they need no handler of their own). */
export const ALWAYS_REWRITTEN = new Set(
  RULES.filter((r) => r.when === undefined && r.pattern.length === 1 && !['try', 'catch', 'bs_create_bin', 'bs_start_match4'].includes(r.pattern[0]!)).map(
    (r) => r.pattern[0]!,
  ),
);
export { GENERIC_OPS };
