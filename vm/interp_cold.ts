/**
 * The interpreter's cold paths: instructions too rare or too big to sit in
 * the hot loop (vm/interp.ts), exceptions and stack traces, funs and apply.
 * Every function here runs with the process's state synced (p.pc, p.cp,
 * p.stackTop, p.heap.top are current) and leaves it synced.
 */
import { BIF_TABLE, type BifEntry } from '../bifs/registry.js';
import { commonAtom } from './term/atoms.js';
import { FUN_FIXED_WORDS, floatValue, bignumValue } from './term/build.js';
import * as T from './term/tags.js';
import { mkFloat, mkList, mkTuple, mkTuple2, mkTuple3, listToArray, mkCons } from './term/make.js';
import { exactEqual } from './term/compare.js';
import { ErlangException, badarg, badarith, erlError, CLASS_ERROR, CLASS_EXIT, CLASS_THROW } from './errors.js';
import type { Process } from './process.js';
import type { VM } from './vm.js';
import { FrameKind, type FailInfo, type Registers } from './interp.js';
import { FunWord, functionAt, locationAt } from './code/code_table.js';
import { OP_APPLY2_STUB, OP_APPLY_STUB, OP_SELECT_VAL_LINEAR, OP_PROCESS_EXIT } from './code/ops.js';
import { colds } from './interp_extra.js';
import { isMapTerm, mapForEach, mapFromArrays } from './term/maps.js';
import './interp_maps.js';
import './interp_bits.js';

const ATOM_EXIT_TAG = commonAtom('EXIT');
const ATOM_BADMATCH = commonAtom('badmatch');
const ATOM_CASE_CLAUSE = commonAtom('case_clause');
const ATOM_TRY_CLAUSE = commonAtom('try_clause');
const ATOM_BADRECORD = commonAtom('badrecord');
const ATOM_BADFUN = commonAtom('badfun');
const ATOM_BADARITY = commonAtom('badarity');
const ATOM_UNDEF = commonAtom('undef');
const ATOM_FILE = commonAtom('file');
const ATOM_LINE = commonAtom('line');
const ATOM_ERROR_INFO = commonAtom('error_info');
const ATOM_MODULE = commonAtom('module');
const ATOM_INFINITY = commonAtom('infinity');
const ATOM_NOCATCH = commonAtom('nocatch');

const TRACE_COLD = !!process.env.BEAMJS_TRACE_COLD;

/** The default of erlang:system_flag(backtrace_depth, N). */
export const BACKTRACE_DEPTH = 8;

const src = (p: Process, x: Int32Array, m: Int32Array, w: number): T.Term =>
  w & 3 ? w : w & 4 ? m[p.stackTop + 1 + (w >>> 3)]! : x[w >>> 3]!;
const dst = (p: Process, x: Int32Array, m: Int32Array, w: number, v: T.Term): void => {
  if (w & 4) m[p.stackTop + 1 + (w >>> 3)] = v;
  else x[w >>> 3] = v;
};
export { src as readSource, dst as writeDest };

// ---------------------------------------------------------------- type tests

export function typeTest(vm: VM, op: number, v: T.Term): boolean {
  const m = vm.mem.i32;
  const boxedSub = T.isBoxed(v) ? T.headerSubtag(m[T.ptrVal(v)]!) : -1;
  switch (op) {
    case 45: // is_integer
      return T.isSmall(v) || boxedSub === T.SUB_POS_BIG || boxedSub === T.SUB_NEG_BIG;
    case 46: // is_float
      return boxedSub === T.SUB_FLOAT;
    case 47: // is_number
      return T.isSmall(v) || boxedSub === T.SUB_POS_BIG || boxedSub === T.SUB_NEG_BIG || boxedSub === T.SUB_FLOAT;
    case 49: // is_pid
      return T.isLocalPid(v) || boxedSub === T.SUB_EXTERNAL_PID;
    case 50: // is_reference
      return boxedSub === T.SUB_REF || boxedSub === T.SUB_EXTERNAL_REF;
    case 51: // is_port
      return T.isLocalPort(v) || boxedSub === T.SUB_EXTERNAL_PORT;
    case 53: // is_binary
    case 129: { // is_bitstr
      if (boxedSub === T.SUB_HEAP_BINARY || boxedSub === T.SUB_REFC_BINARY) return true;
      if (boxedSub !== T.SUB_SUB_BINARY) return false;
      return op === 129 || m[T.ptrVal(v) + 2] === 0;
    }
    case 77: // is_function
      return boxedSub === T.SUB_FUN || boxedSub === T.SUB_EXPORT;
    case 114: // is_boolean
      return v === commonAtom('true') || v === commonAtom('false');
    case 156: // is_map
      return boxedSub === T.SUB_MAP;
    default:
      throw new Error(`not a type test: ${op}`);
  }
}

