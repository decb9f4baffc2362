/**
 * Terms in shared memory: building them from the loader's JS model (ETerm)
 * and reading them back. The layouts below are the VM's ABI: the interpreter,
 * the BIFs and the GC read and write these words. They follow the 32-bit
 * BEAM where that makes sense (tags in vm/term/tags.ts); "raw" words are
 * plain 32-bit numbers, "term" words are tagged terms the GC must visit.
 *
 *   small integer   immediate (28 bits)
 *   bignum          [hdr POS_BIG|NEG_BIG, arity n][d0]..[d(n-1)]
 *                   raw 32-bit digits of the magnitude, least significant first, no leading zero digit
 *   float           [FLOAT_HEADER][lo][hi]
 *                   the IEEE-754 double's bits, low 32 bits first (the host's order: beamjs runs on
 *                   little-endian hosts only, checked below)
 *   tuple           [hdr TUPLE, arity n][e1]..[en]                         (terms)
 *   cons            [head][tail]  addressed by a list pointer              (terms)
 *   heap binary     [hdr HEAP_BINARY, arity 1+ceil(n/4)][n][bytes, padded with zeros to a word]
 *                   for binaries of at most HEAP_BINARY_LIMIT (64) bytes
 *   ProcBin         [hdr REFC_BINARY, arity 4][n][block][next][flags]      (all raw)
 *                   block: word index of an off-heap block from ctx.mem.alloc:
 *                   [refcount (Atomics)][n][bytes...]; next: the process's off-heap list (0 = end);
 *                   flags: 0 for now
 *   sub-binary      [hdr SUB_BINARY, arity 5][byte size][bit size 0..7][byte offset][bit offset 0..7][orig]
 *                   the bitstring of byte size * 8 + bit size bits starting at bit
 *                   (byte offset * 8 + bit offset) of orig, a boxed pointer to a heap binary or a
 *                   ProcBin (never to another sub-binary). Every bitstring whose length is not a
 *                   whole number of bytes is one of these.
 *   flatmap         [tuple hdr n][k1]..[kn] [FLATMAP_HEADER][n][keys][v1]..[vn]
 *   (<= 32 keys)    keys: boxed pointer to the keys tuple (placed just before the map here, but any
 *                   tuple may be shared); keys sorted in map-key order (eterm_order.compareMapKeys)
 *   hashmap         head [hdr HEAD_ARRAY|HEAD_BITMAP, bitmap][size][child]..
 *   (> 32 keys)     node [hdr HAMT_NODE, bitmap][child]..
 *                   a HAMT on OTP's internal hash (loader/eterm_hash.ts, env vmHashEnv), 4 bits per
 *                   level from the low bits, the hash taken again with a new salt every 8 levels.
 *                   Children in ascending nibble order; a child is a list pointer to a [Key|Value]
 *                   cons (a leaf) or a boxed pointer to a node. Same shape as OTP's, so
 *                   erlang:display/1 shows the same structure. Iteration order (mapEntries) is
 *                   this walk, depth first; maps:to_list order (mapToListEntries) its reverse.
 *   local pid       immediate (nonode@nohost, creation 0, number < 2^15, serial < 2^13)
 *   local port      immediate (nonode@nohost, creation 0, number < 2^28)
 *   local ref       [hdr REF, arity n][id0]..[id(n-1)]   raw id words, least significant first;
 *                   n = 3 (fewer are padded with zeros, as OTP does), 4 or 5 kept as given
 *   external pid    [hdr EXTERNAL_PID, 4][node atom][creation][number][serial]
 *   external port   [hdr EXTERNAL_PORT, 4][node atom][creation][id low][id high]
 *   external ref    [hdr EXTERNAL_REF, 2+n][node atom][creation][id0]..[id(n-1)]
 *                   (everything after the node atom raw)
 *   export fun      [hdr EXPORT, 3][module atom][function atom][arity as a small]
 *                   Provisional: when the export table arrives with the interpreter this becomes
 *                   [hdr EXPORT, 1][export entry index].
 *   local fun       [hdr FUN, 11+k][module atom][index][old index][old uniq][arity]
 *                   [uniq0][uniq1][uniq2][uniq3][creator pid][k][free1]..[freek]
 *                   index..uniq3 and k raw (old index, old uniq, arity signed; arity -1 and uniq
 *                   zero for a pre-R8 FUN_EXT fun); uniq is the 16 MD5 bytes in byte order;
 *                   creator and the free variables are terms.
 *
 * Building is all or nothing: a plan pass interns the atoms, orders the maps
 * and counts the words; then the heap is checked (HeapFullError leaves it as
 * it was; only the atoms stay created), the off-heap blocks are taken, and
 * the words are written with no further allocation. Every walk keeps its own stack, so depth (100000 nested
 * tuples) and length (lists of ten million elements) are limited by memory only.
 */
