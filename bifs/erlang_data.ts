/**
 * `erlang` BIFs on tuples and lists, the type tests, and max/min. Results
 * and exceptions are OTP 25's (checked against erl in
 * test/bifs/erlang_data.test.ts). map_size/is_map_key/map_get live with
 * the maps BIFs.
 *
 * erlang:'--'/2 keeps the real semantics (each element of the right list
 * removes the first equal (=:=) element of the left list that it has not
 * already removed) but runs in linear time on long lists: the right list
 * becomes a multiset keyed by a bounded structural hash, and the left list
 * is walked once, dropping an element while its multiset count is positive.
 */
import { defineBifs } from './registry.js';
import { bool, intArg, listArg } from './erlang_util.js';
import type { Process } from '../vm/process.js';
import { badarg } from '../vm/errors.js';
import { ATOM_FALSE, ATOM_TRUE } from '../vm/term/atoms.js';
import { binaryBytes, floatValue } from '../vm/term/build.js';
import { compare, exactEqual } from '../vm/term/compare.js';
import {
  bitSize,
  isBignum,
  isBinary,
  isBitstring,
  isFloat,
  isFun,
  isNumber,
  isTuple,
  listLength,
  mkInt,
  mkList,
  mkTuple,
  tupleArity,
  tupleElements,
} from '../vm/term/make.js';
import {
  MAX_ARITY,
  NIL,
  SUB_EXPORT,
  SUB_EXTERNAL_PID,
  SUB_EXTERNAL_PORT,
  SUB_EXTERNAL_REF,
  SUB_FUN,
  SUB_REF,
  SUB_TUPLE,
  type Term,
  headerArity,
  headerSubtag,
  isAtom,
  isBoxed,
  isList,
  isLocalPid,
  isLocalPort,
  isSmall,
  makeSmall,
  ptrVal,
  smallVal,
} from '../vm/term/tags.js';

// ---------------------------------------------------------------- tuples

/** A tuple argument's word index and arity, or badarg. */
function tupleArg(p: Process, t: Term): [number, number] {
  if (!isBoxed(t)) throw badarg();
  const at = ptrVal(t);
  const hdr = p.mem.i32[at]!;
  if (headerSubtag(hdr) !== SUB_TUPLE) throw badarg();
  return [at, headerArity(hdr)];
}

/** A 1-based index argument within 1..max, or badarg. */
function indexArg(t: Term, max: number): number {
  if (!isSmall(t)) throw badarg();
  const i = smallVal(t);
  if (i < 1 || i > max) throw badarg();
  return i;
}

function element(p: Process, n: Term, t: Term): Term {
  const [at, arity] = tupleArg(p, t);
  return p.mem.i32[at + indexArg(n, arity)]!;
}

function setelement(p: Process, n: Term, t: Term, v: Term): Term {
  const [, arity] = tupleArg(p, t);
  const i = indexArg(n, arity);
  const el = tupleElements(p, t);
  el[i - 1] = v;
  return mkTuple(p, el);
}

function makeTuple(p: Process, n: Term, init: Term, initList?: Term): Term {
  if (!isSmall(n)) throw badarg();
  const size = smallVal(n);
  if (size < 0 || size > MAX_ARITY) throw badarg();
  // Read the init list completely before building anything.
  const sets: Array<[number, Term]> = [];
  if (initList !== undefined) {
    for (const x of listArg(p, initList)) {
      if (!isTuple(p, x) || tupleArity(p, x) !== 2) throw badarg();
      const [pos, v] = tupleElements(p, x);
      sets.push([indexArg(pos!, size), v!]);
    }
  }
  const el: Term[] = new Array(size).fill(init);
  for (const [pos, v] of sets) el[pos - 1] = v;
  return mkTuple(p, el);
}

// ---------------------------------------------------------------- lists

function append(p: Process, a: Term, b: Term): Term {
  if (a === NIL) return b;
  return mkList(p, listArg(p, a), b);
}

/** The naive '--' is quadratic; beyond this many comparisons the multiset is used. */
const NAIVE_SUBTRACT_LIMIT = 256;

