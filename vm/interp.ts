/**
 * The interpreter: runs one process for a slice of reductions over the
 * threaded code in shared memory (vm/code/ops.ts for the encoding).
 *
 * Hot state lives in locals: pc, cp (the return address while the current
 * function has no frame; 0 once `allocate` saved it on the stack), E (the
 * stack pointer: word index of the current frame's CP word; y(n) is at
 * E + 1 + n), htop (the heap top). X registers are this thread's `x` array.
 * Before anything that may allocate, collect or inspect the process, `sync`
 * writes them back to the process and `reload` reads them again (both are
 * written out inline: a closure over these locals would make V8 keep them in
 * a heap context, slowing every access).
 *
 * Instructions that fail throw an ErlangException; the catch at the bottom of
 * the loop builds the stack trace, finds the nearest catch on the stack and
 * continues there, or ends the process. The hot instructions are inline in
 * the switch; the others call functions in vm/interp_cold.ts, keeping this
 * function small enough for V8 to optimize.
 */
import { BIF_RETRY, BIF_TABLE, type BifEntry } from '../bifs/registry.js';
import * as T from './term/tags.js';
import { compare, equal, exactEqual } from './term/compare.js';
import { ErlangException, badarith, erlError } from './errors.js';
import { NO_REGS, type Process } from './process.js';
import type { VM } from './vm.js';
import { addSlow, subSlow } from './interp_arith.js';
import * as cold from './interp_cold.js';
import { Halt } from './halt.js';
import { serviceRequest as serviceGcRequest } from '../gc/policy.js';
import { send as sendMessage } from '../bifs/erlang_process.js';
import { Msg, Pcb } from '../scheduler/layout.js';
import { bindMarker, clearMarker, fetchInbox, markerSlot, reserveMarker, unlinkAt } from './mailbox.js';
import {
  OP_ADD,
  OP_APPLY2_STUB,
  OP_APPLY_STUB,
  OP_CALL_BIF_RETURN,
  OP_DEALLOCATE_RETURN,
  OP_FMOVE_FROM_FREG,
  OP_FMOVE_TO_FREG,
  OP_MOVE_DEALLOCATE_RETURN,
  OP_MOVE_RETURN,
  OP_PROCESS_EXIT,
  OP_SELECT_VAL_JT,
  OP_SELECT_VAL_LINEAR,
  OP_SELECT_VAL_SEARCH,
  OP_SUB,
  OP_BIF_STUB_ERROR,
  OP_CALL_BIF,
  JIT_BASE,
} from './code/ops.js';

export const enum RunResult {
  /** Reductions used up: put it back on the run queue. */
  Yield = 0,
  /** Waiting in receive. */
  Wait = 1,
  /** The process has ended (p.exitReason). */
  Exit = 2,
}

/** Where the error's top frames come from (see cold.raise). */
export const enum FrameKind {
  /** The current function, at the failing instruction. */
  Current = 0,
  /** A BIF called inline (bif/gc_bif instructions), then the current function. */
  InlineBif = 1,
  /** function_clause: the function at func_info, with its arguments. */
  FunctionClause = 2,
  /** A BIF reached through its export entry, then the frames from the return address. */
  BifStub = 3,
  /** undef: {M, F, Args, []}, then the frames from the return address. */
  Undef = 4,
  /** Raised by erlang:error/exit/throw called through the export: frames from the return address. */
  ErrorBif = 5,
  /** Raised by erlang:error/exit/throw called in place (call_bif): the current function, then the rest. */
  ErrorBifHere = 6,
}

/** Per-thread scratch and registers. */
export interface Registers {
  readonly x: Int32Array;
  readonly fr: Float64Array;
  /** Scratch argument arrays by arity, for BIF calls. */
  readonly args: T.Term[][];
  /** What the catch handler needs about the failing instruction (run is never re-entered on a thread). */
  readonly fail: FailInfo;
}

export const MAX_X_REGS = 1024;

/** erlang:send/2, the BIF frame of a failing send instruction (looked up once). */
let SEND_BIF: BifEntry | undefined;

export function newRegisters(): Registers {
  const args: T.Term[][] = [];
  for (let n = 0; n <= 8; n++) args.push(new Array<T.Term>(n).fill(0));
  const fail: FailInfo = { kind: FrameKind.Current, bif: undefined, args: [], module: 0, fun: 0 };
  return { x: new Int32Array(MAX_X_REGS), fr: new Float64Array(256), args, fail };
}

/** Information about a failure the catch handler needs, set just before throwing. */
export interface FailInfo {
  kind: FrameKind;
  bif: BifEntry | undefined;
  args: T.Term[];
  module: T.Term;
  fun: T.Term;
}

const argsFor = (regs: Registers, n: number): T.Term[] => regs.args[n] ?? (regs.args[n] = new Array<T.Term>(n).fill(0));

/**
 * Runs p for up to `budget` reductions. Returns why it stopped; the process's
 * saved state (pc, registers) is up to date on return.
 */