import { Atom, Bitstring, EMap, ExportFun, ImproperList, LocalFun, Pid, Port, Ref, Tuple, type ETerm } from '../../loader/eterm.js';
import { FLATMAP_LIMIT, mapHash, type HashEnv } from '../../loader/eterm_hash.js';
import { compareMapKeys, mapKeyOrder } from '../../loader/eterm_order.js';
import { HeapFullError, type Heap, type TermContext } from './heap.js';
import {
  FLATMAP_HEADER,
  FLOAT_HEADER,
  HEAP_BINARY_LIMIT,
  MAP_KIND_FLAT,
  MAP_KIND_HAMT_NODE,
  MAX_SMALL,
  MIN_SMALL,
  NIL,
  SUB_EXPORT,
  SUB_EXTERNAL_PID,
  SUB_EXTERNAL_PORT,
  SUB_EXTERNAL_REF,
  SUB_FLOAT,
  SUB_FUN,
  SUB_HEAP_BINARY,
  SUB_MAP,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  SUB_REF,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  SUB_TUPLE,
  atomVal,
  headerArity,
  headerSubtag,
  isAtom,
  isBoxed,
  isList,
  isLocalPid,
  isLocalPort,
  isNil,
  isSmall,
  makeBoxed,
  makeHamtHeadHeader,
  makeHamtNodeHeader,
  makeHeader,
  makeList,
  makeLocalPid,
  makeLocalPort,
  makeSmall,
  mapHeaderKind,
  mapHeaderVal,
  pidNumber,
  pidSerial,
  portNumber,
  ptrVal,
  smallVal,
  type Term,
} from './tags.js';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('beamjs needs a little-endian host (term words are stored in host order)');
}

const NONODE = Atom.of('nonode@nohost');
const SMALL_MIN_BIG = BigInt(MIN_SMALL);
const SMALL_MAX_BIG = BigInt(MAX_SMALL);
const TWO_32 = 1n << 32n;
const TWO_64 = 1n << 64n;
const PORT_LOCAL_LIMIT = 1n << 28n;

/** Words of a local fun before its free variables. */
export const FUN_FIXED_WORDS = 12;
/** Words of a ProcBin, an external pid/port, a sub-binary, an export fun. */
const PROCBIN_WORDS = 5;
const EXTERNAL_WORDS = 5;
const SUB_BINARY_WORDS = 6;
const EXPORT_WORDS = 4;
/** OTP pads the refs of its own node to three id words. */
const LOCAL_REF_MIN_IDS = 3;
/** A HAMT deeper than this (65 salts of 8 levels) means keys that never separate: duplicates. */
const MAX_HAMT_LEVELS = 8 * 65;

// Scratch for moving doubles in and out of words.
const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);

const isLocalNode = (node: Atom, creation: number): boolean => node === NONODE && creation === 0;
const pidIsLocal = (p: Pid): boolean => isLocalNode(p.node, p.creation) && p.id < 1 << 15 && p.serial < 1 << 13;
const portIsLocal = (p: Port): boolean => isLocalNode(p.node, p.creation) && p.id < PORT_LOCAL_LIMIT;

/**
 * What OTP's internal hash needs to know about this VM (see loader/eterm_hash.ts):
 * an atom hashes by its index in our atom table, like OTP's atom word.
 * Provisional, until the export and node tables exist: an export fun hashes as
 * if its entry's address were (module index << 34 | function index << 8 | arity),
 * another node's entry as (node atom index << 32 | creation). A hash computed on
 * terms in memory must use the same definitions, or map lookups will miss.
 */
export function vmHashEnv(ctx: TermContext, atomTerm: (a: Atom) => Term = (a) => ctx.atoms.intern(a.name)): HashEnv {
  return {
    atomIndex: (a) => atomVal(atomTerm(a)),
    exportAddress: (f) =>
      (BigInt(atomVal(atomTerm(f.module))) << 34n) | (BigInt(atomVal(atomTerm(f.name))) << 8n) | BigInt(f.arity & 0xff),
    nodeAddress: (node, creation) => (BigInt(atomVal(atomTerm(node))) << 32n) | BigInt(creation >>> 0),
  };
}

// ---------------------------------------------------------------- sizes

function bigWords(v: bigint): number {
  if (v >= SMALL_MIN_BIG && v <= SMALL_MAX_BIG) return 0;
  const m = v < 0n ? -v : v;
  if (m < TWO_32) return 2;
  if (m < TWO_64) return 3;
  return 1 + Math.ceil(m.toString(16).length / 8);
}

const binaryWords = (bytes: number): number => (bytes <= HEAP_BINARY_LIMIT ? 2 + ((bytes + 3) >>> 2) : PROCBIN_WORDS);
const byteLength = (b: Bitstring): number => (b.bitLength + 7) >>> 3;

/** A HAMT node as planned: children are key indices (leaves) or nodes, in ascending nibble order. */
interface HamtNode {
  bitmap: number;
  children: Array<number | HamtNode>;
}

/** Everything the write pass needs, found by the plan pass. */
class Plan {
  words = 0;
  readonly atoms = new Map<Atom, Term>();
  /** Flatmaps: key indices in map-key order; hashmaps: the HAMT. */
  readonly maps = new Map<EMap, number[] | HamtNode>();
  /** Binaries that live off-heap, with the number of ProcBins that will point at each. */
  readonly refc = new Map<Bitstring, number>();
  private readonly env: HashEnv;

  constructor(readonly ctx: TermContext | undefined) {
    this.env = ctx === undefined ? {} : vmHashEnv(ctx, (a) => this.atom(a));
  }