function subtract(p: Process, a: Term, b: Term): Term {
  const left = listArg(p, a);
  const right = listArg(p, b);
  if (right.length === 0 || left.length === 0) return a;
  const out: Term[] = [];
  if (left.length * right.length <= NAIVE_SUBTRACT_LIMIT) {
    const rest = right.slice();
    for (const x of left) {
      const i = rest.findIndex((y) => exactEqual(p, x, y));
      if (i >= 0) rest.splice(i, 1);
      else out.push(x);
    }
  } else {
    const bag = new Map<number, Array<{ term: Term; count: number }>>();
    for (const y of right) {
      const k = shallowHash(p, y);
      let bucket = bag.get(k);
      if (bucket === undefined) bag.set(k, (bucket = []));
      const e = bucket.find((e) => exactEqual(p, e.term, y));
      if (e !== undefined) e.count++;
      else bucket.push({ term: y, count: 1 });
    }
    for (const x of left) {
      const bucket = bag.get(shallowHash(p, x));
      const e = bucket?.find((e) => e.count > 0 && exactEqual(p, e.term, x));
      if (e !== undefined) e.count--;
      else out.push(x);
    }
  }
  return mkList(p, out);
}

const hf64 = new Float64Array(1);
const hi32 = new Int32Array(hf64.buffer);
const mix = (h: number, x: number): number => Math.imul(h ^ x, 0x01000193);

/**
 * A hash of a term's outer structure, equal for terms that are =:= (so 0.0
 * and -0.0 agree, as =:= says on OTP 25), looking at a bounded part of it:
 * a few levels and elements, the first bytes of a binary. Cheap, not strong:
 * collisions are settled by exactEqual.
 */
function shallowHash(p: Process, t: Term, depth = 3): number {
  if (!isBoxed(t) && !isList(t)) return t | 0;
  if (depth === 0) return 7;
  const w = p.mem.i32;
  if (isList(t)) {
    let h = 0x811c9dc5;
    for (let i = 0; i < 4 && isList(t); i++) {
      const c = ptrVal(t);
      h = mix(h, shallowHash(p, w[c]!, depth - 1));
      t = w[c + 1]!;
    }
    return h;
  }
  const at = ptrVal(t);
  const hdr = w[at]!;
  const sub = headerSubtag(hdr);
  if (sub === SUB_TUPLE) {
    const n = headerArity(hdr);
    let h = mix(0x1234567, n);
    for (let i = 1; i <= n && i <= 3; i++) h = mix(h, shallowHash(p, w[at + i]!, depth - 1));
    return h;
  }
  if (isFloat(p, t)) {
    hf64[0] = floatValue(p, t) + 0; // -0.0 + 0 is 0.0
    return mix(hi32[0]!, hi32[1]!);
  }
  if (isBitstring(p, t)) {
    const { bytes, bitLength } = binaryBytes(p, t);
    let h = mix(0x5bd1e995, bitLength);
    for (let i = 0; i < 8 && i < bytes.length; i++) h = mix(h, bytes[i]!);
    return h;
  }
  if (isBignum(p, t)) return mix(hdr, w[at + 1]!);
  return sub;
}

// ---------------------------------------------------------------- type tests

function isPid(p: Process, t: Term): boolean {
  return isLocalPid(t) || (isBoxed(t) && headerSubtag(p.mem.i32[ptrVal(t)]!) === SUB_EXTERNAL_PID);
}

function isPort(p: Process, t: Term): boolean {
  return isLocalPort(t) || (isBoxed(t) && headerSubtag(p.mem.i32[ptrVal(t)]!) === SUB_EXTERNAL_PORT);
}

function isReference(p: Process, t: Term): boolean {
  if (!isBoxed(t)) return false;
  const s = headerSubtag(p.mem.i32[ptrVal(t)]!);
  return s === SUB_REF || s === SUB_EXTERNAL_REF;
}

/** The arity of a fun term (local or export). */
function funArity(p: Process, f: Term): number {
  const w = p.mem.i32;
  const at = ptrVal(f);
  const sub = headerSubtag(w[at]!);
  if (sub === SUB_EXPORT) return smallVal(w[at + 3]!);
  if (sub === SUB_FUN) return w[at + 5]!;
  return -1;
}

function isFunction2(p: Process, f: Term, a: Term): Term {
  // The arity is checked first and whatever the first argument is.
  let arity: number;
  if (isSmall(a)) {
    arity = smallVal(a);
    if (arity < 0) throw badarg();
  } else if (isBignum(p, a)) {
    if (intArg(p, a) < 0) throw badarg();
    return ATOM_FALSE; // no fun has that many arguments
  } else {
    throw badarg();
  }
  return bool(isFun(p, f) && funArity(p, f) === arity);
}

function isRecord(p: Process, t: Term, tag: Term, size?: Term): Term {
  if (!isAtom(tag)) throw badarg();
  let n = -1;
  if (size !== undefined) {
    if (!isSmall(size)) throw badarg();
    n = smallVal(size);
  }
  if (!isTuple(p, t)) return ATOM_FALSE;
  const arity = tupleArity(p, t);
  if (arity < 1 || p.mem.i32[ptrVal(t) + 1] !== tag) return ATOM_FALSE;
  return bool(size === undefined || arity === n);
}