/** The arity of a fun term, or -1 for a non-fun. */
export function funArity(vm: VM, f: T.Term): number {
  if (!T.isBoxed(f)) return -1;
  const m = vm.mem.i32;
  const p = T.ptrVal(f);
  const sub = T.headerSubtag(m[p]!);
  if (sub === T.SUB_FUN) return m[p + 5]!;
  if (sub === T.SUB_EXPORT) return T.smallVal(m[p + 3]!);
  return -1;
}

export function isFunction2(vm: VM, f: T.Term, arity: T.Term): boolean {
  if (!T.isSmall(arity) || T.smallVal(arity) < 0) throw badarg();
  return funArity(vm, f) === T.smallVal(arity);
}

// ---------------------------------------------------------------- selects

/** select_tuple_arity and select_val by =:=: Src Fail Count pairs... */
export function selectLinear(vm: VM, m: Int32Array, pc: number, op: number, v: T.Term): number {
  const failTo = m[pc + 2]!;
  const n = m[pc + 3]!;
  if (op === OP_SELECT_VAL_LINEAR) {
    for (let i = 0; i < n; i++) {
      const w = m[pc + 4 + 2 * i]!;
      if (w === v || (!T.isImmediate(w) && !T.isImmediate(v) && exactEqual(vm, w, v))) return m[pc + 5 + 2 * i]!;
    }
    return failTo;
  }
  if (!T.isBoxed(v) || T.headerSubtag(m[T.ptrVal(v)]!) !== T.SUB_TUPLE) return failTo;
  const arity = T.headerArity(m[T.ptrVal(v)]!);
  for (let i = 0; i < n / 2; i++) {
    if (m[pc + 4 + 2 * i] === arity) return m[pc + 5 + 2 * i]!;
  }
  return failTo;
}

// ---------------------------------------------------------------- floats

/** fmove from a term: the term is a float (the compiler checked). */
export function floatOf(vm: VM, v: T.Term): number {
  return floatValue(vm, v);
}

/** fconv: any number to a float; badarith otherwise. */
export function numberToFloat(vm: VM, v: T.Term): number {
  if (T.isSmall(v)) return T.smallVal(v);
  if (T.isBoxed(v)) {
    const sub = T.headerSubtag(vm.mem.i32[T.ptrVal(v)]!);
    if (sub === T.SUB_FLOAT) return floatValue(vm, v);
    if (sub === T.SUB_POS_BIG || sub === T.SUB_NEG_BIG) {
      const f = Number(bignumValue(vm, v));
      if (!Number.isFinite(f)) throw badarith();
      return f;
    }
  }
  throw badarith();
}

export function makeFloat(p: Process, f: number): T.Term {
  return mkFloat(p, f);
}

// ---------------------------------------------------------------- errors

/** {badmatch, V}, {case_clause, V}, {try_clause, V}, {badrecord, V}. */
export function tagged(p: Process, op: number, v: T.Term): ErlangException {
  const tag = op === 72 ? ATOM_BADMATCH : op === 74 ? ATOM_CASE_CLAUSE : op === 107 ? ATOM_TRY_CLAUSE : ATOM_BADRECORD;
  return erlError(mkTuple2(p, tag, v));
}

/**
 * A raw stack trace (what x3 holds after an exception, as in the real VM):
 * {'$beamjs_raw_trace', Class, Frames}, so that `raise` can rethrow with the
 * original class; build_stacktrace and catch unwrap it.
 */
const RAW_TRACE_TAG = '$beamjs_raw_trace';

export function makeRawTrace(vm: VM, p: Process, cls: T.Term, frames: T.Term): T.Term {
  return mkTuple3(p, vm.atoms.intern(RAW_TRACE_TAG), cls, frames);
}

function rawTraceParts(vm: VM, t: T.Term): [T.Term, T.Term] | undefined {
  if (!T.isBoxed(t)) return undefined;
  const w = vm.mem.i32;
  const at = T.ptrVal(t);
  if (w[at] !== T.makeHeader(3, T.SUB_TUPLE) || w[at + 1] !== vm.atoms.intern(RAW_TRACE_TAG)) return undefined;
  return [w[at + 2]!, w[at + 3]!];
}