  atom(a: Atom): Term {
    let t = this.atoms.get(a);
    if (t === undefined) {
      if (this.ctx === undefined) return 0;
      t = this.ctx.atoms.intern(a.name);
      this.atoms.set(a, t);
    }
    return t;
  }

  binary(b: Bitstring): void {
    const n = byteLength(b);
    this.words += binaryWords(n) + (b.bitLength & 7 ? SUB_BINARY_WORDS : 0);
    if (n > HEAP_BINARY_LIMIT) this.refc.set(b, (this.refc.get(b) ?? 0) + 1);
  }

  pid(p: Pid): void {
    if (!pidIsLocal(p)) {
      this.words += EXTERNAL_WORDS;
      this.atom(p.node);
    }
  }

  map(m: EMap): void {
    const n = m.keys.length;
    if (m.values.length !== n) throw new TypeError('fromETerm: a map with more keys than values');
    let plan = this.maps.get(m);
    if (n <= FLATMAP_LIMIT) {
      if (plan === undefined) {
        const order = mapKeyOrder(m);
        for (let i = 1; i < n; i++) {
          if (compareMapKeys(m.keys[order[i - 1]!]!, m.keys[order[i]!]!) === 0) throw new TypeError('fromETerm: a map with a duplicate key');
        }
        this.maps.set(m, order);
      }
      this.words += 4 + 2 * n;
    } else {
      if (plan === undefined) this.maps.set(m, (plan = planHamt(m.keys, this.env)));
      this.words += 1 + hamtWords(plan as HamtNode);
    }
  }
}

/** Words of a HAMT node, its subnodes and its leaves (the head's size word not included). */
function hamtWords(root: HamtNode): number {
  let words = 0;
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    words += 1 + node.children.length;
    for (const c of node.children) {
      if (typeof c === 'number') words += 2;
      else stack.push(c);
    }
  }
  return words;
}

/** The HAMT OTP builds for these keys: split on 4 hash bits per level until every key is alone. */
function planHamt(keys: ETerm[], env: HashEnv): HamtNode {
  const hashes: number[][] = [];
  const hashAt = (i: number, depth: number): number => {
    let row = hashes[depth];
    if (row === undefined) hashes[depth] = row = [];
    let h = row[i];
    if (h === undefined) row[i] = h = mapHash(keys[i]!, depth, env);
    return h;
  };
  // Recursion depth is bounded by MAX_HAMT_LEVELS, not by the size of the map.
  const node = (idx: number[], level: number): HamtNode => {
    if (level >= MAX_HAMT_LEVELS) throw new TypeError('fromETerm: a map with a duplicate key');
    const depth = level >>> 3;
    const shift = (level & 7) * 4;
    const buckets: number[][] = [];
    for (const i of idx) {
      const nibble = (hashAt(i, depth) >>> shift) & 15;
      (buckets[nibble] ??= []).push(i);
    }
    let bitmap = 0;
    const children: Array<number | HamtNode> = [];
    for (let nibble = 0; nibble < 16; nibble++) {
      const b = buckets[nibble];
      if (b === undefined) continue;
      bitmap |= 1 << nibble;
      children.push(b.length === 1 ? b[0]! : node(b, level + 1));
    }
    return { bitmap, children };
  };
  return node(
    Array.from({ length: keys.length }, (_, i) => i),
    0,
  );
}

/** The plan pass: one walk over t with an explicit stack of arrays being visited. */
function planTerm(t: ETerm, ctx: TermContext | undefined): Plan {
  const p = new Plan(ctx);
  const arrs: ETerm[][] = [[t]];
  const idx: number[] = [0];
  while (arrs.length > 0) {
    const top = arrs.length - 1;
    const a = arrs[top]!;
    const i = idx[top]!;
    if (i >= a.length) {
      arrs.pop();
      idx.pop();
      continue;
    }
    idx[top] = i + 1;
    const x = a[i]!;
    if (typeof x === 'bigint') p.words += bigWords(x);
    else if (typeof x === 'number') p.words += 3;
    else if (x instanceof Atom) p.atom(x);
    else if (Array.isArray(x)) {
      if (x.length > 0) {
        p.words += 2 * x.length;
        arrs.push(x);
        idx.push(0);
      }
    } else if (x instanceof Tuple) {
      p.words += 1 + x.elements.length;
      arrs.push(x.elements);
      idx.push(0);
    } else if (x instanceof ImproperList) {
      p.words += 2 * x.items.length;
      arrs.push([x.tail], x.items);
      idx.push(0, 0);
    } else if (x instanceof Bitstring) p.binary(x);
    else if (x instanceof EMap) {
      p.map(x);
      arrs.push(x.keys, x.values);
      idx.push(0, 0);
    } else if (x instanceof Pid) p.pid(x);
    else if (x instanceof Port) {
      if (!portIsLocal(x)) {
        p.words += EXTERNAL_WORDS;
        p.atom(x.node);
      }
    } else if (x instanceof Ref) {
      if (isLocalNode(x.node, x.creation)) p.words += 1 + Math.max(LOCAL_REF_MIN_IDS, x.ids.length);
      else {
        p.words += 3 + x.ids.length;
        p.atom(x.node);
      }
    } else if (x instanceof ExportFun) {
      p.words += EXPORT_WORDS;
      p.atom(x.module);
      p.atom(x.name);
    } else if (x instanceof LocalFun) {
      p.words += FUN_FIXED_WORDS + x.freeVars.length;
      p.atom(x.module);
      p.pid(x.pid);
      arrs.push(x.freeVars);
      idx.push(0);
    } else {
      throw new TypeError(`fromETerm: not a term: ${String(x)}`);
    }
  }
  return p;
}

