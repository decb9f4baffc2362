/**
 * Erlang's term order on terms in shared memory: the run-time twin of
 * loader/eterm_order.ts (same rules, checked against erl by
 * test/vm/term/compare.test.ts), working on tagged words directly.
 *
 *   number < atom < reference < fun < port < pid < tuple < map < [] < list < bitstring
 *
 * compare/equal give `<` and `==` (1 == 1.0); exactEqual is `=:=` and
 * compareMapKeys the exact order small maps keep their keys in (every
 * integer before every float). Integers and floats are compared by exact
 * value, as OTP does (a bignum is never rounded to a double).
 *
 * Immediates are compared without allocation; containers are walked with an
 * explicit stack (deep terms cost memory, not JS stack). Binaries, bignums
 * against floats and maps that are not flatmaps take slower paths that may
 * allocate.
 */
import {
  R_ATOM, R_BITS, R_FUN, R_LIST, R_MAP, R_NIL, R_NUMBER, R_PID, R_PORT, R_REF, R_TUPLE,
  compareCodePoints,
  compareIntFloat,
  type Order,
} from '../../loader/eterm_order.js';
import { commonAtom } from './atoms.js';
import { binaryBytes, bignumValue, floatValue, mapEntries } from './build.js';
import type { TermContext } from './heap.js';
import {
  MAP_KIND_FLAT,
  SUB_EXPORT,
  SUB_EXTERNAL_PID,
  SUB_EXTERNAL_PORT,
  SUB_EXTERNAL_REF,
  SUB_FLOAT,
  SUB_FUN,
  SUB_MAP,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  SUB_REF,
  SUB_TUPLE,
  headerArity,
  headerSubtag,
  isAtom,
  isList,
  isLocalPid,
  isLocalPort,
  isNil,
  isSmall,
  mapHeaderKind,
  pidNumber,
  pidSerial,
  portNumber,
  ptrVal,
  smallVal,
  type Term,
} from './tags.js';

export type { Order };



// Number kinds.
const N_SMALL = 0;
const N_BIG = 1;
const N_FLOAT = 2;

const NONODE = commonAtom('nonode@nohost');
const TWO_53 = 2 ** 53;
const TWO_32 = 2 ** 32;

const sign = (d: number): Order => (d < 0 ? -1 : d > 0 ? 1 : 0);
/** The sign of a - b computed in 32-bit C ints (wrapping). */
const wrapped = (a: number, b: number): Order => sign((a - b) | 0);

function rank(w: Int32Array, t: Term): number {
  if (isSmall(t)) return R_NUMBER;
  if (isAtom(t)) return R_ATOM;
  if (isNil(t)) return R_NIL;
  if (isList(t)) return R_LIST;
  if (isLocalPid(t)) return R_PID;
  if (isLocalPort(t)) return R_PORT;
  switch (headerSubtag(w[ptrVal(t)]!)) {
    case SUB_TUPLE:
      return R_TUPLE;
    case SUB_POS_BIG:
    case SUB_NEG_BIG:
    case SUB_FLOAT:
      return R_NUMBER;
    case SUB_REF:
    case SUB_EXTERNAL_REF:
      return R_REF;
    case SUB_FUN:
    case SUB_EXPORT:
      return R_FUN;
    case SUB_EXTERNAL_PORT:
      return R_PORT;
    case SUB_EXTERNAL_PID:
      return R_PID;
    case SUB_MAP:
      return R_MAP;
    default:
      return R_BITS;
  }
}

/** Code point order of two atoms' names. */
function compareAtoms(ctx: TermContext, a: Term, b: Term): Order {
  if (a === b) return 0;
  return compareCodePoints(ctx.atoms.name(a), ctx.atoms.name(b));
}

function compareNodes(ctx: TermContext, an: Term, ac: number, bn: Term, bc: number): Order {
  return compareAtoms(ctx, an, bn) || sign((ac >>> 0) - (bc >>> 0));
}

function numberKind(w: Int32Array, t: Term): number {
  if (isSmall(t)) return N_SMALL;
  return headerSubtag(w[ptrVal(t)]!) === SUB_FLOAT ? N_FLOAT : N_BIG;
}

