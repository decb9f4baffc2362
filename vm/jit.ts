/**
 * The JIT tier: a hot function's threaded code compiled to JavaScript.
 *
 * A function is compiled after JIT_THRESHOLD local calls (counted in the
 * word before its entry, see FUNC_INFO_WORDS). The generated function has
 * the interpreter's state in locals and one `case` per instruction address,
 * so it can be entered at any instruction; instructions follow each other by
 * falling through, with operands baked in as constants (no decoding, no
 * dispatch). It leaves — writing its state back — when control goes to
 * another function (calls, returns), on an instruction it does not compile
 * (the interpreter runs that one), when the reductions run out, and when an
 * exception is thrown (the interpreter's handler takes over).
 *
 * Entry: the opcode word of the function's entry and of each instruction
 * that follows a call (the return points) is replaced by JIT_BASE + the
 * compiled function's global index (the JIT table, shared by every thread);
 * their operands stay, and only instructions the compiled code implements
 * are replaced, so the interpreter never needs the original opcode there.
 */
import { BIF_TABLE } from '../bifs/registry.js';
import { GENERIC_OPS } from '../loader/genop.js';
import { compare, equal, exactEqual } from './term/compare.js';
import * as T from './term/tags.js';
import type { Process } from './process.js';
import type { VM } from './vm.js';
import type { FailInfo, Registers } from './interp.js';
import { functionAt } from './code/code_table.js';
import type { Memory } from './memory.js';
import { Slot } from '../scheduler/layout.js';
import { FUNC_INFO_WORDS, JIT_BASE, SPECIFIC_OPS } from './code/ops.js';
import { addSlow, subSlow } from './interp_arith.js';
import * as cold from './interp_cold.js';
import { ErlangException } from './errors.js';

/** Local calls before a function is compiled (BEAMJS_JIT_THRESHOLD overrides it, for tests). */
export const JIT_THRESHOLD = Number(process.env.BEAMJS_JIT_THRESHOLD ?? 200);

/** State shared between the interpreter loop and compiled code at a hand-over. */
export interface JitState {
  pc: number;
  cp: number;
  reds: number;
  /** Live x registers at a yield. */
  live: number;
  /** Address of the instruction that raised. */
  ipc: number;
}

export type CompiledFunction = (st: JitState, p: Process, regs: Registers, fail: FailInfo) => void;

/** Words of the instruction at pc (threaded code encoding, vm/code/ops.ts). */
export function instructionLength(m: Int32Array, pc: number, op = m[pc]!): number {
  switch (op) {
    case 2:
      return FUNC_INFO_WORDS;
    case 177:
      return 7 + 2 * m[pc + 6]!;
    case 202:
      return 5 + m[pc + 4]!;
    case 203:
      return 4 + 2 * m[pc + 3]!;
    case 204:
      return 4 + 2 * m[pc + 3]!;
  }
  let kinds: string;
  if (op >= 200) {
    const s = SPECIFIC_OPS[op - 200];
    if (s === undefined) return -1;
    kinds = s.operands;
  } else {
    const g = GENERIC_OPS[op];
    if (g === undefined) return -1;
    kinds = g.kinds;
  }
  let n = 1;
  for (const k of kinds) {
    if (k === 'L') n += 1 + m[pc + n]!;
    else n += 1;
  }
  return n;
}

// ---------------------------------------------------------------- code generation

const src = (w: number): string => (w & 3 ? `${w | 0}` : w & 4 ? `m[E + ${1 + (w >>> 3)}]` : `x[${w >>> 3}]`);
const dst = (w: number, v: string): string => (w & 4 ? `m[E + ${1 + (w >>> 3)}] = ${v};` : `x[${w >>> 3}] = ${v};`);

const SYNC = 'p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;';
const RELOAD = 'm = vm.mem.i32; E = p.stackTop; htop = p.heap.top;';
/** Leave for the interpreter at `at` (an address it will run). */
const exitAt = (at: string): string => `{ pc = ${at}; break out; }`;