/**
 * The number of heap words fromETerm needs for t (off-heap binary blocks not
 * included). A map of more than 32 keys is a HAMT whose shape depends on the
 * keys' hashes, and some hashes depend on the VM (atoms hash by their index):
 * pass ctx for those (its atoms get interned), or this throws VmDependentHash.
 */
export function sizeOfETerm(t: ETerm, ctx?: TermContext): number {
  return planTerm(t, ctx).words;
}

// ---------------------------------------------------------------- building

/**
 * Terms still to be written into slots that are already allocated: item i goes
 * to dests[i] (or base + i * step), taken from terms[order[i]] (or terms[i]).
 * A list's frame also carries the tail that goes after its last cell.
 */
class Frame {
  i = 0;
  constructor(
    readonly terms: ETerm[],
    readonly n: number,
    readonly base: number,
    readonly step: number,
    readonly order: number[] | null = null,
    readonly dests: number[] | null = null,
    readonly tail: ETerm | undefined = undefined,
    readonly tailDest = 0,
  ) {}
}

class Writer {
  private readonly w: Int32Array;
  private readonly u8: Uint8Array;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly plan: Plan,
    private hp: number,
    private readonly blocks: Map<Bitstring, number>,
    mem: TermContext['mem'],
  ) {
    this.w = mem.i32;
    this.u8 = mem.u8;
  }

  get top(): number {
    return this.hp;
  }

  private alloc(words: number): number {
    const a = this.hp;
    this.hp = a + words;
    return a;
  }

  /** Writes t and everything in it; returns its term. */
  run(t: ETerm): Term {
    const root = this.term(t);
    const stack = this.stack;
    const w = this.w;
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.i < f.n) {
        const i = f.i++;
        // term() may push a frame: the loop then goes depth first into it.
        const dest = f.dests === null ? f.base + i * f.step : f.dests[i]!;
        w[dest] = this.term(f.terms[f.order === null ? i : f.order[i]!]!);
      } else {
        stack.pop();
        if (f.tail !== undefined) w[f.tailDest] = this.term(f.tail);
      }
    }
    return root;
  }

  /** The word for t; a container's object is allocated now and its slots filled later through a frame. */
  private term(t: ETerm): Term {
    const w = this.w;
    if (typeof t === 'bigint') {
      return t >= SMALL_MIN_BIG && t <= SMALL_MAX_BIG ? makeSmall(Number(t)) : this.bignum(t);
    } else if (typeof t === 'number') {
      const a = this.alloc(3);
      f64[0] = t;
      w[a] = FLOAT_HEADER;
      w[a + 1] = f64w[0]!;
      w[a + 2] = f64w[1]!;
      return makeBoxed(a);
    } else if (t instanceof Atom) {
      return this.plan.atom(t);
    } else if (Array.isArray(t)) {
      return t.length === 0 ? NIL : this.list(t, undefined);
    } else if (t instanceof ImproperList) {
      // An ImproperList with no items is just its tail (not made by the decoder, but possible).
      let x: ETerm = t;
      while (x instanceof ImproperList && x.items.length === 0) x = x.tail;
      return x instanceof ImproperList ? this.list(x.items, x.tail) : this.term(x);
    } else if (t instanceof Tuple) {
      const n = t.elements.length;
      const a = this.alloc(1 + n);
      w[a] = makeHeader(n, SUB_TUPLE);
      if (n > 0) this.stack.push(new Frame(t.elements, n, a + 1, 1));
      return makeBoxed(a);
    } else if (t instanceof Bitstring) {
      return this.bitstring(t);
    } else if (t instanceof EMap) {
      return this.map(t);
    } else if (t instanceof Pid) {
      return this.pid(t);
    } else if (t instanceof Port) {
      if (portIsLocal(t)) return makeLocalPort(Number(t.id));
      const a = this.alloc(EXTERNAL_WORDS);
      w[a] = makeHeader(4, SUB_EXTERNAL_PORT);
      w[a + 1] = this.plan.atom(t.node);
      w[a + 2] = t.creation | 0;
      w[a + 3] = Number(t.id & 0xffffffffn) | 0;
      w[a + 4] = Number(t.id >> 32n) | 0;
      return makeBoxed(a);
    } else if (t instanceof Ref) {
      const ids = t.ids;
      if (isLocalNode(t.node, t.creation)) {
        const n = Math.max(LOCAL_REF_MIN_IDS, ids.length);
        const a = this.alloc(1 + n);
        w[a] = makeHeader(n, SUB_REF);
        for (let i = 0; i < n; i++) w[a + 1 + i] = (ids[i] ?? 0) | 0;
        return makeBoxed(a);
      }
      const a = this.alloc(3 + ids.length);
      w[a] = makeHeader(2 + ids.length, SUB_EXTERNAL_REF);
      w[a + 1] = this.plan.atom(t.node);
      w[a + 2] = t.creation | 0;
      for (let i = 0; i < ids.length; i++) w[a + 3 + i] = ids[i]! | 0;
      return makeBoxed(a);
    } else if (t instanceof ExportFun) {
      const a = this.alloc(EXPORT_WORDS);
      w[a] = makeHeader(3, SUB_EXPORT);
      w[a + 1] = this.plan.atom(t.module);
      w[a + 2] = this.plan.atom(t.name);
      w[a + 3] = makeSmall(t.arity);
      return makeBoxed(a);
    } else if (t instanceof LocalFun) {
      const k = t.freeVars.length;
      const a = this.alloc(FUN_FIXED_WORDS + k);
      w[a] = makeHeader(FUN_FIXED_WORDS - 1 + k, SUB_FUN);
      w[a + 1] = this.plan.atom(t.module);
      w[a + 2] = t.index | 0;
      w[a + 3] = t.oldIndex | 0;
      w[a + 4] = t.oldUniq | 0;
      w[a + 5] = t.arity | 0;
      const u = t.uniq;
      for (let i = 0; i < 4; i++) {
        w[a + 6 + i] = (u[4 * i] ?? 0) | ((u[4 * i + 1] ?? 0) << 8) | ((u[4 * i + 2] ?? 0) << 16) | ((u[4 * i + 3] ?? 0) << 24);
      }
      w[a + 10] = this.pid(t.pid);
      w[a + 11] = k;
      if (k > 0) this.stack.push(new Frame(t.freeVars, k, a + FUN_FIXED_WORDS, 1));
      return makeBoxed(a);
    }
    throw new TypeError(`fromETerm: not a term: ${String(t)}`);
  }

  private bignum(v: bigint): Term {
    const neg = v < 0n;
    const hex = (neg ? -v : v).toString(16);
    const n = Math.ceil(hex.length / 8);
    const a = this.alloc(1 + n);
    const w = this.w;
    w[a] = makeHeader(n, neg ? SUB_NEG_BIG : SUB_POS_BIG);
    for (let k = 0; k < n; k++) {
      const end = hex.length - 8 * k;
      w[a + 1 + k] = parseInt(hex.slice(Math.max(0, end - 8), end), 16) | 0;
    }
    return makeBoxed(a);
  }

  /** Cells for items, contiguous; the heads and a tail that is not [] are written later. */
  private list(items: ETerm[], tail: ETerm | undefined): Term {
    const n = items.length;
    const a = this.alloc(2 * n);
    const w = this.w;
    for (let k = 1; k < n; k++) w[a + 2 * k - 1] = makeList(a + 2 * k);
    const last = a + 2 * n - 1;
    const properEnd = tail === undefined || (Array.isArray(tail) && tail.length === 0);
    w[last] = NIL;
    this.stack.push(new Frame(items, n, a, 2, null, null, properEnd ? undefined : tail, last));
    return makeList(a);
  }

  private pid(p: Pid): Term {
    if (pidIsLocal(p)) return makeLocalPid(p.id, p.serial);
    const a = this.alloc(EXTERNAL_WORDS);
    const w = this.w;
    w[a] = makeHeader(4, SUB_EXTERNAL_PID);
    w[a + 1] = this.plan.atom(p.node);
    w[a + 2] = p.creation | 0;
    w[a + 3] = p.id | 0;
    w[a + 4] = p.serial | 0;
    return makeBoxed(a);
  }

  private bitstring(b: Bitstring): Term {
    const n = byteLength(b);
    const w = this.w;
    let bin: number;
    if (n <= HEAP_BINARY_LIMIT) {
      const words = (n + 3) >>> 2;
      bin = this.alloc(2 + words);
      w[bin] = makeHeader(1 + words, SUB_HEAP_BINARY);
      w[bin + 1] = n;
      if (words > 0) w[bin + 1 + words] = 0; // the padding bytes of the last word
      this.u8.set(b.bytes.subarray(0, n), (bin + 2) * 4);
    } else {
      bin = this.alloc(PROCBIN_WORDS);
      w[bin] = makeHeader(4, SUB_REFC_BINARY);
      w[bin + 1] = n;
      w[bin + 2] = this.blocks.get(b)!;
      w[bin + 3] = 0;
      w[bin + 4] = 0;
    }
    const extra = b.bitLength & 7;
    if (extra === 0) return makeBoxed(bin);
    const a = this.alloc(SUB_BINARY_WORDS);
    w[a] = makeHeader(5, SUB_SUB_BINARY);
    w[a + 1] = b.bitLength >>> 3;
    w[a + 2] = extra;
    w[a + 3] = 0;
    w[a + 4] = 0;
    w[a + 5] = makeBoxed(bin);
    return makeBoxed(a);
  }

  private map(m: EMap): Term {
    const plan = this.plan.maps.get(m)!;
    const n = m.keys.length;
    const w = this.w;
    if (Array.isArray(plan)) {
      const k = this.alloc(1 + n);
      w[k] = makeHeader(n, SUB_TUPLE);
      const a = this.alloc(3 + n);
      w[a] = FLATMAP_HEADER;
      w[a + 1] = n;
      w[a + 2] = makeBoxed(k);
      if (n > 0) {
        this.stack.push(new Frame(m.keys, n, k + 1, 1, plan), new Frame(m.values, n, a + 3, 1, plan));
      }
      return makeBoxed(a);
    }
    // A HAMT: the nodes and leaf cells now, the keys and values through one frame.
    const terms: ETerm[] = [];
    const dests: number[] = [];
    const head = this.alloc(2 + plan.children.length);
    w[head] = makeHamtHeadHeader(plan.bitmap);
    w[head + 1] = n;
    const todo: Array<[HamtNode, number]> = [[plan, head + 2]];
    while (todo.length > 0) {
      const [node, slots] = todo.pop()!;
      node.children.forEach((c, i) => {
        if (typeof c === 'number') {
          const cell = this.alloc(2);
          w[slots + i] = makeList(cell);
          terms.push(m.keys[c]!, m.values[c]!);
          dests.push(cell, cell + 1);
        } else {
          const a = this.alloc(1 + c.children.length);
          w[a] = makeHamtNodeHeader(c.bitmap);
          w[slots + i] = makeBoxed(a);
          todo.push([c, a + 1]);
        }
      });
    }
    this.stack.push(new Frame(terms, terms.length, 0, 0, null, dests));
    return makeBoxed(head);
  }
}

