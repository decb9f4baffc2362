/**
 * Match specifications, compiled once per call into JS closures and run
 * natively against objects in table memory (or terms on a heap).
 *
 *   MatchSpec = [{Head, Guards, Body}]
 *   Head: a pattern: '_' matches anything, '$N' binds (or, bound, must be
 *         =:=), tuples/lists/maps match structurally, anything else exactly.
 *   Guards: expressions that must all be `true` (an error fails the clause).
 *   Body: expressions, the last one's value is the result (an error makes
 *         the result 'EXIT', as in the real VM).
 *   Expressions: '$N', '$_' (the object), '$$' (the head's variables in
 *   numeric order), {const, T}, {{E1, ...}} (a tuple), [E...] (a list),
 *   #{K => E}, {Fun, Arg...} with Fun a guard BIF, a comparison, andalso,
 *   orelse, and, or, not, xor; any other term is itself.
 *
 * Bindings point into the matched object: results are copied to the
 * caller's heap by the caller (bifs/ets.ts), never left pointing at a table.
 * Intermediate values (arithmetic) are built on the calling process's heap
 * by the same BIFs as erlang:'+'/2 etc. (bifs/registry.ts).
 */
import { lookupBif, type BifFn } from '../../bifs/registry.js';
import { ErlangException, badarg } from '../errors.js';
import type { Process } from '../process.js';
import { ATOM_FALSE, ATOM_TRUE } from '../term/atoms.js';
import { compare, exactEqual } from '../term/compare.js';
import { isMapTerm, mapForEach, mapFromArrays, mapGet } from '../term/maps.js';
import { listToArray, mkList, mkTuple } from '../term/make.js';
import {
  NIL,
  SUB_TUPLE,
  THE_NON_VALUE,
  type Term,
  headerArity,
  headerSubtag,
  isAtom,
  isBoxed,
  isImmediate,
  isList,
  makeHeader,
  ptrVal,
} from '../term/tags.js';

type Pat = (v: Term, vars: Term[]) => boolean;

export interface Env {
  p: Process;
  obj: Term;
  vars: Term[];
}
type Expr = (e: Env) => Term;

export interface Clause {
  head: Pat;
  guards: Expr[];
  body: Expr[];
  /** Head variables in numeric order (for '$$'). */
  headVars: number[];
  /** The head is a tuple whose element at keypos is fixed: that key (for a direct lookup), else undefined. */
  keyAt: (keypos: number) => Term | undefined;
  /** The head's tuple arity (-1 when the head is not a tuple: a variable or '_' matches any object). */
  arity: number;
}

export interface MatchSpec {
  clauses: Clause[];
  maxVar: number;
}

/** Raised while compiling: the spec is malformed. */
const bad = (): never => {
  throw badarg();
};

const EXIT_ATOM_NAME = 'EXIT';

/** The variable number of a '$N' atom, -1 for other atoms. */
function varNumber(p: Process, a: Term): number {
  const name = p.atoms.name(a);
  if (name.length < 2 || name[0] !== '$') return -1;
  const digits = name.slice(1);
  if (!/^[0-9]+$/.test(digits)) return -1;
  const n = Number(digits);
  return n <= 100_000_000 ? n : -1;
}

function tupleElems(p: Process, t: Term): Term[] | undefined {
  if (!isBoxed(t)) return undefined;
  const w = p.mem.i32;
  const a = ptrVal(t);
  const hdr = w[a]!;
  if (headerSubtag(hdr) !== SUB_TUPLE) return undefined;
  const n = headerArity(hdr);
  const out: Term[] = [];
  for (let i = 1; i <= n; i++) out.push(w[a + i]!);
  return out;
}

// ---------------------------------------------------------------- patterns