/** JS for one instruction, or undefined when it is not compiled (the interpreter runs it). */
function instruction(m: Int32Array, pc: number, op: number, len: number, bifNames: string[], start: number, end: number): string | undefined {
  const a = (k: number): number => m[pc + k]!;
  const next = pc + len;
  // A call into this same function (recursion) stays in the compiled code; others go through the interpreter.
  const call = (target: string): string =>
    Number(target) >= start && Number(target) < end
      ? `pc = ${target}; if (--reds <= 0) { st.live = ${a(1)}; break out; } continue;`
      : `pc = ${target}; if (--reds <= 0) { st.live = ${a(1)}; break out; } if (++m[pc - 1] === vm.jit.threshold) vm.jit.compile(pc); break out;`;
  /** Return to cp: stay when it is in this function. */
  const ret = `if (pc >= ${start} && pc < ${end}) continue; break out;`;
  switch (op) {
    case 64:
      return dst(a(2), src(a(1)));
    case 169: {
      const [p1, p2] = [a(1), a(2)];
      return `{ const va = ${src(p1)}; const vb = ${src(p2)}; ${dst(p1, 'vb')} ${dst(p2, 'va')} }`;
    }
    case 4:
      return `cp = ${next}; ${call(`${a(2)}`)}`;
    case 5:
      return `cp = m[E] >>> 2; E += ${a(3) + 1}; ${call(`${a(2)}`)}`;
    case 6:
      return call(`${a(2)}`);
    case 19:
      return `pc = cp; cp = 0; ${ret}`;
    case 207:
      return `x[0] = ${src(a(1))}; pc = cp; cp = 0; ${ret}`;
    case 208:
      return `x[0] = ${src(a(1))}; pc = m[E] >>> 2; E += ${a(2) + 1}; cp = 0; ${ret}`;
    case 209:
      return `pc = m[E] >>> 2; E += ${a(1) + 1}; cp = 0; ${ret}`;
    case 12:
    case 14: {
      const n = a(1);
      let fill = '';
      for (let i = 1; i <= n; i++) fill += `m[E + ${i}] = ${T.NIL};`;
      return `if (E - ${n + 1} < htop || stress) { pc = ${pc}; ${SYNC} vm.collect(p, x, ${a(2)}, ${n + 1}); ${RELOAD} } E -= ${n + 1}; m[E] = cp << 2; ${fill} cp = 0;`;
    }
    case 13:
    case 15: {
      const n = a(1);
      let fill = '';
      for (let i = 1; i <= n; i++) fill += `m[E + ${i}] = ${T.NIL};`;
      return `if (E - ${n + 1 + a(2)} < htop || p.fragmentWords > 0 || p.binVheap > p.binVheapLimit || stress) { pc = ${pc}; ${SYNC} vm.collect(p, x, ${a(3)}, ${n + 1 + a(2)}); ${RELOAD} } E -= ${n + 1}; m[E] = cp << 2; ${fill} cp = 0;`;
    }
    case 16:
      return `if (E - ${a(1)} < htop || p.fragmentWords > 0 || p.binVheap > p.binVheapLimit || stress) { pc = ${pc}; ${SYNC} vm.collect(p, x, ${a(2)}, ${a(1)}); ${RELOAD} }`;
    case 17:
      return `m[E + ${1 + (a(1) >>> 3)}] = ${T.NIL};`;
    case 172: {
      let s = '';
      for (let i = 0; i < a(1); i++) s += `m[E + ${1 + (a(2 + i) >>> 3)}] = ${T.NIL};`;
      return s;
    }
    case 18:
      return `cp = m[E] >>> 2; E += ${a(1) + 1};`;
    case 136:
      return `m[E + ${a(1)}] = m[E]; E += ${a(1)};`;
    case 39:
    case 40:
      return `{ const va = ${src(a(2))}, vb = ${src(a(3))}; const lt = (va & 15) === 15 && (vb & 15) === 15 ? va < vb : compare(vm, va, vb) < 0; if (lt !== ${op === 39}) { pc = ${a(1)}; continue; } }`;
    case 43:
    case 44:
      return `{ const va = ${src(a(2))}, vb = ${src(a(3))}; const eq = va === vb || ((va & 3) !== 3 && (vb & 3) !== 3 && exactEqual(vm, va, vb)); if (eq !== ${op === 43}) { pc = ${a(1)}; continue; } }`;
    case 41:
    case 42:
      return `{ const va = ${src(a(2))}, vb = ${src(a(3))}; const eq = va === vb || equal(vm, va, vb); if (eq !== ${op === 41}) { pc = ${a(1)}; continue; } }`;
    case 52:
      return `if (${src(a(2))} !== ${T.NIL}) { pc = ${a(1)}; continue; }`;
    case 56:
      return `if ((${src(a(2))} & 3) !== 1) { pc = ${a(1)}; continue; }`;
    case 55:
      return `{ const v = ${src(a(2))}; if ((v & 3) !== 1 && v !== ${T.NIL}) { pc = ${a(1)}; continue; } }`;
    case 48:
      return `if ((${src(a(2))} & 0x3f) !== 0x0b) { pc = ${a(1)}; continue; }`;
    case 57:
      return `{ const v = ${src(a(2))}; if ((v & 3) !== 2 || (m[v >>> 2] & 0x3f) !== 0) { pc = ${a(1)}; continue; } }`;
    case 58:
      return `if (m[${src(a(2))} >>> 2] !== ${T.makeHeader(a(3), T.SUB_TUPLE)}) { pc = ${a(1)}; continue; }`;
    case 159:
      return `{ const v = ${src(a(2))}; if ((v & 3) !== 2 || m[v >>> 2] !== ${T.makeHeader(a(3), T.SUB_TUPLE)} || m[(v >>> 2) + 1] !== ${a(4) | 0}) { pc = ${a(1)}; continue; } }`;
    case 45:
    case 46:
    case 47:
    case 53:
    case 129:
    case 156:
      return `if (!cold.typeTest(vm, ${op}, ${src(a(2))})) { pc = ${a(1)}; continue; }`;
    case 61:
      return `pc = ${a(1)}; continue;`;
    case 202: {
      const min = a(3);
      const count = a(4);
      const labels: number[] = [];
      for (let i = 0; i < count; i++) labels.push(a(5 + i));
      return `{ const v = ${src(a(1))}; const i = (v >> 4) - ${min}; pc = (v & 15) === 15 && i >= 0 && i < ${count} ? JT${pc}[i] : ${a(2)}; continue; }`;
    }
    case 65: {
      return `{ const c = ${src(a(1))} >>> 2; const h = m[c], t = m[c + 1]; ${dst(a(2), 'h')} ${dst(a(3), 't')} }`;
    }
    case 162:
    case 163:
      return `{ const r = m[(${src(a(1))} >>> 2) + ${op - 162}]; ${dst(a(2), 'r')} }`;
    case 66:
      return `{ const r = m[(${src(a(1))} >>> 2) + ${1 + a(2)}]; ${dst(a(3), 'r')} }`;
    case 69:
      return `m[htop] = ${src(a(1))}; m[htop + 1] = ${src(a(2))}; { const r = (htop << 2) | 1; htop += 2; ${dst(a(3), 'r')} }`;
    case 164: {
      const n = a(2);
      let s = `m[htop] = ${T.makeHeader(n, T.SUB_TUPLE)};`;
      for (let i = 0; i < n; i++) s += `m[htop + ${1 + i}] = ${src(a(3 + i))};`;
      return `${s} { const r = (htop << 2) | 2; htop += ${n + 1}; ${dst(a(1), 'r')} }`;
    }
    case 205:
    case 206: {
      const sign = op === 205 ? '+' : '-';
      const slow = op === 205 ? 'addSlow' : 'subSlow';
      return `{ const va = ${src(a(2))}, vb = ${src(a(3))}; let r; const n = (va >> 4) ${sign} (vb >> 4);
        if ((va & vb & 15) === 15 && n >= ${T.MIN_SMALL} && n <= ${T.MAX_SMALL}) r = (n << 4) | 15;
        else { pc = ${pc}; ${SYNC} r = ${slow}(p, va, vb, fail, vm); ${RELOAD} }
        ${dst(a(4), 'r')} }`;
    }
    case 215: {
      const bif = BIF_TABLE[a(1)]!;
      if (cold.isErrorBif(undefined as never, bif) || bif.arity > 8 || bif.mayRetry) return undefined;
      const n = bif.arity;
      bifNames.push(`const B${pc} = BIF_TABLE[${a(1)}];`);
      let args = '';
      for (let i = 0; i < n; i++) args += `A${n}[${i}] = x[${i}];`;
      const mode = a(2);
      const after = mode === 0 ? '' : mode === 1 ? `pc = cp; cp = 0; ${ret}` : `pc = m[E] >>> 2; E += ${a(3) + 1}; cp = 0; ${ret}`;
      return `${args} pc = ${pc}; ${SYNC} fail.kind = 1; fail.bif = B${pc}; fail.args = A${n}; x[0] = B${pc}.fn(p, A${n}); fail.kind = 0; ${RELOAD}
        if ((p.fragmentWords > 0 || p.binVheap > p.binVheapLimit) && !p.yieldRequested) { vm.collect(p, x, 1, 0); ${RELOAD} }
        if (p.yieldRequested) ${exitAt(`${next}`)} ${after}`;
    }
    default:
      return undefined;
  }
}