/**
 * Builds t on the heap and returns its term. Throws HeapFullError, with the
 * heap untouched, when the heap has not room for sizeOfETerm(t) words.
 * Atoms are created as needed; binaries over 64 bytes go to off-heap blocks
 * (one per distinct Bitstring object, shared by its ProcBins).
 */
export function fromETerm(ctx: TermContext, heap: Heap, t: ETerm): Term {
  const plan = planTerm(t, ctx);
  if (plan.words > heap.free) throw new HeapFullError(plan.words - heap.free);
  const mem = ctx.mem;
  const blocks = new Map<Bitstring, number>();
  try {
    for (const [b, refs] of plan.refc) {
      const n = byteLength(b);
      const words = (n + 3) >>> 2;
      const block = mem.alloc(2 + words);
      blocks.set(b, block);
      mem.refresh(); // another thread may have grown the memory past this thread's views
      mem.i32[block + 1] = n;
      mem.i32[block + 1 + words] = 0; // the padding bytes of the last word
      mem.u8.set(b.bytes.subarray(0, n), (block + 2) * 4);
      Atomics.store(mem.i32, block, refs);
    }
  } catch (e) {
    for (const block of blocks.values()) mem.free(block);
    throw e;
  }
  mem.refresh();
  const start = heap.alloc(plan.words);
  const writer = new Writer(plan, start, blocks, mem);
  const root = writer.run(t);
  if (writer.top !== start + plan.words) throw new Error(`fromETerm: wrote ${writer.top - start} words, planned ${plan.words}`);
  return root;
}