function compilePattern(p: Process, t: Term, seen: Set<number>, ground: { v: boolean }): Pat {
  if (isAtom(t)) {
    const name = p.atoms.name(t);
    if (name === '_') {
      ground.v = false;
      return () => true;
    }
    const n = varNumber(p, t);
    if (n >= 0) {
      ground.v = false;
      if (!seen.has(n)) {
        seen.add(n);
        return (v, vars) => {
          vars[n] = v;
          return true;
        };
      }
      return (v, vars) => {
        const b = vars[n]!;
        return b === v || exactEqual(p, b, v);
      };
    }
    return (v) => v === t;
  }
  if (isImmediate(t)) return (v) => v === t;
  if (isList(t)) {
    const w0 = p.mem.i32;
    const h = compilePattern(p, w0[ptrVal(t)]!, seen, ground);
    const tl = compilePattern(p, w0[ptrVal(t) + 1]!, seen, ground);
    return (v, vars) => {
      if (!isList(v)) return false;
      const w = p.mem.i32;
      const a = ptrVal(v);
      return h(w[a]!, vars) && tl(w[a + 1]!, vars);
    };
  }
  const el = tupleElems(p, t);
  if (el !== undefined) {
    const n = el.length;
    const hdr = makeHeader(n, SUB_TUPLE);
    const subs = el.map((e) => compilePattern(p, e, seen, ground));
    return (v, vars) => {
      if (!isBoxed(v)) return false;
      const w = p.mem.i32;
      const a = ptrVal(v);
      if (w[a] !== hdr) return false;
      for (let i = 0; i < n; i++) if (!subs[i]!(w[a + 1 + i]!, vars)) return false;
      return true;
    };
  }
  if (isMapTerm(p, t)) {
    const keys: Term[] = [];
    const subs: Pat[] = [];
    mapForEach(p, t, (k, v) => {
      keys.push(k);
      subs.push(compilePattern(p, v, seen, ground));
    });
    return (v, vars) => {
      if (!isMapTerm(p, v)) return false;
      for (let i = 0; i < keys.length; i++) {
        const x = mapGet(p, v, keys[i]!);
        if (x === undefined || !subs[i]!(x, vars)) return false;
      }
      return true;
    };
  }
  return (v) => exactEqual(p, t, v);
}

// ---------------------------------------------------------------- expressions

const TYPE_TESTS = new Set([
  'is_atom', 'is_float', 'is_integer', 'is_list', 'is_number', 'is_pid', 'is_port', 'is_reference',
  'is_tuple', 'is_map', 'is_binary', 'is_bitstring', 'is_function', 'is_boolean',
]);
/** Guard BIFs a match spec may call, by name/arity. */
const GUARD_BIFS = new Set([
  'abs/1', 'element/2', 'hd/1', 'tl/1', 'length/1', 'size/1', 'tuple_size/1', 'byte_size/1', 'bit_size/1',
  'map_size/1', 'map_get/2', 'is_map_key/2', 'float/1', 'trunc/1', 'round/1', 'ceil/1', 'floor/1', 'node/0', 'node/1',
  'binary_part/2', 'binary_part/3', '+/2', '-/2', '*/2', '//2', 'div/2', 'rem/2', 'band/2', 'bor/2', 'bxor/2',
  'bnot/1', 'bsl/2', 'bsr/2', '-/1', '+/1', 'min/2', 'max/2', 'is_record/3', 'is_function/2', 'self/0',
]);

function bool(b: boolean): Term {
  return b ? ATOM_TRUE : ATOM_FALSE;
}

/** Thrown inside evaluation when a guard-like operation fails. */
class EvalFail extends Error {}
const FAIL = new EvalFail('match spec evaluation failed');