// ---------------------------------------------------------------- registration

defineBifs('erlang', 'guard', {
  'element/2': (p, [n, t]) => element(p, n!, t!),
  'tuple_size/1': (p, [t]) => makeSmall(tupleArg(p, t!)[1]),
  'hd/1': (p, [l]) => {
    if (!isList(l!)) throw badarg();
    return p.mem.i32[ptrVal(l!)]!;
  },
  'tl/1': (p, [l]) => {
    if (!isList(l!)) throw badarg();
    return p.mem.i32[ptrVal(l!) + 1]!;
  },
  'is_atom/1': (_p, [t]) => bool(isAtom(t!)),
  'is_binary/1': (p, [t]) => bool(isBinary(p, t!)),
  'is_bitstring/1': (p, [t]) => bool(isBitstring(p, t!)),
  'is_boolean/1': (_p, [t]) => bool(t === ATOM_TRUE || t === ATOM_FALSE),
  'is_float/1': (p, [t]) => bool(isFloat(p, t!)),
  'is_function/1': (p, [t]) => bool(isFun(p, t!)),
  'is_function/2': (p, [f, a]) => isFunction2(p, f!, a!),
  'is_integer/1': (p, [t]) => bool(isSmall(t!) || isBignum(p, t!)),
  'is_list/1': (_p, [t]) => bool(isList(t!) || t === NIL),
  // is_map/1 is registered with the maps BIFs (bifs/maps.ts).
  'is_number/1': (p, [t]) => bool(isNumber(p, t!)),
  'is_pid/1': (p, [t]) => bool(isPid(p, t!)),
  'is_port/1': (p, [t]) => bool(isPort(p, t!)),
  'is_reference/1': (p, [t]) => bool(isReference(p, t!)),
  'is_tuple/1': (p, [t]) => bool(isTuple(p, t!)),
  'is_record/2': (p, [t, tag]) => isRecord(p, t!, tag!),
  'is_record/3': (p, [t, tag, size]) => isRecord(p, t!, tag!, size!),
});

// The compiler calls these through gc_bif (they may build a bignum).
defineBifs('erlang', 'gc', {
  'length/1': (p, [l]) => {
    const n = listLength(p, l!);
    if (n < 0) throw badarg();
    return mkInt(p, n);
  },
  'size/1': (p, [t]) => {
    if (isTuple(p, t!)) return makeSmall(tupleArity(p, t!));
    if (isBitstring(p, t!)) return mkInt(p, bitSize(p, t!) >>> 3);
    throw badarg();
  },
  'byte_size/1': (p, [t]) => {
    if (!isBitstring(p, t!)) throw badarg();
    return mkInt(p, (bitSize(p, t!) + 7) >>> 3);
  },
  'bit_size/1': (p, [t]) => {
    if (!isBitstring(p, t!)) throw badarg();
    return mkInt(p, bitSize(p, t!));
  },
});

defineBifs('erlang', 'bif', {
  'setelement/3': (p, [n, t, v]) => setelement(p, n!, t!, v!),
  'make_tuple/2': (p, [n, v]) => makeTuple(p, n!, v!),
  'make_tuple/3': (p, [n, v, l]) => makeTuple(p, n!, v!, l!),
  'append_element/2': (p, [t, e]) => {
    tupleArg(p, t!);
    return mkTuple(p, [...tupleElements(p, t!), e!]);
  },
  'delete_element/2': (p, [n, t]) => {
    const [, arity] = tupleArg(p, t!);
    const i = indexArg(n!, arity);
    const el = tupleElements(p, t!);
    el.splice(i - 1, 1);
    return mkTuple(p, el);
  },
  'insert_element/3': (p, [n, t, e]) => {
    const [, arity] = tupleArg(p, t!);
    const i = indexArg(n!, arity + 1);
    const el = tupleElements(p, t!);
    el.splice(i - 1, 0, e!);
    return mkTuple(p, el);
  },
  '++/2': (p, [a, b]) => append(p, a!, b!),
  '--/2': (p, [a, b]) => subtract(p, a!, b!),
  'append/2': (p, [a, b]) => append(p, a!, b!),
  'subtract/2': (p, [a, b]) => subtract(p, a!, b!),
  'max/2': (p, [a, b]) => (compare(p, a!, b!) < 0 ? b! : a!),
  'min/2': (p, [a, b]) => (compare(p, a!, b!) > 0 ? b! : a!),
});