// ---------------------------------------------------------------- reading

/** The double of a float term. */
export function floatValue(ctx: TermContext, t: Term): number {
  const w = ctx.mem.i32;
  const p = ptrVal(t);
  f64w[0] = w[p + 1]!;
  f64w[1] = w[p + 2]!;
  return f64[0]!;
}

/** The value of a bignum term. */
export function bignumValue(ctx: TermContext, t: Term): bigint {
  const w = ctx.mem.i32;
  const p = ptrVal(t);
  const hdr = w[p]!;
  const n = headerArity(hdr);
  let v: bigint;
  if (n === 1) v = BigInt(w[p + 1]! >>> 0);
  else if (n === 2) v = (BigInt(w[p + 2]! >>> 0) << 32n) | BigInt(w[p + 1]! >>> 0);
  else {
    // Hex is linear in the number of digits; shifting a bigint 32 bits at a time is not.
    const parts: string[] = [];
    for (let k = n - 1; k >= 0; k--) parts.push((w[p + 1 + k]! >>> 0).toString(16).padStart(8, '0'));
    v = BigInt('0x' + parts.join(''));
  }
  return headerSubtag(hdr) === SUB_NEG_BIG ? -v : v;
}

/**
 * The bits of a binary or bitstring term (heap binary, ProcBin or
 * sub-binary). `bytes` is a view into shared memory when the data starts on
 * a byte boundary (do not write through it), a copy otherwise; it holds
 * ceil(bitLength / 8) bytes, and the bits of the last byte past bitLength are
 * whatever follows in memory (toETerm clears them).
 */