function compileExpr(p: Process, t: Term, bound: Set<number>, headVars: number[]): Expr {
  if (isAtom(t)) {
    const name = p.atoms.name(t);
    if (name === '$_') return (e) => e.obj;
    if (name === '$$') {
      return (e) => mkList(e.p, headVars.map((n) => e.vars[n]!));
    }
    const n = varNumber(p, t);
    if (n >= 0) {
      if (!bound.has(n)) bad();
      return (e) => e.vars[n]!;
    }
    return () => t;
  }
  if (isImmediate(t)) return () => t;
  if (isList(t)) {
    const items: Expr[] = [];
    let x = t;
    const w = p.mem.i32;
    while (isList(x)) {
      items.push(compileExpr(p, w[ptrVal(x)]!, bound, headVars));
      x = w[ptrVal(x) + 1]!;
    }
    const tail = x === NIL ? undefined : compileExpr(p, x, bound, headVars);
    return (e) => mkList(e.p, items.map((f) => f(e)), tail === undefined ? NIL : tail(e));
  }
  const el = tupleElems(p, t);
  if (el !== undefined) {
    if (el.length === 0) return () => t;
    const f = el[0]!;
    if (el.length === 1 && tupleElems(p, f) !== undefined) {
      // {{E1, E2, ...}}: a tuple built from expressions.
      const parts = tupleElems(p, f)!.map((x) => compileExpr(p, x, bound, headVars));
      return (e) => mkTuple(e.p, parts.map((g) => g(e)));
    }
    if (!isAtom(f)) bad();
    const name = p.atoms.name(f);
    const nargs = el.length - 1;
    if (name === 'const' && nargs === 1) {
      const c = el[1]!;
      return () => c;
    }
    const args = el.slice(1).map((x) => compileExpr(p, x, bound, headVars));
    return compileCall(p, name, args);
  }
  if (isMapTerm(p, t)) {
    const keys: Expr[] = [];
    const vals: Expr[] = [];
    mapForEach(p, t, (k, v) => {
      keys.push(compileExpr(p, k, bound, headVars));
      vals.push(compileExpr(p, v, bound, headVars));
    });
    return (e) => mapFromArrays(e.p, keys.map((g) => g(e)), vals.map((g) => g(e)));
  }
  return () => t;
}

function toBool(v: Term): boolean {
  if (v === ATOM_TRUE) return true;
  if (v === ATOM_FALSE) return false;
  throw FAIL;
}

function compileCall(p: Process, name: string, args: Expr[]): Expr {
  const n = args.length;
  switch (name) {
    case 'andalso':
      if (n < 1) bad();
      return (e) => {
        for (const a of args) if (!toBool(a(e))) return ATOM_FALSE;
        return ATOM_TRUE;
      };
    case 'orelse':
      if (n < 1) bad();
      return (e) => {
        for (const a of args) if (toBool(a(e))) return ATOM_TRUE;
        return ATOM_FALSE;
      };
    case 'and':
      if (n < 1) bad();
      return (e) => {
        let r = true;
        for (const a of args) r = toBool(a(e)) && r;
        return bool(r);
      };
    case 'or':
      if (n < 1) bad();
      return (e) => {
        let r = false;
        for (const a of args) r = toBool(a(e)) || r;
        return bool(r);
      };
    case 'not':
      if (n !== 1) bad();
      return (e) => bool(!toBool(args[0]!(e)));
    case 'xor':
      if (n !== 2) bad();
      return (e) => bool(toBool(args[0]!(e)) !== toBool(args[1]!(e)));
    case '==':
    case '/=':
    case '=:=':
    case '=/=':
    case '<':
    case '>':
    case '=<':
    case '>=': {
      if (n !== 2) bad();
      const [a, b] = args as [Expr, Expr];
      switch (name) {
        case '==':
          return (e) => bool(compare(p, a(e), b(e)) === 0);
        case '/=':
          return (e) => bool(compare(p, a(e), b(e)) !== 0);
        case '=:=':
          return (e) => bool(exactEqual(p, a(e), b(e)));
        case '=/=':
          return (e) => bool(!exactEqual(p, a(e), b(e)));
        case '<':
          return (e) => bool(compare(p, a(e), b(e)) < 0);
        case '>':
          return (e) => bool(compare(p, a(e), b(e)) > 0);
        case '=<':
          return (e) => bool(compare(p, a(e), b(e)) <= 0);
        default:
          return (e) => bool(compare(p, a(e), b(e)) >= 0);
      }
    }
    case 'self':
      if (n !== 0) bad();
      return (e) => e.p.pid;
  }
  if (TYPE_TESTS.has(name) && n === 1) return bifCall(p, name, args);
  if (name === 'is_record' && n === 3) return bifCall(p, name, args);
  if (GUARD_BIFS.has(`${name}/${n}`)) return bifCall(p, name, args);
  return bad();
}