/** The frames of a raw stack trace (a built list is returned as is). */
export function unwrapTrace(vm: VM, t: T.Term): T.Term {
  return rawTraceParts(vm, t)?.[1] ?? t;
}

/** The value of `catch Expr` when Expr raised: Class, Reason, Stacktrace. */
export function catchValue(p: Process, cls: T.Term, reason: T.Term, trace: T.Term): T.Term {
  trace = unwrapTrace(p.vm, trace);
  if (cls === CLASS_THROW) return reason;
  if (cls === CLASS_ERROR) return mkTuple2(p, ATOM_EXIT_TAG, mkTuple2(p, reason, trace));
  return mkTuple2(p, ATOM_EXIT_TAG, reason);
}

/** raw_raise / raise: rethrow with an existing stack trace; badarg for a bad class. */
export function rawRaise(vm: VM, p: Process, cls: T.Term, reason: T.Term, trace: T.Term): ErlangException {
  const raw = rawTraceParts(vm, trace);
  if (cls === 0) cls = raw?.[0] ?? CLASS_ERROR;
  if (cls !== CLASS_ERROR && cls !== CLASS_EXIT && cls !== CLASS_THROW) return badarg();
  void p;
  return new ErlangException(cls, reason, undefined, undefined, raw?.[1] ?? trace);
}

/** The receive timeout in ms: -1 for infinity; badarg-like timeout_value error otherwise. */
export function timeoutValue(vm: VM, t: T.Term): number {
  if (t === ATOM_INFINITY) return -1;
  if (T.isSmall(t) && T.smallVal(t) >= 0) return T.smallVal(t);
  if (T.isBoxed(t) && T.headerSubtag(vm.mem.i32[T.ptrVal(t)]!) === T.SUB_POS_BIG) {
    const v = bignumValue(vm, t);
    if (v <= 0xffffffffn) return Number(v);
  }
  throw erlError(vm.atoms.intern('timeout_value'));
}

// ---------------------------------------------------------------- calls

/**
 * Resolves an export entry that has no code: loads its module from the code
 * path. Returns the code address, or throws undef (with the MFA frame).
 */
export function resolveExport(vm: VM, p: Process, x: Int32Array, entry: number, fail: FailInfo): number {
  const ex = vm.exports;
  const module = ex.module(entry);
  if (vm.modules.get(module) === undefined) vm.autoload(module);
  const addr = ex.address(entry);
  if (addr !== 0) return addr;
  fail.kind = FrameKind.Undef;
  fail.module = module;
  fail.fun = ex.function(entry);
  fail.args = Array.from(x.subarray(0, ex.arity(entry)));
  void p;
  throw erlError(ATOM_UNDEF);
}

/** The code address of M:F/A, loading M if needed (0 if undefined). */
export function exportAddress(vm: VM, module: T.Term, fun: T.Term, arity: number): number {
  const e = vm.exports.entry(module, fun, arity);
  let addr = vm.exports.address(e);
  if (addr === 0 && vm.modules.get(module) === undefined) {
    vm.autoload(module);
    addr = vm.exports.address(e);
  }
  return addr;
}

/**
 * call_fun, call_fun2, apply, apply_last and the apply stubs: puts the
 * arguments in x0.., sets p.pc to the target and returns the arity.
 * p.cp is already the return address.
 */