/** The value of a bignum as a double when that is exact (magnitude below 2^53), else NaN. */
function smallBigValue(w: Int32Array, t: Term): number {
  const p = ptrVal(t);
  const hdr = w[p]!;
  const n = headerArity(hdr);
  if (n > 2) return NaN;
  const m = n === 1 ? w[p + 1]! >>> 0 : (w[p + 2]! >>> 0) * TWO_32 + (w[p + 1]! >>> 0);
  if (m >= TWO_53) return NaN;
  return headerSubtag(hdr) === SUB_NEG_BIG ? -m : m;
}

function compareBigs(w: Int32Array, a: Term, b: Term): Order {
  const pa = ptrVal(a);
  const pb = ptrVal(b);
  const ha = w[pa]!;
  const hb = w[pb]!;
  const na = headerSubtag(ha) === SUB_NEG_BIG;
  const nb = headerSubtag(hb) === SUB_NEG_BIG;
  if (na !== nb) return na ? -1 : 1;
  const la = headerArity(ha);
  const lb = headerArity(hb);
  let r: Order = 0;
  if (la !== lb) r = la < lb ? -1 : 1;
  else {
    for (let i = la; i >= 1; i--) {
      const x = w[pa + i]! >>> 0;
      const y = w[pb + i]! >>> 0;
      if (x !== y) {
        r = x < y ? -1 : 1;
        break;
      }
    }
  }
  return na ? (-r as Order) : r;
}

/** An integer (small or bignum) against a float, by exact value. */
function compareIntFloat_(ctx: TermContext, i: Term, ik: number, f: number): Order {
  const w = ctx.mem.i32;
  const v = ik === N_SMALL ? smallVal(i) : smallBigValue(w, i);
  if (!Number.isNaN(v)) return v < f ? -1 : v > f ? 1 : 0;
  return compareIntFloat(bignumValue(ctx, i), f);
}