/** Most JIT indices (functions compiled by all threads together). */
export const MAX_JIT = 1 << 16;

/**
 * Compiled functions are named by a global JIT index, so that the opcode
 * word JIT_BASE + index written into shared code means the same function
 * in every thread. The JIT table (Slot.JitTable) maps an index to a record
 * [function start, n, (entry address, original opcode) * n]: a thread that
 * meets an index it has not compiled compiles that function itself
 * (`attach`), reading the original opcodes where entries were rewritten.
 */
export class Jit {
  /** This thread's compiled functions, by JIT index (undefined: not compiled here yet). */
  readonly functions: Array<CompiledFunction | undefined> = [];
  /** Off with BEAMJS_JIT=0 or VMOptions.jit = false. */
  readonly enabled: boolean;
  /** Local calls before a function is compiled. */
  readonly threshold: number;

  constructor(
    private readonly vm: VM,
    options: { enabled?: boolean; threshold?: number } = {},
  ) {
    this.enabled = options.enabled ?? process.env.BEAMJS_JIT !== '0';
    this.threshold = Math.max(1, options.threshold ?? JIT_THRESHOLD);
  }

  /** Allocates the JIT table of a fresh memory. */
  static format(mem: Memory): void {
    const table = mem.allocZeroed(MAX_JIT);
    mem.refresh();
    mem.i32[Slot.JitTable] = table;
  }