export function prepareCall(vm: VM, p: Process, x: Int32Array, m: Int32Array, pc: number, op: number, fail: FailInfo): number {
  let fun: T.Term;
  let arity: number;
  if (op === 75 || op === 178) {
    if (op === 75) {
      arity = m[pc + 1]!;
      fun = x[arity]!;
    } else {
      arity = m[pc + 2]!;
      fun = src(p, x, m, m[pc + 3]!);
    }
    return callFun(vm, p, x, fun, arity, fail);
  }
  let module: T.Term;
  let name: T.Term;
  if (op === 112 || op === 113) {
    arity = m[pc + 1]!;
    module = x[arity]!;
    name = x[arity + 1]!;
  } else if (op === OP_APPLY_STUB) {
    module = x[0]!;
    name = x[1]!;
    const args = listToArray(vm, x[2]!);
    if (args === undefined) {
      fail.kind = FrameKind.BifStub;
      fail.bif = applyBif(vm, 3);
      fail.args = [x[0]!, x[1]!, x[2]!];
      throw badarg();
    }
    arity = args.length;
    for (let i = 0; i < arity; i++) x[i] = args[i]!;
  } else if (op === OP_APPLY2_STUB) {
    const f = x[0]!;
    const args = listToArray(vm, x[1]!);
    if (args === undefined) {
      fail.kind = FrameKind.BifStub;
      fail.bif = applyBif(vm, 2);
      fail.args = [x[0]!, x[1]!];
      throw badarg();
    }
    for (let i = 0; i < args.length; i++) x[i] = args[i]!;
    return callFun(vm, p, x, f, args.length, fail);
  } else throw new Error(`prepareCall: ${op}`);
  if (T.isAtom(module) && T.isAtom(name)) {
    const addr = exportAddress(vm, module, name, arity);
    if (addr !== 0) {
      p.pc = addr;
      return arity;
    }
    fail.kind = FrameKind.Undef;
    fail.module = module;
    fail.fun = name;
    fail.args = Array.from(x.subarray(0, arity));
    throw erlError(ATOM_UNDEF);
  }
  // apply on a non-atom module: badarg from erlang:apply/3
  fail.kind = FrameKind.BifStub;
  fail.bif = applyBif(vm, 3);
  fail.args = [module, name, mkList(p, Array.from(x.subarray(0, arity)))];
  throw badarg();
}

const ERROR_BIFS = new Set(['erlang:error/1', 'erlang:error/2', 'erlang:error/3', 'erlang:exit/1', 'erlang:throw/1', 'erlang:raise/3']);

/** erlang:error/exit/throw/raise: their exceptions show no frame of their own. */
export function isErrorBif(_vm: VM, bif: BifEntry): boolean {
  return ERROR_BIFS.has(bif.key);
}

function applyBif(vm: VM, arity: number): BifEntry {
  return vm.bif('erlang', 'apply', arity);
}

/** Calls a fun with `arity` arguments in x0..: sets p.pc; the free variables go after the arguments. */
function callFun(vm: VM, p: Process, x: Int32Array, fun: T.Term, arity: number, fail: FailInfo): number {
  const m = vm.mem.i32;
  if (T.isBoxed(fun)) {
    const at = T.ptrVal(fun);
    const sub = T.headerSubtag(m[at]!);
    if (sub === T.SUB_FUN) {
      if (m[at + 5] !== arity) throw badarity(p, fun, x, arity);
      const module = m[at + 1]!;
      const index = m[at + 2]!;
      const nfree = m[at + 11]!;
      for (let i = 0; i < nfree; i++) x[arity + i] = m[at + FUN_FIXED_WORDS + i]!;
      let mod = vm.modules.get(module);
      if (mod === undefined) {
        vm.autoload(module);
        mod = vm.modules.get(module);
      }
      const entry = mod?.funs.find((f) => f.index === index);
      if (entry === undefined) {
        fail.kind = FrameKind.Undef;
        fail.module = module;
        fail.fun = vm.atoms.intern(`-fun-${index}-`);
        fail.args = Array.from(x.subarray(0, arity));
        throw erlError(ATOM_UNDEF);
      }
      p.pc = entry.address;
      return arity + nfree;
    }
    if (sub === T.SUB_EXPORT) {
      const module = m[at + 1]!;
      const name = m[at + 2]!;
      const a = T.smallVal(m[at + 3]!);
      if (a !== arity) throw badarity(p, fun, x, arity);
      const addr = exportAddress(vm, module, name, a);
      if (addr === 0) {
        fail.kind = FrameKind.Undef;
        fail.module = module;
        fail.fun = name;
        fail.args = Array.from(x.subarray(0, arity));
        throw erlError(ATOM_UNDEF);
      }
      p.pc = addr;
      return arity;
    }
  }
  throw erlError(mkTuple2(p, ATOM_BADFUN, fun));
}

function badarity(p: Process, fun: T.Term, x: Int32Array, arity: number): ErlangException {
  const args = mkList(p, Array.from(x.subarray(0, arity)));
  return erlError(mkTuple2(p, ATOM_BADARITY, mkTuple2(p, fun, args)));
}