export function binaryBytes(ctx: TermContext, t: Term): { bytes: Uint8Array; bitLength: number } {
  const w = ctx.mem.i32;
  const u8 = ctx.mem.u8;
  let p = ptrVal(t);
  let hdr = w[p]!;
  let offset = 0;
  let bitOffset = 0;
  let bitLength: number;
  if (headerSubtag(hdr) === SUB_SUB_BINARY) {
    bitLength = w[p + 1]! * 8 + w[p + 2]!;
    offset = w[p + 3]!;
    bitOffset = w[p + 4]!;
    p = ptrVal(w[p + 5]!);
    hdr = w[p]!;
  } else {
    bitLength = w[p + 1]! * 8;
  }
  const data = headerSubtag(hdr) === SUB_REFC_BINARY ? (w[p + 2]! + 2) * 4 : (p + 2) * 4;
  const n = (bitLength + 7) >>> 3;
  const start = data + offset;
  if (bitOffset === 0) return { bytes: u8.subarray(start, start + n), bitLength };
  // Not byte aligned: shift each byte into place (the source spans n or n + 1 bytes).
  const out = new Uint8Array(n);
  const srcBytes = (bitOffset + bitLength + 7) >>> 3;
  for (let i = 0; i < n; i++) {
    const hi = u8[start + i]!;
    const lo = i + 1 < srcBytes ? u8[start + i + 1]! : 0;
    out[i] = ((hi << bitOffset) | (lo >>> (8 - bitOffset))) & 0xff;
  }
  return { bytes: out, bitLength };
}

/** The number of entries of a map term. */
export function mapSize(ctx: TermContext, t: Term): number {
  return ctx.mem.i32[ptrVal(t) + 1]!;
}

/** A HAMT's leaves in walk order: children in ascending nibble order, depth first. */
function hamtLeaves(w: Int32Array, head: number): Array<[Term, Term]> {
  const out: Array<[Term, Term]> = [];
  const nodes: number[] = [head + 2];
  const left: number[] = [hamtChildCount(w[head]!)];
  while (nodes.length > 0) {
    const top = nodes.length - 1;
    if (left[top] === 0) {
      nodes.pop();
      left.pop();
      continue;
    }
    const slot = nodes[top]!;
    nodes[top] = slot + 1;
    left[top]!--;
    const child = w[slot]!;
    if (isList(child)) {
      const c = ptrVal(child);
      out.push([w[c]!, w[c + 1]!]);
    } else {
      const node = ptrVal(child);
      nodes.push(node + 1);
      left.push(hamtChildCount(w[node]!));
    }
  }
  return out;
}

function bitCount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * A map's entries in iteration order: that of maps:iterator/1 + maps:next/1,
 * maps:fold/3 and io_lib:format("~w"), and the order EMaps keep (loader/eterm.ts).
 * Key order for a flatmap; for a hashmap, the HAMT walked depth first,
 * children in ascending nibble order.
 */
export function mapEntries(ctx: TermContext, t: Term): Array<[Term, Term]> {
  const w = ctx.mem.i32;
  const p = ptrVal(t);
  if (mapHeaderKind(w[p]!) !== MAP_KIND_FLAT) return hamtLeaves(w, p);
  const n = w[p + 1]!;
  const keys = ptrVal(w[p + 2]!) + 1;
  const out: Array<[Term, Term]> = new Array(n);
  for (let i = 0; i < n; i++) out[i] = [w[keys + i]!, w[p + 3 + i]!];
  return out;
}

/**
 * A map's entries in the order of maps:to_list/1, maps:keys/1 and
 * term_to_binary/1: the same as mapEntries for a flatmap, its reverse for a
 * hashmap (OTP walks the HAMT with a stack there).
 */
export function mapToListEntries(ctx: TermContext, t: Term): Array<[Term, Term]> {
  const entries = mapEntries(ctx, t);
  return mapHeaderKind(ctx.mem.i32[ptrVal(t)]!) === MAP_KIND_FLAT ? entries : entries.reverse();
}

/** The number of children of a HAMT head or node, from its header word. */
export const hamtChildCount = (hdr: number): number => bitCount(mapHeaderVal(hdr));

/** True for a map term's header word that starts a HAMT node (not a head, not a flatmap). */
export const isHamtNodeHeader = (hdr: number): boolean =>
  headerSubtag(hdr) === SUB_MAP && mapHeaderKind(hdr) === MAP_KIND_HAMT_NODE;

/** An ETerm container being filled from memory: out[i] comes from the i-th source word. */
class ReadFrame {
  i = 0;
  constructor(
    readonly out: ETerm[],
    /** Word index of the next element (tuple, fun), or the current cons cell (list). */
    public at: number,
    /** 0: consecutive words; 1: list heads, following tails; 2: map entries (pairs). */
    readonly kind: 0 | 1 | 2,
    readonly values: ETerm[] | null = null,
    readonly pairs: Array<[Term, Term]> | null = null,
  ) {}
}

const SMALL_CACHE_MIN = -256;
const smallCache: bigint[] = Array.from({ length: 1280 }, (_, i) => BigInt(i + SMALL_CACHE_MIN));

