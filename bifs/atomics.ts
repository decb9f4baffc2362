/**
 * atomics and counters: arrays of 64-bit integers in shared memory, updated
 * with JS Atomics on a BigInt64Array view, so processes on every scheduler
 * thread see one value. counters:new/2 with [atomics] is an atomics array
 * (counters.erl does that); with [write_concurrency] it goes through
 * erts_internal:counters_* — the same array here (one cell per counter: the
 * real VM spreads a counter over cache lines per scheduler, a speed choice).
 *
 *   block: [magic][id][size][signed][pad...][value 0 (2 words)][value 1]...
 *   The values start at an even word (8-byte aligned for BigInt64Array).
 *
 * The reference's id words are (block address, id, ATOMICS_REF_MAGIC): a
 * reference is checked against the block's magic and id before any use.
 * Arrays are never freed (the real VM frees one when its last reference is
 * garbage collected; beamjs does not track references yet).
 */
import { Slot } from '../scheduler/layout.js';
import { badarg } from '../vm/errors.js';
import type { Memory } from '../vm/memory.js';
import type { Process } from '../vm/process.js';
import { ATOM_OK } from '../vm/term/atoms.js';
import { mapFromArrays } from '../vm/term/maps.js';
import { intValue, mkInt } from '../vm/term/make.js';
import { SUB_REF, type Term, isBoxed, isSmall, makeBoxed, makeHeader, ptrVal, smallVal } from '../vm/term/tags.js';
import { defineBifs } from './registry.js';

const ATOMICS_REF_MAGIC = 0x41544d31;
const BLOCK_MAGIC = 0x41544d53;
const HDR = 4;
const MAX_ARITY = 2 ** 27;

/** A BigInt64Array over the whole buffer, rebuilt when it grows (per thread). */
const views = new WeakMap<Memory, { bytes: number; s: BigInt64Array; u: BigUint64Array }>();
function view(mem: Memory): { s: BigInt64Array; u: BigUint64Array } {
  mem.refresh();
  const bytes = mem.buffer.byteLength;
  let v = views.get(mem);
  if (v === undefined || v.bytes !== bytes) {
    const n = Math.floor(bytes / 8);
    v = { bytes, s: new BigInt64Array(mem.buffer, 0, n), u: new BigUint64Array(mem.buffer, 0, n) };
    views.set(mem, v);
  }
  return v;
}

function newArray(p: Process, arity: Term, signed: boolean): Term {
  if (!isSmall(arity) || smallVal(arity) < 1 || smallVal(arity) > MAX_ARITY) throw badarg();
  const n = smallVal(arity);
  const mem = p.mem;
  const raw = mem.alloc(HDR + 1 + 2 * n);
  mem.refresh();
  const base = raw; // header at raw; values from the first even word after it
  const values = (base + HDR + 1) & ~1;
  mem.i32.fill(0, base, values + 2 * n);
  const id = Atomics.add(mem.i32, Slot.AtomicsSerial, 1) + 1;
  const w = mem.i32;
  w[base] = BLOCK_MAGIC;
  w[base + 1] = id;
  w[base + 2] = n;
  w[base + 3] = signed ? 1 : 0;
  const at = p.alloc(4);
  const v = p.mem.i32;
  v[at] = makeHeader(3, SUB_REF);
  v[at + 1] = base;
  v[at + 2] = id;
  v[at + 3] = ATOMICS_REF_MAGIC;
  return makeBoxed(at);
}

interface Arr {
  base: number;
  size: number;
  signed: boolean;
  /** Index (in 8-byte units) of value 0. */
  first: number;
}

function arrayOf(p: Process, ref: Term): Arr {
  if (!isBoxed(ref)) throw badarg();
  const w = p.mem.i32;
  const at = ptrVal(ref);
  if (w[at] !== makeHeader(3, SUB_REF) || w[at + 3] !== ATOMICS_REF_MAGIC) throw badarg();
  const base = w[at + 1]!;
  if (w[base] !== BLOCK_MAGIC || w[base + 1] !== w[at + 2]) throw badarg();
  return { base, size: w[base + 2]!, signed: w[base + 3] === 1, first: ((base + HDR + 1) & ~1) / 2 };
}

function cell(_p: Process, a: Arr, ix: Term): number {
  if (!isSmall(ix) || smallVal(ix) < 1 || smallVal(ix) > a.size) throw badarg();
  return a.first + smallVal(ix) - 1;
}