/** make_fun2 (free variables in x0.., result in x0) and make_fun3 (Lambda D [Free...]). Returns the next pc. */
export function makeFun(vm: VM, p: Process, x: Int32Array, m: Int32Array, pc: number, op: number): number {
  const rec = m[pc + 1]!; // the lambda's shared record (vm/code/code_table.ts FunWord)
  const nfree = m[rec + FunWord.NumFree]!;
  const free: T.Term[] = [];
  let next: number;
  let dest = 0; // x0
  if (op === 103) {
    for (let i = 0; i < nfree; i++) free.push(x[i]!);
    next = pc + 2;
  } else {
    dest = m[pc + 2]!;
    const n = m[pc + 3]!;
    for (let i = 0; i < n; i++) free.push(src(p, x, m, m[pc + 4 + i]!));
    next = pc + 4 + n;
  }
  const words = FUN_FIXED_WORDS + nfree;
  const at = p.alloc(words);
  const w = vm.mem.i32;
  w[at] = T.makeHeader(words - 1, T.SUB_FUN);
  w[at + 1] = w[rec + FunWord.Module]!;
  w[at + 2] = w[rec + FunWord.Index]!;
  w[at + 3] = w[rec + FunWord.OldIndex]!;
  w[at + 4] = w[rec + FunWord.OldUniq]!;
  w[at + 5] = w[rec + FunWord.CodeArity]! - nfree;
  for (let k = 0; k < 4; k++) w[at + 6 + k] = w[rec + FunWord.Uniq + k]!;
  w[at + 10] = p.pid;
  w[at + 11] = nfree;
  for (let i = 0; i < nfree; i++) w[at + FUN_FIXED_WORDS + i] = free[i]!;
  dst(p, x, w, dest, T.makeBoxed(at));
  return next;
}

// ---------------------------------------------------------------- exceptions

function errorInfoModule(vm: VM, module: string): T.Term {
  switch (module) {
    case 'erlang':
    case 'erts_internal':
    case 'atomics':
    case 'counters':
    case 'persistent_term':
      return vm.atoms.intern('erl_erts_errors');
    case 'os':
    case 'code':
    case 'file':
      return vm.atoms.intern('erl_kernel_errors');
    default:
      return vm.atoms.intern('erl_stdlib_errors');
  }
}

/** [{file, F}, {line, L}] for the instruction at addr, or []. */
function location(vm: VM, p: Process, addr: number): T.Term {
  const mod = vm.modules.byAddress(addr);
  if (mod === undefined) return T.NIL;
  const loc = locationAt(mod, addr);
  if (loc === undefined) return T.NIL;
  const file = mkStringTerm(p, loc[0]);
  return mkList(p, [mkTuple2(p, ATOM_FILE, file), mkTuple2(p, ATOM_LINE, T.makeSmall(loc[1]))]);
}

function mkStringTerm(p: Process, s: string): T.Term {
  const cps: T.Term[] = [];
  for (const ch of s) cps.push(T.makeSmall(ch.codePointAt(0)!));
  return mkList(p, cps);
}

/** {M, F, ArityOrArgs, Location} for the function holding addr, or undefined for VM stubs. */
function frameAt(vm: VM, p: Process, addr: number, locAddr: number, argsOrArity?: T.Term): T.Term | undefined {
  const mod = vm.modules.byAddress(addr);
  if (mod === undefined) return undefined;
  const fn = functionAt(mod, addr);
  if (fn === undefined) return undefined;
  return mkTuple(p, [mod.name, fn.name, argsOrArity ?? T.makeSmall(fn.arity), location(vm, p, locAddr)]);
}

/**
 * Builds the stack trace of an exception raised at `ipc`, as the real VM
 * does: the top frame by kind, then one frame per continuation pointer (the
 * cp register if set, then the CP words on the stack), at most
 * BACKTRACE_DEPTH frames.
 */
