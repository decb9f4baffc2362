/**
 * Natives that fit no other group: the fun inspection BIFs of `erlang`
 * (fun_info/2, fun_info_mfa/1, fun_to_list/1), the text forms of pids,
 * ports and references (pid_to_list/1, list_to_pid/1, ...),
 * unique_integer/0,1, now/0, io:printable_range/0 and the
 * prefix parsers string:list_to_integer/1 and string:list_to_float/1 (real
 * BIFs behind nif_error stubs in string.erl). Checked against erl in
 * test/bifs/erlang_misc.test.ts.
 */
import { defineBifs } from './registry.js';
import type { Process } from '../vm/process.js';
import { badarg } from '../vm/errors.js';
import { ATOM_UNDEFINED } from '../vm/term/atoms.js';
import { FUN_FIXED_WORDS } from '../vm/term/build.js';
import { displayText } from '../vm/term/display.js';
import { mkBinary, mkFloat, mkInt, mkList, mkString, mkTuple2, mkTuple3 } from '../vm/term/make.js';
import { parseInteger } from './erlang_convert.js';
import {
  NIL,
  SUB_EXPORT,
  SUB_EXTERNAL_PID,
  SUB_EXTERNAL_PORT,
  SUB_EXTERNAL_REF,
  SUB_FUN,
  SUB_REF,
  type Term,
  headerSubtag,
  isAtom,
  isBoxed,
  isList,
  isLocalPid,
  isLocalPort,
  isSmall,
  makeBoxed,
  makeHeader,
  makeLocalPid,
  makeLocalPort,
  makeSmall,
  ptrVal,
  smallVal,
} from '../vm/term/tags.js';

// ---------------------------------------------------------------- funs

/** A fun's words, read once (a local fun's free variables stay on the heap). */
type FunView =
  | { kind: 'export'; module: Term; name: Term; arity: number }
  | {
      kind: 'local';
      at: number;
      module: Term;
      index: number;
      oldIndex: number;
      oldUniq: number;
      arity: number;
      creator: Term;
      numFree: number;
    };

function funView(p: Process, f: Term): FunView | undefined {
  if (!isBoxed(f)) return undefined;
  const w = p.mem.i32;
  const at = ptrVal(f);
  const sub = headerSubtag(w[at]!);
  if (sub === SUB_EXPORT) return { kind: 'export', module: w[at + 1]!, name: w[at + 2]!, arity: smallVal(w[at + 3]!) };
  if (sub !== SUB_FUN) return undefined;
  return {
    kind: 'local',
    at,
    module: w[at + 1]!,
    index: w[at + 2]!,
    oldIndex: w[at + 3]!,
    oldUniq: w[at + 4]!,
    arity: w[at + 5]!,
    creator: w[at + 10]!,
    numFree: w[at + 11]!,
  };
}

/** The function name of a local fun's code; [] when its module is not loaded (as the real VM says). */
function localFunName(p: Process, module: Term, index: number): Term {
  const entry = p.vm?.modules.get(module)?.funs.find((f) => f.index === index);
  return entry === undefined ? NIL : entry.name;
}

/** The 16 bytes of a local fun's new uniq (its module's MD5), stored as four words in byte order. */
function newUniq(p: Process, at: number): Term {
  const w = p.mem.i32;
  const bytes = new Uint8Array(16);
  const dv = new DataView(bytes.buffer);
  for (let k = 0; k < 4; k++) dv.setInt32(4 * k, w[at + 6 + k]!, true);
  return mkBinary(p, bytes);
}

function funInfo(p: Process, f: Term, item: Term): Term {
  const v = funView(p, f);
  if (v === undefined || !isAtom(item)) throw badarg();
  const key = p.atoms.name(item);
  let value: Term;
  if (v.kind === 'export') {
    switch (key) {
      case 'module':
        value = v.module;
        break;
      case 'name':
        value = v.name;
        break;
      case 'arity':
        value = makeSmall(v.arity);
        break;
      case 'env':
        value = NIL;
        break;
      case 'type':
        value = p.atoms.intern('external');
        break;
      case 'index':
      case 'new_index':
      case 'uniq':
      case 'new_uniq':
      case 'pid':
        value = ATOM_UNDEFINED;
        break;
      default:
        throw badarg();
    }
    return mkTuple2(p, item, value);
  }
  switch (key) {
    case 'module':
      value = v.module;
      break;
    case 'name':
      value = localFunName(p, v.module, v.index);
      break;
    case 'arity':
      value = makeSmall(v.arity);
      break;
    case 'env': {
      const w = p.mem.i32;
      const free: Term[] = [];
      for (let i = 0; i < v.numFree; i++) free.push(w[v.at + FUN_FIXED_WORDS + i]!);
      value = mkList(p, free);
      break;
    }
    case 'type':
      value = p.atoms.intern('local');
      break;
    case 'index':
      value = mkInt(p, v.oldIndex);
      break;
    case 'new_index':
      value = mkInt(p, v.index);
      break;
    case 'uniq':
      value = mkInt(p, v.oldUniq);
      break;
    case 'new_uniq':
      value = newUniq(p, v.at);
      break;
    case 'pid':
      value = v.creator;
      break;
    default:
      throw badarg();
  }
  return mkTuple2(p, item, value);
}