function bifCall(_p: Process, name: string, args: Expr[]): Expr {
  const entry = lookupBif('erlang', name, args.length);
  if (entry === undefined) return bad();
  const fn: BifFn = entry.fn;
  return (e) => {
    const vals = args.map((a) => a(e));
    try {
      return fn(e.p, vals);
    } catch (err) {
      if (err instanceof ErlangException) throw FAIL;
      throw err;
    }
  };
}

// ---------------------------------------------------------------- compile and run

/** Compiles a match specification (badarg when malformed). */
export function compileMatchSpec(p: Process, ms: Term): MatchSpec {
  const list = listToArray(p, ms);
  if (list === undefined) return bad();
  const clauses: Clause[] = [];
  let maxVar = 0;
  for (const c of list) {
    const parts = tupleElems(p, c);
    if (parts === undefined || parts.length !== 3) bad();
    const [headT, guardsT, bodyT] = parts as [Term, Term, Term];
    const guardsL = listToArray(p, guardsT);
    const bodyL = listToArray(p, bodyT);
    if (guardsL === undefined || bodyL === undefined || bodyL.length === 0) bad();
    const seen = new Set<number>();
    const ground = { v: true };
    const head = compilePattern(p, headT, seen, ground);
    const headVars = [...seen].sort((a, b) => a - b);
    for (const v of headVars) maxVar = Math.max(maxVar, v + 1);
    const guards = guardsL!.map((g) => compileExpr(p, g, seen, headVars));
    const body = bodyL!.map((b) => compileExpr(p, b, seen, headVars));
    const headEl = tupleElems(p, headT);
    const keyAt = (keypos: number): Term | undefined => {
      if (headEl === undefined || keypos > headEl.length) return undefined;
      const k = headEl[keypos - 1]!;
      return isGround(p, k) ? k : undefined;
    };
    clauses.push({ head, guards, body, headVars, keyAt, arity: headEl === undefined ? -1 : headEl.length });
  }
  return { clauses, maxVar };
}

/** Whether a pattern term has no variables and no '_'. */
function isGround(p: Process, t: Term): boolean {
  if (isAtom(t)) return p.atoms.name(t) !== '_' && varNumber(p, t) < 0;
  if (isImmediate(t)) return true;
  if (isList(t)) {
    const w = p.mem.i32;
    return isGround(p, w[ptrVal(t)]!) && isGround(p, w[ptrVal(t) + 1]!);
  }
  const el = tupleElems(p, t);
  if (el !== undefined) return el.every((x) => isGround(p, x));
  if (isMapTerm(p, t)) {
    let g = true;
    mapForEach(p, t, (_k, v) => {
      g &&= isGround(p, v);
    });
    return g;
  }
  return true;
}

/**
 * Runs the spec on one term: the result of the first clause whose head
 * matches and whose guards hold, or THE_NON_VALUE when none does. A failing
 * body gives 'EXIT'. The result may point into `obj`'s memory.
 */
export function runMatchSpec(p: Process, ms: MatchSpec, obj: Term, vars: Term[]): Term {
  const env: Env = { p, obj, vars };
  outer: for (const c of ms.clauses) {
    if (!c.head(obj, vars)) continue;
    try {
      for (const g of c.guards) if (g(env) !== ATOM_TRUE) continue outer;
    } catch (err) {
      if (err instanceof EvalFail) continue;
      throw err;
    }
    try {
      let r: Term = THE_NON_VALUE;
      for (const b of c.body) r = b(env);
      return r;
    } catch (err) {
      if (err instanceof EvalFail) return p.atoms.intern(EXIT_ATOM_NAME);
      throw err;
    }
  }
  return THE_NON_VALUE;
}

/** The keys every clause's head fixes at keypos, or undefined when some clause may match any key. */
export function fixedKeys(ms: MatchSpec, keypos: number): Term[] | undefined {
  const keys: Term[] = [];
  for (const c of ms.clauses) {
    if (c.arity >= 0 && c.arity < keypos) continue; // never matches an object of this table
    const k = c.keyAt(keypos);
    if (k === undefined) return undefined;
    keys.push(k);
  }
  return keys;
}