  /** Compiles the function whose entry is `entry` (called when its call counter reaches the threshold). */
  compile(entry: number): void {
    if (!this.enabled) return;
    const mem = this.vm.mem;
    mem.lock(Slot.JitLock);
    try {
      const m = mem.i32;
      if (m[entry]! >= JIT_BASE) {
        // Another thread compiled it while this one counted calls.
        this.attach(m[entry]! - JIT_BASE);
        return;
      }
      const made = this.generate(entry, undefined);
      if (made === undefined) return;
      const index = Atomics.add(m, Slot.JitCount, 1);
      if (index >= MAX_JIT) return; // the table is full: the function stays interpreted
      const rec = mem.alloc(2 + 2 * made.entries.length);
      mem.refresh();
      const w = mem.i32;
      w[rec] = made.start;
      w[rec + 1] = made.entries.length;
      made.entries.forEach((at, k) => {
        w[rec + 2 + 2 * k] = at;
        w[rec + 3 + 2 * k] = w[at]!;
      });
      Atomics.store(w, w[Slot.JitTable]! + index, rec);
      this.functions[index] = made.compiled;
      for (const at of made.entries) Atomics.store(w, at, JIT_BASE + index);
    } finally {
      mem.unlock(Slot.JitLock);
    }
  }

  /** The compiled function of a JIT index, compiled in this thread on first use. */
  attach(index: number): CompiledFunction {
    const known = this.functions[index];
    if (known !== undefined) return known;
    const mem = this.vm.mem;
    mem.refresh();
    const w = mem.i32;
    const rec = Atomics.load(w, w[Slot.JitTable]! + index);
    const original = new Map<number, number>();
    for (let k = 0; k < w[rec + 1]!; k++) original.set(w[rec + 2 + 2 * k]!, w[rec + 3 + 2 * k]!);
    const made = this.generate(w[rec]! + FUNC_INFO_WORDS, original);
    if (made === undefined) throw new Error(`JIT index ${index}: the function at ${w[rec]} does not compile in this thread`);
    this.functions[index] = made.compiled;
    return made.compiled;
  }