function funInfoMfa(p: Process, f: Term): Term {
  const v = funView(p, f);
  if (v === undefined) throw badarg();
  if (v.kind === 'export') return mkTuple3(p, v.module, v.name, makeSmall(v.arity));
  return mkTuple3(p, v.module, localFunName(p, v.module, v.index), makeSmall(v.arity));
}

/** fun_to_list/1: the text erlang:display/1 prints for the fun ("#Fun<m.0.123>", "fun m:f/1"). */
function funToList(p: Process, f: Term): Term {
  if (funView(p, f) === undefined) throw badarg();
  return mkString(p, displayText(p, f));
}

// ---------------------------------------------------------------- string:list_to_integer/float

const NOT_A_LIST = 'not_a_list';

/**
 * The leading characters of a list (stopping at the first element that is
 * not a character, or at the end), each with the list cell it starts, so
 * the rest can be returned as the original tail.
 */
function leadingChars(p: Process, list: Term, max: number): { text: string; cells: Term[] } {
  const w = p.mem.i32;
  let text = '';
  const cells: Term[] = [];
  let t = list;
  while (isList(t) && text.length < max) {
    const c = ptrVal(t);
    const ch = w[c]!;
    // Only ASCII matters to the syntax; anything else ends the number.
    if (!isSmall(ch) || smallVal(ch) < 0 || smallVal(ch) > 0x7f) break;
    text += String.fromCharCode(smallVal(ch));
    cells.push(t);
    t = w[c + 1]!;
  }
  cells.push(t);
  return { text, cells };
}

/** The rest of the list after the first `n` characters. */
const restAfter = (cells: Term[], n: number): Term => cells[n]!;

function stringError(p: Process, reason: string): Term {
  return mkTuple2(p, p.atoms.intern('error'), p.atoms.intern(reason));
}

const INTEGER_PREFIX = /^[+-]?[0-9]+/;

function stringListToInteger(p: Process, list: Term): Term {
  if (!isList(list) && list !== NIL) return stringError(p, NOT_A_LIST);
  // Read in slices, so a long string with a short number costs little.
  let max = 64;
  for (;;) {
    const { text, cells } = leadingChars(p, list, max);
    const m = INTEGER_PREFIX.exec(text);
    if (m === null) return stringError(p, 'no_integer');
    if (m[0].length === text.length && text.length === max) {
      max *= 4;
      continue;
    }
    const v = parseInteger(m[0], 10)!;
    return mkTuple2(p, mkInt(p, v), restAfter(cells, m[0].length));
  }
}

/** list_to_float's syntax (digits, a point or comma, digits, an optional exponent), as a prefix. */
const FLOAT_PREFIX = /^[+-]?[0-9]+[.,][0-9]+(?:[eE][+-]?[0-9]+)?/;

function stringListToFloat(p: Process, list: Term): Term {
  if (!isList(list) && list !== NIL) return stringError(p, NOT_A_LIST);
  let max = 64;
  for (;;) {
    const { text, cells } = leadingChars(p, list, max);
    const m = FLOAT_PREFIX.exec(text);
    if (m === null || (m[0].length === text.length && text.length === max)) {
      if (text.length === max) {
        max *= 4;
        continue;
      }
      return stringError(p, 'no_float');
    }
    const x = Number(m[0].replace(',', '.'));
    if (!Number.isFinite(x)) return stringError(p, 'no_float');
    return mkTuple2(p, mkFloat(p, x), restAfter(cells, m[0].length));
  }
}

// ---------------------------------------------------------------- pids, ports and references as text

/** The characters of a flat list of characters, or undefined when it is not one. */
function charList(p: Process, t: Term): string | undefined {
  const w = p.mem.i32;
  let s = '';
  while (isList(t)) {
    const c = ptrVal(t);
    const ch = w[c]!;
    if (!isSmall(ch) || smallVal(ch) < 0 || smallVal(ch) > 0x10ffff) return undefined;
    s += String.fromCodePoint(smallVal(ch));
    t = w[c + 1]!;
  }
  return t === NIL ? s : undefined;
}

/** The numbers of `text` shaped `prefix` N.N...N `>` (count of them), each below `limits[i]`; node 0 only. */
function dottedNumbers(text: string | undefined, prefix: string, limits: number[]): number[] | undefined {
  if (text === undefined || !text.startsWith(prefix) || !text.endsWith('>')) return undefined;
  const parts = text.slice(prefix.length, -1).split('.');
  if (parts.length !== limits.length + 1 || parts.some((d) => !/^[0-9]+$/.test(d))) return undefined;
  // Only this node's (number 0) identifiers can be made from text: beamjs is never distributed.
  if (Number(parts[0]) !== 0) return undefined;
  const values = parts.slice(1).map(Number);
  return values.every((v, i) => v < limits[i]!) ? values : undefined;
}