/** Reads any term back into the loader's model (maps in iteration order, as EMaps keep them). */
export function toETerm(ctx: TermContext, t: Term): ETerm {
  ctx.mem.refresh();
  const w = ctx.mem.i32;
  const atoms = new Map<Term, Atom>();
  const stack: ReadFrame[] = [];
  const atom = (a: Term): Atom => {
    let x = atoms.get(a);
    if (x === undefined) atoms.set(a, (x = Atom.of(ctx.atoms.name(a))));
    return x;
  };
  const pidOf = (x: Term): Pid => {
    if (isLocalPid(x)) return new Pid(NONODE, pidNumber(x), pidSerial(x), 0);
    const p = ptrVal(x);
    return new Pid(atom(w[p + 1]!), w[p + 3]! >>> 0, w[p + 4]! >>> 0, w[p + 2]! >>> 0);
  };

  // The value for x; containers are created empty and filled through a frame.
  const read = (x: Term): ETerm => {
    if (isSmall(x)) {
      const v = smallVal(x);
      return v >= SMALL_CACHE_MIN && v < SMALL_CACHE_MIN + smallCache.length ? smallCache[v - SMALL_CACHE_MIN]! : BigInt(v);
    }
    if (isAtom(x)) return atom(x);
    if (isNil(x)) return [];
    if (isList(x)) {
      // Count the cells first, so the items array is made at its size and the tail is known.
      let n = 0;
      let tail = x;
      while (isList(tail)) {
        n++;
        tail = w[ptrVal(tail) + 1]!;
      }
      const items: ETerm[] = new Array(n);
      stack.push(new ReadFrame(items, ptrVal(x), 1));
      return isNil(tail) ? items : new ImproperList(items, read(tail));
    }
    if (isLocalPid(x)) return pidOf(x);
    if (isLocalPort(x)) return new Port(NONODE, BigInt(portNumber(x)), 0);
    if (!isBoxed(x)) throw new TypeError(`toETerm: not a term: 0x${(x >>> 0).toString(16)}`);
    const p = ptrVal(x);
    const hdr = w[p]!;
    const n = headerArity(hdr);
    switch (headerSubtag(hdr)) {
      case SUB_TUPLE: {
        const elements: ETerm[] = new Array(n);
        if (n > 0) stack.push(new ReadFrame(elements, p + 1, 0));
        return new Tuple(elements);
      }
      case SUB_POS_BIG:
      case SUB_NEG_BIG:
        return bignumValue(ctx, x);
      case SUB_FLOAT:
        return floatValue(ctx, x);
      case SUB_REF: {
        const ids: number[] = [];
        for (let i = 0; i < n; i++) ids.push(w[p + 1 + i]! >>> 0);
        return new Ref(NONODE, ids, 0);
      }
      case SUB_EXTERNAL_REF: {
        const ids: number[] = [];
        for (let i = 2; i < n; i++) ids.push(w[p + 1 + i]! >>> 0);
        return new Ref(atom(w[p + 1]!), ids, w[p + 2]! >>> 0);
      }
      case SUB_EXTERNAL_PID:
        return pidOf(x);
      case SUB_EXTERNAL_PORT:
        return new Port(atom(w[p + 1]!), (BigInt(w[p + 4]! >>> 0) << 32n) | BigInt(w[p + 3]! >>> 0), w[p + 2]! >>> 0);
      case SUB_EXPORT:
        return new ExportFun(atom(w[p + 1]!), atom(w[p + 2]!), smallVal(w[p + 3]!));
      case SUB_FUN: {
        const arity = w[p + 5]!;
        const uniq = new Uint8Array(arity === -1 ? 0 : 16);
        for (let i = 0; i < uniq.length; i++) uniq[i] = (w[p + 6 + (i >>> 2)]! >>> ((i & 3) * 8)) & 0xff;
        const k = w[p + 11]!;
        const free: ETerm[] = new Array(k);
        if (k > 0) stack.push(new ReadFrame(free, p + FUN_FIXED_WORDS, 0));
        return new LocalFun(atom(w[p + 1]!), arity, uniq, w[p + 2]! >>> 0, w[p + 3]!, w[p + 4]!, pidOf(w[p + 10]!), free);
      }
      case SUB_HEAP_BINARY:
      case SUB_REFC_BINARY:
      case SUB_SUB_BINARY: {
        const { bytes, bitLength } = binaryBytes(ctx, x);
        const copy = bytes.slice();
        const extra = bitLength & 7;
        if (extra !== 0) copy[copy.length - 1]! &= (0xff << (8 - extra)) & 0xff;
        return new Bitstring(copy, bitLength);
      }
      case SUB_MAP: {
        // EMaps hold their entries in iteration order (loader/eterm.ts); encodeEtf turns that
        // into term_to_binary's order.
        const pairs = mapEntries(ctx, x);
        const keys: ETerm[] = new Array(pairs.length);
        const values: ETerm[] = new Array(pairs.length);
        if (pairs.length > 0) stack.push(new ReadFrame(keys, 0, 2, values, pairs));
        return new EMap(keys, values);
      }
      default:
        throw new TypeError(`toETerm: unknown header 0x${(hdr >>> 0).toString(16)}`);
    }
  };

  const root = read(t);
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const out = f.out;
    if (f.i >= out.length) {
      stack.pop();
      continue;
    }
    const i = f.i++;
    if (f.kind === 0) {
      out[i] = read(w[f.at + i]!);
    } else if (f.kind === 1) {
      const cell = f.at;
      f.at = ptrVal(w[cell + 1]!);
      out[i] = read(w[cell]!);
    } else {
      const [k, v] = f.pairs![i]!;
      out[i] = read(k);
      f.values![i] = read(v);
    }
  }
  return root;
}