const MIN64 = -(2n ** 63n);
const MAX64 = 2n ** 63n - 1n;
const MAXU64 = 2n ** 64n - 1n;

/** A value argument: in range for the array (put, exchange, compare_exchange). */
function value(p: Process, a: Arr, t: Term): bigint {
  const v = intValue(p, t);
  if (v === undefined) throw badarg();
  const b = BigInt(v);
  if (a.signed ? b < MIN64 || b > MAX64 : b < 0n || b > MAXU64) throw badarg();
  return BigInt.asIntN(64, b);
}

/** An increment: anything a signed or unsigned 64-bit word holds; the arithmetic wraps. */
function incr(p: Process, t: Term): bigint {
  const v = intValue(p, t);
  if (v === undefined) throw badarg();
  const b = BigInt(v);
  if (b < MIN64 || b > MAXU64) throw badarg();
  return BigInt.asIntN(64, b);
}

const out = (p: Process, a: Arr, raw: bigint): Term => mkInt(p, normalizeInt(a.signed ? BigInt.asIntN(64, raw) : BigInt.asUintN(64, raw)));
const normalizeInt = (b: bigint): number | bigint => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);

function info(p: Process, a: Arr, withLimits: boolean): Term {
  const keys = ['size', 'memory', ...(withLimits ? ['max', 'min'] : [])].map((k) => p.atoms.intern(k));
  const vals = [mkInt(p, a.size), mkInt(p, 8 * a.size + 40)];
  if (withLimits) vals.push(mkInt(p, normalizeInt(a.signed ? MAX64 : MAXU64)), mkInt(p, normalizeInt(a.signed ? MIN64 : 0n)));
  return mapFromArrays(p, keys, vals);
}

defineBifs('erts_internal', 'bif', {
  'atomics_new/2': (p, [arity, opts]) => newArray(p, arity!, opts === mkInt(p, 1)),
  'counters_new/1': (p, [size]) => newArray(p, size!, true),
  'counters_get/2': (p, [ref, ix]) => {
    const a = arrayOf(p, ref!);
    return out(p, a, Atomics.load(view(p.mem).s, cell(p, a, ix!)));
  },
  'counters_add/3': (p, [ref, ix, inc]) => {
    const a = arrayOf(p, ref!);
    const c = cell(p, a, ix!);
    Atomics.add(view(p.mem).s, c, incr(p, inc!));
    return ATOM_OK;
  },
  'counters_put/3': (p, [ref, ix, v]) => {
    const a = arrayOf(p, ref!);
    const c = cell(p, a, ix!);
    Atomics.store(view(p.mem).s, c, value(p, a, v!));
    return ATOM_OK;
  },
  'counters_info/1': (p, [ref]) => info(p, arrayOf(p, ref!), false),
});

defineBifs('atomics', 'nif', {
  'put/3': (p, [ref, ix, v]) => {
    const a = arrayOf(p, ref!);
    const c = cell(p, a, ix!);
    Atomics.store(view(p.mem).s, c, value(p, a, v!));
    return ATOM_OK;
  },
  'get/2': (p, [ref, ix]) => {
    const a = arrayOf(p, ref!);
    return out(p, a, Atomics.load(view(p.mem).s, cell(p, a, ix!)));
  },
  'add/3': (p, [ref, ix, inc]) => {
    const a = arrayOf(p, ref!);
    const c = cell(p, a, ix!);
    Atomics.add(view(p.mem).s, c, incr(p, inc!));
    return ATOM_OK;
  },
  'add_get/3': (p, [ref, ix, inc]) => {
    const a = arrayOf(p, ref!);
    const c = cell(p, a, ix!);
    const d = incr(p, inc!);
    return out(p, a, Atomics.add(view(p.mem).s, c, d) + d);
  },
  'exchange/3': (p, [ref, ix, v]) => {
    const a = arrayOf(p, ref!);
    const c = cell(p, a, ix!);
    return out(p, a, Atomics.exchange(view(p.mem).s, c, value(p, a, v!)));
  },
  'compare_exchange/4': (p, [ref, ix, expected, desired]) => {
    const a = arrayOf(p, ref!);
    const c = cell(p, a, ix!);
    const e = value(p, a, expected!);
    const d = value(p, a, desired!);
    const old = Atomics.compareExchange(view(p.mem).s, c, e, d);
    return old === e ? ATOM_OK : out(p, a, old);
  },
  'info/1': (p, [ref]) => info(p, arrayOf(p, ref!), true),
});