function buildStacktrace(vm: VM, p: Process, x: Int32Array, e: ErlangException, ipc: number, cp: number, fail: FailInfo): T.Term {
  const frames: T.Term[] = [];
  const m = vm.mem.i32;
  let fromCp = true;
  switch (fail.kind) {
    case FrameKind.InlineBif:
    case FrameKind.BifStub: {
      const bif = fail.bif!;
      const info: T.Term[] = [mkTuple2(p, ATOM_MODULE, errorInfoModule(vm, bif.module))];
      const infoMap = errorInfoMap(vm, p, info, e.cause);
      frames.push(
        mkTuple(p, [
          vm.atoms.intern(bif.module),
          vm.atoms.intern(bif.name),
          mkList(p, fail.args.slice(0, bif.arity)),
          mkList(p, [mkTuple2(p, ATOM_ERROR_INFO, infoMap)]),
        ]),
      );
      if (fail.kind === FrameKind.InlineBif) {
        const f = frameAt(vm, p, ipc, ipc);
        if (f !== undefined) frames.push(f);
      }
      break;
    }
    case FrameKind.FunctionClause: {
      const arity = m[ipc + 3]!;
      const f = frameAt(vm, p, ipc, ipc, mkList(p, Array.from(x.subarray(0, arity))));
      if (f !== undefined) frames.push(f);
      break;
    }
    case FrameKind.Undef:
      frames.push(mkTuple(p, [fail.module, fail.fun, mkList(p, fail.args), T.NIL]));
      break;
    case FrameKind.ErrorBifHere: {
      // erlang:error/2,3 show the given arguments in the current function's frame, and error/3's error_info.
      const f = frameAt(vm, p, ipc, ipc, e.args);
      if (f !== undefined) {
        const info = (e as { errorInfo?: T.Term }).errorInfo;
        if (info !== undefined) {
          const at = T.ptrVal(f);
          const loc = listToArray(vm, vm.mem.i32[at + 4]!) ?? [];
          vm.mem.i32[at + 4] = mkList(p, [...loc, mkTuple2(p, ATOM_ERROR_INFO, info)]);
        }
        frames.push(f);
      }
      break;
    }
    case FrameKind.ErrorBif: {
      // erlang:error/2,3: the caller's frame shows the given arguments.
      if (e.args !== undefined && cp !== 0) {
        const f = frameAt(vm, p, cp - 1, cp - 1, e.args);
        if (f !== undefined) {
          frames.push(f);
          fromCp = false;
        }
      }
      break;
    }
    default: {
      const f = frameAt(vm, p, ipc, ipc);
      if (f !== undefined) {
        // An instruction's own error with error_info (bit syntax): it goes in the frame's location list.
        if (e.cause !== undefined && e.cls === CLASS_ERROR) addErrorInfo(vm, p, f, e.cause);
        frames.push(f);
      }
    }
  }
  if (cp !== 0 && fromCp && frames.length < BACKTRACE_DEPTH && m[cp] !== OP_PROCESS_EXIT) {
    const f = frameAt(vm, p, cp - 1, cp - 1);
    if (f !== undefined) frames.push(f);
  }
  // Consecutive frames with the same return address (plain recursion) appear once, as in the real VM.
  let lastRet = cp;
  for (let a = p.stackTop; a < p.blockEnd && frames.length < BACKTRACE_DEPTH; a++) {
    const w = m[a]!;
    if (w !== 0 && (w & 3) === 0) {
      const ret = w >>> 2;
      if (m[ret] === OP_PROCESS_EXIT || ret === lastRet) continue;
      lastRet = ret;
      const f = frameAt(vm, p, ret - 1, ret - 1);
      if (f !== undefined) frames.push(f);
    }
  }
  return mkList(p, frames);
}

/**
 * The error_info map: module => M plus the exception's extras — `cause`
 * given as a term, or a map of extra items (bit syntax: cause and function).
 */
function errorInfoMap(vm: VM, p: Process, pairs: T.Term[], cause: T.Term | undefined): T.Term {
  const keys: T.Term[] = [];
  const vals: T.Term[] = [];
  if (cause !== undefined && isMapTerm(vm, cause)) {
    mapForEach(vm, cause, (k, v) => {
      keys.push(k);
      vals.push(v);
    });
  } else if (cause !== undefined) {
    keys.push(vm.atoms.intern('cause'));
    vals.push(cause);
  }
  for (const pr of pairs) {
    const at = T.ptrVal(pr);
    keys.push(vm.mem.i32[at + 1]!);
    vals.push(vm.mem.i32[at + 2]!);
  }
  return mapFromArrays(p, keys, vals);
}

function addErrorInfo(vm: VM, p: Process, frame: T.Term, cause: T.Term): void {
  const w = vm.mem.i32;
  const at = T.ptrVal(frame);
  const info = errorInfoMap(vm, p, [mkTuple2(p, ATOM_MODULE, vm.atoms.intern('erl_erts_errors'))], cause);
  const loc = listToArray(vm, w[at + 4]!) ?? [];
  vm.mem.i32[at + 4] = mkList(p, [...loc, mkTuple2(p, ATOM_ERROR_INFO, info)]);
}