export function run(vm: VM, p: Process, regs: Registers, budget: number): RunResult {
  // A collection garbage_collect asked for: made now, with the saved registers as roots.
  if (p.gcRequest !== 0) serviceGcRequest(vm, p);
  const x = regs.x;
  const fr = regs.fr;
  const mem = vm.mem;
  let m = mem.i32;
  let pc = p.pc;
  let cp = p.cp;
  let E = p.stackTop;
  let htop = p.heap.top;
  let reds = budget;
  let ipc = pc;
  /** p.gcCount when the locals were last loaded: a collection in a cold path makes the process's copies authoritative. */
  /** Blocks moved in from the inbox by the last receive instruction (syncedFetch). */
  let fetched = 0;
  let gcSeen = p.gcCount;
  const jst = vm.jitState;
  const jitThreshold = vm.jit.threshold;
  const fail = regs.fail;
  fail.kind = FrameKind.Current;
  fail.bif = undefined;
  const exportBase = vm.exports.addressWord(0);
  /** GC stress mode: collect at every allocation point (allocate, allocate_heap, test_heap). */
  const stress = vm.gcStress;
  {
    const saved = p.savedX;
    for (let i = 0; i < saved.length; i++) x[i] = saved[i]!;
  }

  for (;;) {
    try {
      for (;;) {
        ipc = pc;
        const op = m[pc]!;
        switch (op) {
          // ---- moves
          case 64: { // move S D
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            const d = m[pc + 2]!;
            if (d & 4) m[E + 1 + (d >>> 3)] = v;
            else x[d >>> 3] = v;
            pc += 3;
            break;
          }
          case 169: { // swap D1 D2
            const a = m[pc + 1]!;
            const b = m[pc + 2]!;
            const va = a & 4 ? m[E + 1 + (a >>> 3)]! : x[a >>> 3]!;
            const vb = b & 4 ? m[E + 1 + (b >>> 3)]! : x[b >>> 3]!;
            if (a & 4) m[E + 1 + (a >>> 3)] = vb;
            else x[a >>> 3] = vb;
            if (b & 4) m[E + 1 + (b >>> 3)] = va;
            else x[b >>> 3] = va;
            pc += 3;
            break;
          }
          // ---- calls and returns
          case 4: // call Arity Label
            cp = pc + 3;
            pc = m[pc + 2]!;
            if (++m[pc - 1] === jitThreshold) vm.jit.compile(pc);
            if (--reds <= 0) {
              p.pc = pc;
              p.cp = cp;
              p.stackTop = E;
              p.heap.top = htop;
              p.savedX = x.slice(0, m[ipc + 1]!);
              return (p.reductions += budget - reds, RunResult.Yield);
            }
            break;
          case 5: { // call_last Arity Label Dealloc
            const n = m[pc + 3]!;
            cp = m[E]! >>> 2;
            E += n + 1;
            pc = m[pc + 2]!;
            if (++m[pc - 1] === jitThreshold) vm.jit.compile(pc);
            if (--reds <= 0) {
              p.pc = pc;
              p.cp = cp;
              p.stackTop = E;
              p.heap.top = htop;
              p.savedX = x.slice(0, m[ipc + 1]!);
              return (p.reductions += budget - reds, RunResult.Yield);
            }
            break;
          }
          case 6: // call_only Arity Label
            pc = m[pc + 2]!;
            if (++m[pc - 1] === jitThreshold) vm.jit.compile(pc);
            if (--reds <= 0) {
              p.pc = pc;
              p.cp = cp;
              p.stackTop = E;
              p.heap.top = htop;
              p.savedX = x.slice(0, m[ipc + 1]!);
              return (p.reductions += budget - reds, RunResult.Yield);
            }
            break;
          case 7: // call_ext Arity Import
          case 8: // call_ext_last Arity Import Dealloc
          case 78: { // call_ext_only Arity Import
            const entry = m[pc + 2]!;
            let target = m[exportBase + entry * 4]!;
            if (op === 7) cp = pc + 3;
            else if (op === 8) {
              cp = m[E]! >>> 2;
              E += m[pc + 3]! + 1;
            }
            if (target === 0) {
              p.pc = ipc;
              p.cp = cp;
              p.stackTop = E;
              p.heap.top = htop;
              p.heap.end = E;
              target = cold.resolveExport(vm, p, x, entry, fail);
              m = mem.i32;
              htop = p.heap.top;
            }
            pc = target;
            if (--reds <= 0) {
              p.pc = pc;
              p.cp = cp;
              p.stackTop = E;
              p.heap.top = htop;
              p.savedX = x.slice(0, m[ipc + 1]!);
              return (p.reductions += budget - reds, RunResult.Yield);
            }
            break;
          }
          case 19: // return (the return address is consumed: the caller has its own frame)
            pc = cp;
            cp = 0;
            break;
          case OP_MOVE_RETURN: {
            const s = m[pc + 1]!;
            x[0] = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = cp;
            cp = 0;
            break;
          }
          case OP_MOVE_DEALLOCATE_RETURN: {
            const s = m[pc + 1]!;
            x[0] = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = m[E]! >>> 2;
            E += m[ipc + 2]! + 1;
            cp = 0;
            break;
          }
          case OP_DEALLOCATE_RETURN: {
            const n = m[pc + 1]!;
            pc = m[E]! >>> 2;
            E += n + 1;
            cp = 0;
            break;
          }
          // ---- frames
          case 12: // allocate StackNeed Live
          case 14: { // allocate_zero StackNeed Live
            const n = m[pc + 1]!;
            if (E - n - 1 < htop || stress) {
              p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
              vm.collect(p, x, m[pc + 2]!, n + 1);
              m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            }
            E -= n + 1;
            m[E] = cp << 2;
            for (let i = 1; i <= n; i++) m[E + i] = T.NIL;
            cp = 0;
            pc += 3;
            break;
          }
          case 13: // allocate_heap StackNeed HeapNeed Live
          case 15: { // allocate_heap_zero
            const n = m[pc + 1]!;
            if (E - n - 1 - m[pc + 2]! < htop || p.fragmentWords > 0 || p.binVheap > p.binVheapLimit || stress) {
              p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
              vm.collect(p, x, m[pc + 3]!, n + 1 + m[pc + 2]!);
              m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            }
            E -= n + 1;
            m[E] = cp << 2;
            for (let i = 1; i <= n; i++) m[E + i] = T.NIL;
            cp = 0;
            pc += 4;
            break;
          }
          case 16: // test_heap HeapNeed Live
            if (E - m[pc + 1]! < htop || p.fragmentWords > 0 || p.binVheap > p.binVheapLimit || stress) {
              p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
              vm.collect(p, x, m[pc + 2]!, m[pc + 1]!);
              m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            }
            pc += 3;
            break;
          case 17: { // init Y
            const d = m[pc + 1]!;
            m[E + 1 + (d >>> 3)] = T.NIL;
            pc += 2;
            break;
          }
          case 172: { // init_yregs [Y...]
            const n = m[pc + 1]!;
            for (let i = 0; i < n; i++) m[E + 1 + (m[pc + 2 + i]! >>> 3)] = T.NIL;
            pc += 2 + n;
            break;
          }
          case 18: // deallocate N
            cp = m[E]! >>> 2;
            E += m[pc + 1]! + 1;
            pc += 2;
            break;
          case 136: { // trim N Remaining: drop n y slots below the CP
            const n = m[pc + 1]!;
            m[E + n] = m[E]!;
            E += n;
            pc += 3;
            break;
          }
          // ---- comparisons
          case 39: // is_lt Fail A B
          case 40: { // is_ge Fail A B
            const s1 = m[pc + 2]!;
            const s2 = m[pc + 3]!;
            const a = s1 & 3 ? s1 : s1 & 4 ? m[E + 1 + (s1 >>> 3)]! : x[s1 >>> 3]!;
            const b = s2 & 3 ? s2 : s2 & 4 ? m[E + 1 + (s2 >>> 3)]! : x[s2 >>> 3]!;
            const lt = (a & 15) === 15 && (b & 15) === 15 ? a < b : compare(vm, a, b) < 0;
            pc = lt === (op === 39) ? pc + 4 : m[pc + 1]!;
            break;
          }
          case 43: // is_eq_exact
          case 44: { // is_ne_exact
            const s1 = m[pc + 2]!;
            const s2 = m[pc + 3]!;
            const a = s1 & 3 ? s1 : s1 & 4 ? m[E + 1 + (s1 >>> 3)]! : x[s1 >>> 3]!;
            const b = s2 & 3 ? s2 : s2 & 4 ? m[E + 1 + (s2 >>> 3)]! : x[s2 >>> 3]!;
            const eq = a === b || (!T.isImmediate(a) && !T.isImmediate(b) && exactEqual(vm, a, b));
            pc = eq === (op === 43) ? pc + 4 : m[pc + 1]!;
            break;
          }
          case 41: // is_eq
          case 42: { // is_ne
            const s1 = m[pc + 2]!;
            const s2 = m[pc + 3]!;
            const a = s1 & 3 ? s1 : s1 & 4 ? m[E + 1 + (s1 >>> 3)]! : x[s1 >>> 3]!;
            const b = s2 & 3 ? s2 : s2 & 4 ? m[E + 1 + (s2 >>> 3)]! : x[s2 >>> 3]!;
            const eq = a === b || equal(vm, a, b);
            pc = eq === (op === 41) ? pc + 4 : m[pc + 1]!;
            break;
          }
          // ---- type tests (Fail Src)
          case 52: { // is_nil
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = v === T.NIL ? pc + 3 : m[pc + 1]!;
            break;
          }
          case 56: { // is_nonempty_list
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = (v & 3) === 1 ? pc + 3 : m[pc + 1]!;
            break;
          }
          case 55: { // is_list
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = (v & 3) === 1 || v === T.NIL ? pc + 3 : m[pc + 1]!;
            break;
          }
          case 48: { // is_atom
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = (v & 0x3f) === 0x0b ? pc + 3 : m[pc + 1]!;
            break;
          }
          case 57: { // is_tuple
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = (v & 3) === 2 && (m[v >>> 2]! & 0x3f) === 0 ? pc + 3 : m[pc + 1]!;
            break;
          }
          case 58: { // test_arity Fail Src Arity
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = m[v >>> 2]! === T.makeHeader(m[pc + 3]!, T.SUB_TUPLE) ? pc + 4 : m[pc + 1]!;
            break;
          }
          case 159: { // is_tagged_tuple Fail Src Arity Atom
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc =
              (v & 3) === 2 && m[v >>> 2]! === T.makeHeader(m[pc + 3]!, T.SUB_TUPLE) && m[(v >>> 2) + 1] === m[pc + 4]
                ? pc + 5
                : m[pc + 1]!;
            break;
          }
          case 45: // is_integer
          case 46: // is_float
          case 47: // is_number
          case 49: // is_pid
          case 50: // is_reference
          case 51: // is_port
          case 53: // is_binary
          case 77: // is_function
          case 114: // is_boolean
          case 129: // is_bitstr
          case 156: { // is_map
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = cold.typeTest(vm, op, v) ? pc + 3 : m[pc + 1]!;
            break;
          }
          case 115: { // is_function2 Fail Src Arity
            const s = m[pc + 2]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            const s2 = m[pc + 3]!;
            const a = s2 & 3 ? s2 : s2 & 4 ? m[E + 1 + (s2 >>> 3)]! : x[s2 >>> 3]!;
            pc = cold.isFunction2(vm, v, a) ? pc + 4 : m[pc + 1]!;
            break;
          }
          // ---- selects and jumps
          case 61: // jump
            pc = m[pc + 1]!;
            break;
          case OP_SELECT_VAL_JT: { // Src Fail Min Count Labels...
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            if ((v & 15) !== 15) {
              pc = m[pc + 2]!;
              break;
            }
            const i = (v >> 4) - m[pc + 3]!;
            pc = i >= 0 && i < m[pc + 4]! ? m[pc + 5 + i]! : m[pc + 2]!;
            break;
          }
          case OP_SELECT_VAL_SEARCH: { // Src Fail Count Values... Labels...
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            const n = m[pc + 3]!;
            let lo = 0;
            let hi = n - 1;
            let target = m[pc + 2]!;
            while (lo <= hi) {
              const mid = (lo + hi) >> 1;
              const w = m[pc + 4 + mid]!;
              if (w === v) {
                target = m[pc + 4 + n + mid]!;
                break;
              }
              if (w < v) lo = mid + 1;
              else hi = mid - 1;
            }
            pc = target;
            break;
          }
          case OP_SELECT_VAL_LINEAR:
          case 60: { // select_tuple_arity Src Fail [Arity Label ...]
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            pc = cold.selectLinear(vm, m, pc, op, v);
            break;
          }
          // ---- lists and tuples
          case 65: { // get_list Src Head Tail
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            const cell = v >>> 2;
            const d1 = m[pc + 2]!;
            const h = m[cell]!;
            const t = m[cell + 1]!;
            if (d1 & 4) m[E + 1 + (d1 >>> 3)] = h;
            else x[d1 >>> 3] = h;
            const d2 = m[pc + 3]!;
            if (d2 & 4) m[E + 1 + (d2 >>> 3)] = t;
            else x[d2 >>> 3] = t;
            pc += 4;
            break;
          }
          case 162: // get_hd Src D
          case 163: { // get_tl Src D
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            const r = m[(v >>> 2) + (op - 162)]!;
            const d = m[pc + 2]!;
            if (d & 4) m[E + 1 + (d >>> 3)] = r;
            else x[d >>> 3] = r;
            pc += 3;
            break;
          }
          case 66: { // get_tuple_element Src Index D
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            const r = m[(v >>> 2) + 1 + m[pc + 2]!]!;
            const d = m[pc + 3]!;
            if (d & 4) m[E + 1 + (d >>> 3)] = r;
            else x[d >>> 3] = r;
            pc += 4;
            break;
          }
          case 67: { // set_tuple_element Value Tuple Index
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            const d = m[pc + 2]!;
            const t = d & 4 ? m[E + 1 + (d >>> 3)]! : x[d >>> 3]!;
            m[(t >>> 2) + 1 + m[pc + 3]!] = v;
            pc += 4;
            break;
          }
          case 69: { // put_list Head Tail D
            const s1 = m[pc + 1]!;
            const s2 = m[pc + 2]!;
            m[htop] = s1 & 3 ? s1 : s1 & 4 ? m[E + 1 + (s1 >>> 3)]! : x[s1 >>> 3]!;
            m[htop + 1] = s2 & 3 ? s2 : s2 & 4 ? m[E + 1 + (s2 >>> 3)]! : x[s2 >>> 3]!;
            const r = (htop << 2) | 1;
            htop += 2;
            const d = m[pc + 3]!;
            if (d & 4) m[E + 1 + (d >>> 3)] = r;
            else x[d >>> 3] = r;
            pc += 4;
            break;
          }
          case 164: { // put_tuple2 D [Elements]
            const n = m[pc + 2]!;
            const at = htop;
            m[at] = T.makeHeader(n, T.SUB_TUPLE);
            for (let i = 0; i < n; i++) {
              const s = m[pc + 3 + i]!;
              m[at + 1 + i] = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            }
            htop += n + 1;
            const r = (at << 2) | 2;
            const d = m[pc + 1]!;
            if (d & 4) m[E + 1 + (d >>> 3)] = r;
            else x[d >>> 3] = r;
            pc += 3 + n;
            break;
          }
          // ---- arithmetic
          case OP_ADD:
          case OP_SUB: { // Fail A B D
            const s1 = m[pc + 2]!;
            const s2 = m[pc + 3]!;
            const a = s1 & 3 ? s1 : s1 & 4 ? m[E + 1 + (s1 >>> 3)]! : x[s1 >>> 3]!;
            const b = s2 & 3 ? s2 : s2 & 4 ? m[E + 1 + (s2 >>> 3)]! : x[s2 >>> 3]!;
            let r: number;
            if ((a & b & 15) === 15) {
              const n = op === OP_ADD ? (a >> 4) + (b >> 4) : (a >> 4) - (b >> 4);
              if (n >= T.MIN_SMALL && n <= T.MAX_SMALL) r = (n << 4) | 15;
              else {
                p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
                r = op === OP_ADD ? addSlow(p, a, b, fail, vm) : subSlow(p, a, b, fail, vm);
                m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
              }
            } else {
              p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
              r = op === OP_ADD ? addSlow(p, a, b, fail, vm) : subSlow(p, a, b, fail, vm);
              m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            }
            const d = m[pc + 4]!;
            if (d & 4) m[E + 1 + (d >>> 3)] = r;
            else x[d >>> 3] = r;
            pc += 5;
            break;
          }
          // ---- BIFs
          case 9: // bif0 Bif D
          case 10: // bif1 Fail Bif A D
          case 11: // bif2 Fail Bif A B D
          case 124: // gc_bif1 Fail Live Bif A D
          case 125: // gc_bif2 Fail Live Bif A B D
          case 152: { // gc_bif3 Fail Live Bif A B C D
            let at = pc + 1;
            let failLabel = 0;
            if (op !== 9) failLabel = m[at++]!;
            if (op >= 124) at++; // live: the BIF allocates through p.alloc (never collects); the collection, if any, comes after it
            const bif = BIF_TABLE[m[at++]!]!;
            const n = bif.arity;
            const args = argsFor(regs, n);
            for (let i = 0; i < n; i++) {
              const s = m[at++]!;
              args[i] = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            }
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            let r: T.Term;
            if (failLabel !== 0) {
              try {
                r = bif.fn(p, args);
              } catch (e) {
                if (!(e instanceof ErlangException)) throw e;
                m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
                pc = failLabel;
                break;
              }
            } else {
              fail.kind = FrameKind.InlineBif;
              fail.bif = bif;
              fail.args = args;
              r = bif.fn(p, args);
              fail.kind = FrameKind.Current;
            }
            m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            if (op >= 124 && (p.fragmentWords > 0 || p.binVheap > p.binVheapLimit)) {
              // The BIF built its result in a fragment (the heap was full): collect now, as the real VM does
              // after a gc_bif, with the Live registers and the result as roots.
              const live = m[pc + 2]!;
              x[live] = r;
              vm.collect(p, x, live + 1, 0);
              r = x[live]!;
              m = mem.i32; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            }
            const d = m[at]!;
            if (d & 4) m[E + 1 + (d >>> 3)] = r;
            else x[d >>> 3] = r;
            pc = at + 1;
            break;
          }
          case OP_CALL_BIF_RETURN: { // Bif: the body of a BIF's export entry
            const bif = BIF_TABLE[m[pc + 1]!]!;
            const n = bif.arity;
            const args = argsFor(regs, n);
            for (let i = 0; i < n; i++) args[i] = x[i]!;
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            fail.kind = FrameKind.BifStub;
            fail.bif = bif;
            fail.args = args;
            x[0] = bif.fn(p, args);
            fail.kind = FrameKind.Current;
            m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            if ((p.fragmentWords > 0 || p.binVheap > p.binVheapLimit) && !p.yieldRequested) {
              vm.collect(p, x, 1, 0); // after a call only x0 (the result) is live
              m = mem.i32; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            }
            pc = cp;
            cp = 0;
            if (p.yieldRequested) {
              p.yieldRequested = false;
              p.pc = pc;
              p.cp = cp;
              p.stackTop = E;
              p.heap.top = htop;
              p.savedX = x.slice(0, 1);
              return (p.reductions += budget - reds, RunResult.Yield);
            }
            break;
          }
          // ---- floats
          case 94: // fclearerror
            pc += 1;
            break;
          case 95: // fcheckerror Fail
            pc += 2;
            break;
          case 96: // fmove FrFrom FrTo
            fr[m[pc + 2]!] = fr[m[pc + 1]!]!;
            pc += 3;
            break;
          case OP_FMOVE_TO_FREG: { // Src Fr
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            fr[m[pc + 2]!] = cold.floatOf(vm, v);
            pc += 3;
            break;
          }
          case 97: { // fconv Src Fr
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            fr[m[pc + 2]!] = cold.numberToFloat(vm, v);
            pc += 3;
            break;
          }
          case OP_FMOVE_FROM_FREG: { // Fr D
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            const r = cold.makeFloat(p, fr[m[pc + 1]!]!);
            m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            const d = m[pc + 2]!;
            if (d & 4) m[E + 1 + (d >>> 3)] = r;
            else x[d >>> 3] = r;
            pc += 3;
            break;
          }
          case 98: // fadd Fail A B D
          case 99: // fsub
          case 100: // fmul
          case 101: { // fdiv
            const a = fr[m[pc + 2]!]!;
            const b = fr[m[pc + 3]!]!;
            const r = op === 98 ? a + b : op === 99 ? a - b : op === 100 ? a * b : a / b;
            if (!Number.isFinite(r)) throw badarith();
            fr[m[pc + 4]!] = r;
            pc += 5;
            break;
          }
          case 102: // fnegate Fail A D
            fr[m[pc + 3]!] = -fr[m[pc + 2]!]!;
            pc += 4;
            break;
          // ---- exceptions
          case 62: // catch Y CatchIndex
          case 104: { // try Y CatchIndex
            const d = m[pc + 1]!;
            m[E + 1 + (d >>> 3)] = T.makeCatch(m[pc + 2]!);
            pc += 3;
            break;
          }
          case 105: { // try_end Y
            m[E + 1 + (m[pc + 1]! >>> 3)] = T.NIL;
            pc += 2;
            break;
          }
          case 106: { // try_case Y
            m[E + 1 + (m[pc + 1]! >>> 3)] = T.NIL;
            x[0] = x[1]!;
            x[1] = x[2]!;
            x[2] = x[3]!;
            pc += 2;
            break;
          }
          case 63: { // catch_end Y
            m[E + 1 + (m[pc + 1]! >>> 3)] = T.NIL;
            if (x[0] === T.THE_NON_VALUE) {
              p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
              x[0] = cold.catchValue(p, x[1]!, x[2]!, x[3]!);
              m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            }
            pc += 2;
            break;
          }
          case 160: // build_stacktrace: x0 from a raw stack trace to the list of frames
            x[0] = cold.unwrapTrace(vm, x[0]!);
            pc += 1;
            break;
          case 72: // badmatch V
          case 74: // case_end V
          case 107: // try_case_end V
          case 180: { // badrecord V
            const s = m[pc + 1]!;
            const v = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            throw cold.tagged(p, op, v);
          }
          case 73: // if_end
            throw erlError(vm.atoms.intern('if_clause'));
          case 2: { // func_info M F A: no clause matched
            fail.kind = FrameKind.FunctionClause;
            throw erlError(vm.atoms.intern('function_clause'));
          }
          case 108: // raise Stacktrace Value
          case 161: { // raw_raise
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            const s1 = m[pc + 1]!;
            const s2 = m[pc + 2]!;
            throw op === 161
              ? cold.rawRaise(vm, p, x[0]!, x[1]!, x[2]!)
              : cold.rawRaise(
                  vm,
                  p,
                  0,
                  s2 & 3 ? s2 : s2 & 4 ? m[E + 1 + (s2 >>> 3)]! : x[s2 >>> 3]!,
                  s1 & 3 ? s1 : s1 & 4 ? m[E + 1 + (s1 >>> 3)]! : x[s1 >>> 3]!,
                );
          }
          // ---- funs and apply
          case 103: // make_fun2 Lambda
          case 171: { // make_fun3 Lambda D [Free...]
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            p.pc = cold.makeFun(vm, p, x, m, pc, op);
            m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            break;
          }
          case 75: // call_fun Arity
          case 178: // call_fun2 Tag Arity Fun
          case 112: // apply Arity
          case 113: // apply_last Arity Dealloc
          case OP_APPLY_STUB:
          case OP_APPLY2_STUB: {
            let next = pc;
            if (op === 75) next = pc + 2;
            else if (op === 178) next = pc + 4;
            else if (op === 112) next = pc + 2;
            if (op === 75 || op === 178 || op === 112) cp = next;
            else if (op === 113) {
              cp = m[E]! >>> 2;
              E += m[pc + 2]! + 1;
            }
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            const arity = cold.prepareCall(vm, p, x, m, ipc, op, fail);
            m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            pc = p.pc;
            if (--reds <= 0) {
              p.pc = pc;
              p.cp = cp;
              p.stackTop = E;
              p.heap.top = htop;
              p.savedX = x.slice(0, arity);
              return (p.reductions += budget - reds, RunResult.Yield);
            }
            break;
          }
          case OP_CALL_BIF: { // Bif Mode Dealloc: a BIF called in place from the current function
            const bif = BIF_TABLE[m[pc + 1]!]!;
            const n = bif.arity;
            const args = argsFor(regs, n);
            for (let i = 0; i < n; i++) args[i] = x[i]!;
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            fail.kind = cold.isErrorBif(vm, bif) ? FrameKind.ErrorBifHere : FrameKind.InlineBif;
            fail.bif = bif;
            fail.args = args;
            x[0] = bif.fn(p, args);
            fail.kind = FrameKind.Current;
            m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            if ((p.fragmentWords > 0 || p.binVheap > p.binVheapLimit) && !p.yieldRequested) {
              vm.collect(p, x, 1, 0); // after a call only x0 (the result) is live
              m = mem.i32; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            }
            const mode = m[pc + 2]!;
            if (mode === 0) pc += 4;
            else if (mode === 1) {
              pc = cp;
              cp = 0;
            } else {
              const dealloc = m[pc + 3]!;
              pc = m[E]! >>> 2;
              E += dealloc + 1;
              cp = 0;
            }
            if (p.yieldRequested) {
              p.yieldRequested = false;
              p.pc = pc;
              p.cp = cp;
              p.stackTop = E;
              p.heap.top = htop;
              p.savedX = x.slice(0, 1);
              return (p.reductions += budget - reds, RunResult.Yield);
            }
            break;
          }
          case OP_BIF_STUB_ERROR: {
            // erlang:error/exit/throw/raise: raised as from the caller, without a BIF frame.
            const bif = BIF_TABLE[m[pc + 1]!]!;
            const args = argsFor(regs, bif.arity);
            for (let i = 0; i < bif.arity; i++) args[i] = x[i]!;
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            fail.kind = FrameKind.ErrorBif;
            bif.fn(p, args);
            throw new Error(`${bif.key} returned`);
          }
          // ---- receive
          case 23: { // loop_rec Fail D: the message at the save slot (vm/mailbox.ts), moving the inbox in at the end
            const pcb = p.pcb;
            let block = m[m[pcb + Pcb.Save]!]!;
            if (block === 0) {
              // Signals handled here may build on this heap (process_info answers): heap top and stack synced around.
              fetched = syncedFetch(p, htop, E);
              htop = p.heap.top;
              if (fetched > 0) {
                mem.refresh(); // a sender on another thread may have grown the memory for the block
                m = mem.i32;
                block = m[m[pcb + Pcb.Save]!]!;
              }
              if (p.pendingExit !== undefined) {
                // An exit signal among what came ends it: no later message is looked at (runUntil ends it).
                p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.savedX = NO_REGS;
                return RunResult.Wait;
              }
            }
            if (block !== 0) {
              vm.receiveScans++;
              const msg = m[block + Msg.Term]!;
              const d = m[pc + 2]!;
              if (d & 4) m[E + 1 + (d >>> 3)] = msg;
              else x[d >>> 3] = msg;
              pc += 3;
            } else pc = m[pc + 1]!;
            break;
          }
          case 24: // loop_rec_end Label: the save slot moves to the current message's next word
            m[p.pcb + Pcb.Save] = m[m[p.pcb + Pcb.Save]!]! + Msg.Next;
            pc = m[pc + 1]!;
            break;
          case 21: { // remove_message
            const pcb = p.pcb;
            p.adoptMessage(unlinkAt(m, pcb, m[pcb + Pcb.Save]!));
            m[pcb + Pcb.Save] = pcb + Pcb.QueueHead;
            p.timeoutAt = -1;
            p.timedOut = false;
            p.waitArmed = false;
            pc += 1;
            break;
          }
          case 22: // timeout
            m[p.pcb + Pcb.Save] = p.pcb + Pcb.QueueHead;
            p.timeoutAt = -1;
            p.waitArmed = false;
            pc += 1;
            break;
          case 25: // wait Label
            // Messages that arrived since loop_rec looked: scan them instead of waiting.
            fetched = syncedFetch(p, htop, E);
            htop = p.heap.top;
            if (fetched > 0 && m[m[p.pcb + Pcb.Save]!] !== 0 && p.pendingExit === undefined) {
              mem.refresh();
              m = mem.i32;
              pc = m[pc + 1]!;
              break;
            }
            p.pc = m[pc + 1]!;
            p.cp = cp;
            p.stackTop = E;
            p.heap.top = htop;
            p.savedX = NO_REGS;
            return (p.reductions += budget - reds, RunResult.Wait);
          case 26: { // wait_timeout Label Time
            if (p.timedOut) {
              p.timedOut = false;
              p.timeoutAt = -1;
              p.waitArmed = false;
              pc += 3;
              break;
            }
            // The timeout is read once per receive: when the process comes back here after a
            // message that did not match, its x registers are not live any more.
            if (!p.waitArmed) {
              const s = m[pc + 2]!;
              const t = s & 3 ? s : s & 4 ? m[E + 1 + (s >>> 3)]! : x[s >>> 3]!;
              const ms = cold.timeoutValue(vm, t);
              if (ms === 0) {
                pc += 3;
                break;
              }
              if (ms > 0) vm.setReceiveTimer(p, ms);
              p.waitArmed = true;
            }
            p.timeoutPc = ipc;
            fetched = syncedFetch(p, htop, E);
            htop = p.heap.top;
            if (fetched > 0 && m[m[p.pcb + Pcb.Save]!] !== 0 && p.pendingExit === undefined) {
              mem.refresh();
              m = mem.i32;
              pc = m[pc + 1]!;
              break;
            }
            p.pc = m[pc + 1]!;
            p.cp = cp;
            p.stackTop = E;
            p.heap.top = htop;
            p.savedX = NO_REGS;
            return (p.reductions += budget - reds, RunResult.Wait);
          }
          case 173: { // recv_marker_bind Marker Ref
            const sm = m[pc + 1]!;
            const marker = sm & 3 ? sm : sm & 4 ? m[E + 1 + (sm >>> 3)]! : x[sm >>> 3]!;
            const sr = m[pc + 2]!;
            const ref = sr & 3 ? sr : sr & 4 ? m[E + 1 + (sr >>> 3)]! : x[sr >>> 3]!;
            if (T.isSmall(marker)) bindMarker(m, p.pcb, T.smallVal(marker), vm.refId(ref));
            pc += 3;
            break;
          }
          case 174: { // recv_marker_clear Ref
            const sr = m[pc + 1]!;
            const id = vm.refId(sr & 3 ? sr : sr & 4 ? m[E + 1 + (sr >>> 3)]! : x[sr >>> 3]!);
            if (id >= 0) clearMarker(m, p.pcb, id);
            pc += 2;
            break;
          }
          case 175: { // recv_marker_reserve D: a marker at the queue's current tail (vm/mailbox.ts)
            const d = m[pc + 1]!;
            const marker = T.makeSmall(reserveMarker(m, p.pcb, vm.onSignal));
            if (d & 4) m[E + 1 + (d >>> 3)] = marker;
            else x[d >>> 3] = marker;
            pc += 2;
            break;
          }
          case 176: { // recv_marker_use Ref: receive starts at the marker bound to Ref
            const sr = m[pc + 1]!;
            m[p.pcb + Pcb.Save] = markerSlot(m, p.pcb, vm.refId(sr & 3 ? sr : sr & 4 ? m[E + 1 + (sr >>> 3)]! : x[sr >>> 3]!));
            pc += 2;
            break;
          }
          case 20: { // send: x0 ! x1
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            fail.kind = FrameKind.InlineBif;
            fail.bif = SEND_BIF ??= vm.bif('erlang', 'send', 2);
            const sendArgs = argsFor(regs, 2);
            sendArgs[0] = x[0]!;
            sendArgs[1] = x[1]!;
            fail.args = sendArgs;
            sendMessage(p, x[0]!, x[1]!);
            fail.kind = FrameKind.Current;
            m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
            x[0] = x[1]!;
            pc += 1;
            break;
          }
          case 149: // on_load
            pc += 1;
            break;
          case OP_PROCESS_EXIT:
            p.exitReason = vm.atoms.intern('normal');
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            return (p.reductions += budget - reds, RunResult.Exit);
          default:
            if (op >= JIT_BASE) {
              // Compiled code (vm/jit.ts): it runs until control leaves the function.
              jst.pc = pc;
              jst.cp = cp;
              jst.reds = reds;
              p.stackTop = E;
              p.heap.top = htop;
              p.heap.end = E;
              try {
                (vm.jit.functions[op - JIT_BASE] ?? vm.jit.attach(op - JIT_BASE))(jst, p, regs, fail);
              } catch (e) {
                ipc = jst.ipc;
                pc = jst.ipc;
                cp = jst.cp;
                E = p.stackTop;
                htop = p.heap.top;
                throw e;
              }
              m = mem.i32;
              pc = jst.pc;
              cp = jst.cp;
              reds = jst.reds;
              E = p.stackTop;
              htop = p.heap.top;
              gcSeen = p.gcCount;
              if (reds <= 0 || p.yieldRequested) {
                p.yieldRequested = false;
                p.pc = pc;
                p.cp = cp;
                p.savedX = x.slice(0, reds <= 0 ? jst.live : 1);
                return (p.reductions += budget - reds, RunResult.Yield);
              }
              break;
            }
            p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.top = htop; p.heap.end = E;
            p.pc = cold.coldInstruction(vm, p, regs, m, pc, op, fail);
            m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
        }
      }
    } catch (e) {
      if (e instanceof Halt) throw e;
      if (e === BIF_RETRY) {
        // A BIF parked the process to wait for another thread (process_info of its process): the calls that
        // allow it (OP_CALL_BIF, the BIF stubs) saved pc, cp, E and the heap top first, with the arguments in
        // x0.. — kept, so the call runs again when the process is woken.
        p.savedX = x.slice(0, fail.bif!.arity);
        fail.kind = FrameKind.Current;
        fail.bif = undefined;
        return (p.reductions += budget - reds, RunResult.Yield);
      }
      // An Erlang exception (or a bug, reported as an Erlang error of this process).
      // The heap top is the larger of the two: a cold path may have allocated (and
      // synced) before throwing, or hot instructions may have bumped htop since the last sync.
      if (p.gcCount === gcSeen) {
        p.pc = pc; p.cp = cp; p.stackTop = E; p.heap.end = E;
        if (htop > p.heap.top) p.heap.top = htop;
      } else {
        p.pc = pc; p.cp = cp; // the stack and heap moved in a cold path: p's copies are the current ones
      }
      const handled = cold.handleException(vm, p, x, e, ipc, cp, fail);
      fail.kind = FrameKind.Current;
      fail.bif = undefined;
      if (!handled) return (p.reductions += budget - reds, RunResult.Exit);
      m = mem.i32; pc = p.pc; cp = p.cp; E = p.stackTop; htop = p.heap.top; gcSeen = p.gcCount;
    }
  }

}

/**
 * Moves the inbox in for a receive instruction. The signals handled on the
 * way may build on this process's heap (process_info answers), so the heap
 * top and the stack are synced first; the caller reloads its heap top.
 */
function syncedFetch(p: Process, htop: number, E: number): number {
  p.heap.top = htop;
  p.heap.end = E;
  p.stackTop = E;
  return fetchInbox(p.mem.i32, p.pcb, p.vm.onSignal);
}