function compareNumbers(ctx: TermContext, a: Term, b: Term, exact: boolean): Order {
  const w = ctx.mem.i32;
  const ka = numberKind(w, a);
  const kb = numberKind(w, b);
  if (ka === N_SMALL && kb === N_SMALL) return sign(smallVal(a) - smallVal(b));
  if (ka === N_FLOAT && kb === N_FLOAT) {
    const x = floatValue(ctx, a);
    const y = floatValue(ctx, b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ka !== N_FLOAT && kb !== N_FLOAT) {
    // At least one bignum; a bignum never holds a value a small could.
    if (ka === N_SMALL) return headerSubtag(w[ptrVal(b)]!) === SUB_NEG_BIG ? 1 : -1;
    if (kb === N_SMALL) return headerSubtag(w[ptrVal(a)]!) === SUB_NEG_BIG ? -1 : 1;
    return compareBigs(w, a, b);
  }
  // An integer and a float.
  if (exact) return ka === N_FLOAT ? 1 : -1;
  if (kb === N_FLOAT) return compareIntFloat_(ctx, a, ka, floatValue(ctx, b));
  return -compareIntFloat_(ctx, b, kb, floatValue(ctx, a)) as Order;
}

/** Ref id words, most significant first; a longer ref is greater if its extra words are not 0. */
function compareRefWords(w: Int32Array, a: number, al: number, b: number, bl: number): Order {
  while (al > bl) if (w[a + --al] !== 0) return 1;
  while (bl > al) if (w[b + --bl] !== 0) return -1;
  for (let i = al - 1; i >= 0; i--) {
    const x = w[a + i]! >>> 0;
    const y = w[b + i]! >>> 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function compareRefs(ctx: TermContext, a: Term, b: Term): Order {
  const w = ctx.mem.i32;
  const pa = ptrVal(a);
  const pb = ptrVal(b);
  const la = headerSubtag(w[pa]!) === SUB_REF;
  const lb = headerSubtag(w[pb]!) === SUB_REF;
  const r = compareNodes(ctx, la ? NONODE : w[pa + 1]!, la ? 0 : w[pa + 2]!, lb ? NONODE : w[pb + 1]!, lb ? 0 : w[pb + 2]!);
  if (r !== 0) return r;
  const na = headerArity(w[pa]!);
  const nb = headerArity(w[pb]!);
  return compareRefWords(w, la ? pa + 1 : pa + 3, la ? na : na - 2, lb ? pb + 1 : pb + 3, lb ? nb : nb - 2);
}

function comparePorts(ctx: TermContext, a: Term, b: Term): Order {
  const w = ctx.mem.i32;
  let an = NONODE, ac = 0, ahi = 0, alo: number;
  let bn = NONODE, bc = 0, bhi = 0, blo: number;
  if (isLocalPort(a)) alo = portNumber(a);
  else {
    const p = ptrVal(a);
    an = w[p + 1]!;
    ac = w[p + 2]!;
    alo = w[p + 3]! >>> 0;
    ahi = w[p + 4]! >>> 0;
  }
  if (isLocalPort(b)) blo = portNumber(b);
  else {
    const p = ptrVal(b);
    bn = w[p + 1]!;
    bc = w[p + 2]!;
    blo = w[p + 3]! >>> 0;
    bhi = w[p + 4]! >>> 0;
  }
  return compareNodes(ctx, an, ac, bn, bc) || sign(ahi - bhi) || sign(alo - blo);
}

function comparePids(ctx: TermContext, a: Term, b: Term): Order {
  const w = ctx.mem.i32;
  let an = NONODE, ac = 0, anum: number, aser: number;
  let bn = NONODE, bc = 0, bnum: number, bser: number;
  if (isLocalPid(a)) {
    anum = pidNumber(a);
    aser = pidSerial(a);
  } else {
    const p = ptrVal(a);
    an = w[p + 1]!;
    ac = w[p + 2]!;
    anum = w[p + 3]! >>> 0;
    aser = w[p + 4]! >>> 0;
  }
  if (isLocalPid(b)) {
    bnum = pidNumber(b);
    bser = pidSerial(b);
  } else {
    const p = ptrVal(b);
    bn = w[p + 1]!;
    bc = w[p + 2]!;
    bnum = w[p + 3]! >>> 0;
    bser = w[p + 4]! >>> 0;
  }
  return sign(aser - bser) || sign(anum - bnum) || compareNodes(ctx, an, ac, bn, bc);
}

function compareBits(ctx: TermContext, a: Term, b: Term): Order {
  const x = binaryBytes(ctx, a);
  const y = binaryBytes(ctx, b);
  const n = Math.min(x.bitLength, y.bitLength);
  const full = n >>> 3;
  const xb = x.bytes;
  const yb = y.bytes;
  for (let i = 0; i < full; i++) if (xb[i] !== yb[i]) return xb[i]! < yb[i]! ? -1 : 1;
  const rest = n & 7;
  if (rest > 0) {
    const d = (xb[full]! >>> (8 - rest)) - (yb[full]! >>> (8 - rest));
    if (d !== 0) return sign(d);
  }
  return sign(x.bitLength - y.bitLength);
}

/** A map's keys and values in map-key order, as consecutive [k, v] words (flatmaps need no copy). */
function sortedEntries(ctx: TermContext, m: Term): Array<[Term, Term]> {
  const entries = mapEntries(ctx, m);
  if (mapHeaderKind(ctx.mem.i32[ptrVal(m)]!) !== MAP_KIND_FLAT) entries.sort((x, y) => compareMapKeys(ctx, x[0], y[0]));
  return entries;
}

// Stacks of (a, b, exact) triples, one per level of re-entry (sorting a hashmap's keys compares).
const stacks: number[][] = [];
let depth = 0;

function slowCompare(ctx: TermContext, a0: Term, b0: Term, exact0: boolean): Order {
  const s = (stacks[depth] ??= []);
  depth++;
  const base = s.length;
  try {
    let a = a0;
    let b = b0;
    let exact = exact0;
    for (;;) {
      const r = step(ctx, a, b, exact, s);
      if (r !== 0) return r;
      if (s.length === base) return 0;
      exact = s.pop() === 1;
      b = s.pop()!;
      a = s.pop()!;
    }
  } finally {
    s.length = base;
    depth--;
  }
}

/** Compares a and b at the top level; what is left to compare goes onto s (popped in order). */
function step(ctx: TermContext, a: Term, b: Term, exact: boolean, s: number[]): Order {
  if (a === b) return 0;
  const w = ctx.mem.i32;
  const ra = rank(w, a);
  const rb = rank(w, b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  const ex = exact ? 1 : 0;
  switch (ra) {
    case R_NUMBER:
      return compareNumbers(ctx, a, b, exact);
    case R_ATOM:
      return compareAtoms(ctx, a, b);
    case R_NIL:
      return 0;
    case R_BITS:
      return compareBits(ctx, a, b);
    case R_REF:
      return compareRefs(ctx, a, b);
    case R_PORT:
      return comparePorts(ctx, a, b);
    case R_PID:
      return comparePids(ctx, a, b);
    case R_LIST: {
      // Heads now (through the stack), tails after.
      const pa = ptrVal(a);
      const pb = ptrVal(b);
      s.push(w[pa + 1]!, w[pb + 1]!, ex, w[pa]!, w[pb]!, ex);
      return 0;
    }
    case R_TUPLE: {
      const pa = ptrVal(a);
      const pb = ptrVal(b);
      const n = headerArity(w[pa]!);
      const m = headerArity(w[pb]!);
      if (n !== m) return n < m ? -1 : 1;
      for (let i = n; i >= 1; i--) s.push(w[pa + i]!, w[pb + i]!, ex);
      return 0;
    }
    case R_FUN: {
      const pa = ptrVal(a);
      const pb = ptrVal(b);
      const ea = headerSubtag(w[pa]!) === SUB_EXPORT;
      const eb = headerSubtag(w[pb]!) === SUB_EXPORT;
      if (ea !== eb) return ea ? 1 : -1;
      if (ea) {
        return (
          compareAtoms(ctx, w[pa + 1]!, w[pb + 1]!) ||
          compareAtoms(ctx, w[pa + 2]!, w[pb + 2]!) ||
          sign(smallVal(w[pa + 3]!) - smallVal(w[pb + 3]!))
        );
      }
      // OTP 25: module, then the wrapped differences of Index and OldUniq, then the free variables.
      const na = w[pa + 11]!;
      const nb = w[pb + 11]!;
      const r =
        compareAtoms(ctx, w[pa + 1]!, w[pb + 1]!) || wrapped(w[pa + 2]!, w[pb + 2]!) || wrapped(w[pa + 4]!, w[pb + 4]!) || sign(na - nb);
      if (r !== 0) return r;
      for (let i = na - 1; i >= 0; i--) s.push(w[pa + 12 + i]!, w[pb + 12 + i]!, ex);
      return 0;
    }
    default: {
      // Maps: size, then every key exactly in key order, then the values in key order.
      const pa = ptrVal(a);
      const pb = ptrVal(b);
      const n = w[pa + 1]!;
      const m = w[pb + 1]!;
      if (n !== m) return n < m ? -1 : 1;
      if (n === 0) return 0;
      if (mapHeaderKind(w[pa]!) === MAP_KIND_FLAT && mapHeaderKind(w[pb]!) === MAP_KIND_FLAT) {
        const ka = ptrVal(w[pa + 2]!) + 1;
        const kb = ptrVal(w[pb + 2]!) + 1;
        for (let i = n - 1; i >= 0; i--) s.push(w[pa + 3 + i]!, w[pb + 3 + i]!, ex);
        for (let i = n - 1; i >= 0; i--) s.push(w[ka + i]!, w[kb + i]!, 1);
        return 0;
      }
      const xa = sortedEntries(ctx, a);
      const xb = sortedEntries(ctx, b);
      for (let i = n - 1; i >= 0; i--) s.push(xa[i]![1], xb[i]![1], ex);
      for (let i = n - 1; i >= 0; i--) s.push(xa[i]![0], xb[i]![0], 1);
      return 0;
    }
  }
}

function cmp(ctx: TermContext, a: Term, b: Term, exact: boolean): Order {
  if (a === b) return 0;
  if (isSmall(a) && isSmall(b)) return smallVal(a) < smallVal(b) ? -1 : 1;
  if (isAtom(a) && isAtom(b)) return compareCodePoints(ctx.atoms.name(a), ctx.atoms.name(b));
  return slowCompare(ctx, a, b, exact);
}

/** Erlang's standard term order (`<`, `==`, lists:sort/1): 1 and 1.0 compare equal. */
export function compare(ctx: TermContext, a: Term, b: Term): Order {
  return cmp(ctx, a, b, false);
}

/** `==`: equal in the standard order (1 == 1.0). */
export function equal(ctx: TermContext, a: Term, b: Term): boolean {
  return cmp(ctx, a, b, false) === 0;
}

/** `=:=`: exactly equal (1 =/= 1.0). */
export function exactEqual(ctx: TermContext, a: Term, b: Term): boolean {
  return cmp(ctx, a, b, true) === 0;
}

/** The exact order small maps keep their keys in: integers before floats (loader/eterm_order.compareMapKeys). */
export function compareMapKeys(ctx: TermContext, a: Term, b: Term): Order {
  return cmp(ctx, a, b, true);
}