/**
 * Handles an exception thrown while running p: builds the stack trace,
 * unwinds to the nearest catch (x0 = THE_NON_VALUE, x1 class, x2 reason,
 * x3 stack trace) and returns true; or ends the process and returns false.
 */
export function handleException(vm: VM, p: Process, x: Int32Array, e: unknown, ipc: number, cp: number, fail: FailInfo): boolean {
  let ex: ErlangException;
  if (e instanceof ErlangException) ex = e;
  else {
    // A bug in beamjs (or a host error such as a stack overflow): an error of this process, not of the host.
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    vm.reportInternalError(p, e);
    ex = erlError(mkTuple2(p, vm.atoms.intern('beamjs_internal_error'), mkStringTerm(p, message)));
    fail.kind = FrameKind.Current;
  }
  const m0 = vm.mem.i32;
  void m0;
  const trace = ex.stacktrace !== undefined ? unwrapTrace(vm, ex.stacktrace) : buildStacktrace(vm, p, x, ex, ipc, cp, fail);
  // Find the nearest catch: scan the stack up from E, remembering the last frame (CP word) seen.
  const m = vm.mem.i32;
  let frame = p.stackTop;
  for (let a = p.stackTop; a < p.blockEnd; a++) {
    const w = m[a]!;
    if (w !== 0 && (w & 3) === 0) frame = a;
    else if (T.isCatch(w)) {
      p.stackTop = frame;
      p.heap.end = frame;
      p.cp = 0;
      p.pc = vm.catches.handler(T.catchVal(w));
      x[0] = T.THE_NON_VALUE;
      x[1] = ex.cls;
      x[2] = ex.reason;
      x[3] = makeRawTrace(vm, p, ex.cls, trace);
      return true;
    }
  }
  // Uncaught: the process exits.
  if (ex.cls === CLASS_ERROR) p.exitReason = mkTuple2(p, ex.reason, trace);
  else if (ex.cls === CLASS_EXIT) p.exitReason = ex.reason;
  else p.exitReason = mkTuple2(p, mkTuple2(p, ATOM_NOCATCH, ex.reason), trace);
  p.exitClass = ex.cls;
  p.exitRawReason = ex.reason;
  p.exitTrace = trace;
  return false;
}

/** Instructions without a case in the hot loop (maps, bit syntax, ...). Returns the next pc. */
export function coldInstruction(vm: VM, p: Process, regs: Registers, m: Int32Array, pc: number, op: number, fail: FailInfo): number {
  if (TRACE_COLD) process.stderr.write(`cold ${op} at ${vm.describeAddress(pc)}\n`);
  const handler = colds[op];
  if (handler === undefined) {
    // Code another thread loaded after this one's views were made (a call through an export entry):
    // refresh them and run the instruction (the loop reloads its view).
    if (pc >= m.length) {
      vm.mem.refresh();
      if (pc < vm.mem.i32.length) return pc;
    }
    throw new Error(`no handler for opcode ${op} at ${pc}`);
  }
  return handler(vm, p, regs, m, pc, fail);
}

export { mkCons, mkTuple3, BIF_TABLE };

/**
 * process_info(T, current_stacktrace): the frame of T's current function
 * (at its saved pc: the call being made, or the receive it waits in), then
 * one frame per continuation pointer, as buildStacktrace walks them; built
 * on p's heap.
 */
export function currentStacktrace(vm: VM, p: Process, t: Process): T.Term {
  const frames: T.Term[] = [];
  const m = vm.mem.i32;
  const top = frameAt(vm, p, t.pc, t.pc);
  if (top !== undefined) frames.push(top);
  let lastRet = 0;
  if (t.cp !== 0 && m[t.cp] !== OP_PROCESS_EXIT) {
    const f = frameAt(vm, p, t.cp - 1, t.cp - 1);
    if (f !== undefined) frames.push(f);
    lastRet = t.cp;
  }
  for (let a = t.stackTop; a < t.blockEnd && frames.length < BACKTRACE_DEPTH; a++) {
    const w = m[a]!;
    if (w !== 0 && (w & 3) === 0) {
      const ret = w >>> 2;
      if (m[ret] === OP_PROCESS_EXIT || ret === lastRet) continue;
      lastRet = ret;
      const f = frameAt(vm, p, ret - 1, ret - 1);
      if (f !== undefined) frames.push(f);
    }
  }
  return mkList(p, frames);
}