  /**
   * Generates the compiled function for the function entered at `entry`
   * (`original`: opcodes of instructions already rewritten to JIT entries),
   * with its entry points; undefined when it cannot be compiled.
   */
  private generate(entry: number, original: Map<number, number> | undefined): { compiled: CompiledFunction; start: number; entries: number[] } | undefined {
    const vm = this.vm;
    const m = vm.mem.i32;
    const mod = vm.modules.byAddress(entry);
    if (mod === undefined) return undefined;
    const fn = functionAt(mod, entry);
    if (fn === undefined) return undefined;
    const i = mod.functions.indexOf(fn);
    const end = i + 1 < mod.functions.length ? mod.functions[i + 1]!.start : mod.codeEnd;
    const cases: string[] = [];
    const consts: string[] = [];
    const entries: number[] = [];
    const jumpTables: string[] = [];
    let pc = fn.start + FUNC_INFO_WORDS;
    let afterCall = true; // the entry counts as a return point
    while (pc < end) {
      const op = original?.get(pc) ?? m[pc]!;
      const len = instructionLength(m, pc, op);
      if (len <= 0) return undefined; // an encoding this tier does not know: leave the function to the interpreter
      const code = op >= JIT_BASE ? undefined : instruction(m, pc, op, len, consts, fn.start, end);
      if (op === 202) {
        const labels: number[] = [];
        for (let k = 0; k < m[pc + 4]!; k++) labels.push(m[pc + 5 + k]!);
        jumpTables.push(`const JT${pc} = [${labels.join(',')}];`);
      }
      if (code !== undefined && afterCall) entries.push(pc);
      cases.push(`case ${pc}: ${code ?? exitAt(`${pc}`)}`);
      afterCall = op === 4 || op === 7 || op === 215 || op === 75 || op === 178 || op === 112;
      pc += len;
    }
    if (entries[0] !== fn.start + FUNC_INFO_WORDS) {
      m[fn.start + FUNC_INFO_WORDS - 1] = -1e9; // its entry cannot be compiled: never try again
      return undefined;
    }
    const source = `
${consts.join('\n')}
${jumpTables.join('\n')}
const A0 = [], A1 = [0], A2 = [0, 0], A3 = [0, 0, 0], A4 = [0, 0, 0, 0], A5 = [0, 0, 0, 0, 0], A6 = [0, 0, 0, 0, 0, 0], A7 = [0, 0, 0, 0, 0, 0, 0], A8 = [0, 0, 0, 0, 0, 0, 0, 0];
return function ${sanitize(mod.nameText)}_${sanitize(vm.atoms.name(fn.name))}_${fn.arity}(st, p, regs, fail) {
  const x = regs.x;
  let m = vm.mem.i32, pc = st.pc, cp = st.cp, reds = st.reds, E = p.stackTop, htop = p.heap.top;
  const stress = vm.gcStress;
  try {
    out: for (;;) {
      switch (pc) {
${cases.join('\n')}
        pc = ${end}; break out;
        default: break out;
      }
      break;
    }
  } catch (e) {
    st.ipc = pc; st.cp = cp; st.reds = reds; p.stackTop = E; p.heap.end = E;
    if (htop > p.heap.top && p.block <= htop && htop <= p.blockEnd) p.heap.top = htop;
    throw e;
  }
  st.pc = pc; st.cp = cp; st.reds = reds; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
};`;
    try {
      const compiled = new Function('vm', 'BIF_TABLE', 'compare', 'equal', 'exactEqual', 'cold', 'addSlow', 'subSlow', source)(
        vm,
        BIF_TABLE,
        compare,
        equal,
        exactEqual,
        cold,
        addSlow,
        subSlow,
      ) as CompiledFunction;
      return { compiled, start: fn.start, entries };
    } catch (e) {
      vm.writeStderr(`beamjs: JIT failed for ${mod.nameText}:${vm.atoms.name(fn.name)}/${fn.arity}: ${(e as Error).message}\n`);
      m[fn.start + FUNC_INFO_WORDS - 1] = -1e9;
      return undefined;
    }
  }
}

const sanitize = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_');

export { ErlangException };