const isLocalRef = (p: Process, t: Term): boolean => isBoxed(t) && headerSubtag(p.mem.i32[ptrVal(t)]!) === SUB_REF;

function listToRef(p: Process, l: Term): Term {
  const ids = dottedNumbers(charList(p, l), '#Ref<', [2 ** 32, 2 ** 32, 2 ** 32]);
  if (ids === undefined) throw badarg();
  const at = p.alloc(4);
  const w = p.mem.i32;
  w[at] = makeHeader(3, SUB_REF);
  // The text shows the most significant word first; the words are stored least significant first.
  for (let i = 0; i < 3; i++) w[at + 1 + i] = ids[2 - i]! | 0;
  return makeBoxed(at);
}

// ---------------------------------------------------------------- unique_integer

/** -2^59: the real VM's first monotonic unique integer. */
const UNIQUE_BASE = -(2n ** 59n);
let uniqueCount = 0n;

/**
 * unique_integer/0,1. One counter serves every kind, so every value is
 * unique and the monotonic ones increase strictly, with the real VM's
 * numbering: monotonic values count up from -2^59, positive monotonic ones
 * from 1.
 */
function uniqueInteger(p: Process, opts: Term): Term {
  let positive = false;
  let t = opts;
  const w = p.mem.i32;
  while (isList(t)) {
    const c = ptrVal(t);
    const o = w[c]!;
    if (!isAtom(o)) throw badarg();
    const name = p.atoms.name(o);
    if (name === 'positive') positive = true;
    else if (name !== 'monotonic') throw badarg();
    t = w[c + 1]!;
  }
  if (t !== NIL) throw badarg();
  const n = uniqueCount++;
  return mkInt(p, positive ? n + 1n : UNIQUE_BASE + n);
}

// ---------------------------------------------------------------- now/0

let lastNowUs = 0n;

/** erlang:now/0: wall-clock microseconds, strictly increasing from call to call (as the real VM guarantees). */
function now(p: Process): Term {
  let us = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  if (us <= lastNowUs) us = lastNowUs + 1n;
  lastNowUs = us;
  return mkTuple3(p, mkInt(p, us / 1000000000000n), mkInt(p, (us / 1000000n) % 1000000n), mkInt(p, us % 1000000n));
}

// ---------------------------------------------------------------- registration

defineBifs('erlang', 'bif', {
  'fun_info/2': (p, [f, item]) => funInfo(p, f!, item!),
  'fun_info_mfa/1': (p, [f]) => funInfoMfa(p, f!),
  'fun_to_list/1': (p, [f]) => funToList(p, f!),
  // The text forms are what erlang:display/1 prints.
  'pid_to_list/1': (p, [t]) => {
    if (!isLocalPid(t!) && !(isBoxed(t!) && headerSubtag(p.mem.i32[ptrVal(t!)]!) === SUB_EXTERNAL_PID)) throw badarg();
    return mkString(p, displayText(p, t!));
  },
  'port_to_list/1': (p, [t]) => {
    if (!isLocalPort(t!) && !(isBoxed(t!) && headerSubtag(p.mem.i32[ptrVal(t!)]!) === SUB_EXTERNAL_PORT)) throw badarg();
    return mkString(p, displayText(p, t!));
  },
  'ref_to_list/1': (p, [t]) => {
    if (!isLocalRef(p, t!) && !(isBoxed(t!) && headerSubtag(p.mem.i32[ptrVal(t!)]!) === SUB_EXTERNAL_REF)) throw badarg();
    return mkString(p, displayText(p, t!));
  },
  'list_to_pid/1': (p, [l]) => {
    const ids = dottedNumbers(charList(p, l!), '<', [2 ** 15, 2 ** 13]);
    if (ids === undefined) throw badarg();
    return makeLocalPid(ids[0]!, ids[1]!);
  },
  'list_to_port/1': (p, [l]) => {
    const ids = dottedNumbers(charList(p, l!), '#Port<', [2 ** 28]);
    if (ids === undefined) throw badarg();
    return makeLocalPort(ids[0]!);
  },
  'list_to_ref/1': (p, [l]) => listToRef(p, l!),
  'now/0': (p) => now(p),
  'unique_integer/0': (p) => uniqueInteger(p, NIL),
  'unique_integer/1': (p, [opts]) => uniqueInteger(p, opts!),
});

defineBifs('io', 'nif', {
  // The real VM answers from its +pc flag; beamjs always runs with the default.
  'printable_range/0': (p) => p.atoms.intern('latin1'),
});

defineBifs('string', 'nif', {
  'list_to_integer/1': (p, [l]) => stringListToInteger(p, l!),
  'list_to_float/1': (p, [l]) => stringListToFloat(p, l!),
});
