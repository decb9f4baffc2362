/**
 * erlang:phash2/1,2 and erlang:phash/2 on terms in shared memory, computing
 * what OTP 25's make_hash2() and make_hash() (erts/emulator/beam/utils.c)
 * compute on a 64-bit VM. Checked against erl by test/vm/term/phash.test.ts.
 *
 * Both hashes are portable: they depend on the term only, never on where
 * it lives or on the VM's tables. An atom hashes by its text (hashpjw over
 * its name, as OTP's atom table computes it); a pid, port or reference by
 * its number alone (not its node); an export fun by its module, function
 * and arity; a local fun by its module, OldIndex, OldUniq and free
 * variables. phash2 of a map is independent of its entries' order (each
 * key-value pair is hashed alone and the results xor-ed).
 *
 * Both walk deep terms with an explicit stack.
 */
import { binaryBytes } from './build.js';
import type { TermContext } from './heap.js';
import type { AtomTable } from './atoms.js';
import {
  MAP_KIND_FLAT,
  MAP_KIND_HAMT_NODE,
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
  headerArity,
  headerSubtag,
  isAtom,
  isList,
  isLocalPid,
  isLocalPort,
  isNil,
  isSmall,
  mapHeaderKind,
  mapHeaderVal,
  pidNumber,
  portNumber,
  ptrVal,
  smallVal,
  type Term,
} from './tags.js';

// ---------------------------------------------------------------- atom hash values

const atomHashes = new WeakMap<AtomTable, number[]>();

/** OTP's hash value of an atom: hashpjw over its UTF-8 name, a two-byte sequence for U+0080..U+00FF read as one latin-1 byte. */
function atomHash(ctx: TermContext, a: Term): number {
  let cache = atomHashes.get(ctx.atoms);
  if (cache === undefined) atomHashes.set(ctx.atoms, (cache = []));
  const index = a >>> 6;
  const cached = cache[index];
  if (cached !== undefined) return cached;
  ctx.mem.refresh();
  const p = ctx.atoms.utf8(a);
  let h = 0;
  let len = p.length;
  let i = 0;
  while (len-- > 0) {
    let v = p[i++]!;
    if (len > 0 && (v & 0xfe) === 0xc2 && (p[i]! & 0xc0) === 0x80) {
      v = ((v << 6) | (p[i]! & 0x3f)) & 0xff;
      i++;
      len--;
    }
    h = ((h << 4) + v) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) {
      h = (h ^ (g >>> 24)) >>> 0;
      h = (h ^ g) >>> 0;
    }
  }
  cache[index] = h;
  return h;
}

// ---------------------------------------------------------------- shared readers

const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);

/** The float's two words (low, high) with -0.0 read as 0.0, into f64w. */
function floatWords(w: Int32Array, p: number): void {
  f64w[0] = w[p + 1]!;
  f64w[1] = w[p + 2]!;
  if (f64[0] === 0) f64[0] = 0;
}

/** A pid's number: what both hashes take of it. */
const pidNum = (w: Int32Array, t: Term): number => (isLocalPid(t) ? pidNumber(t) : w[ptrVal(t) + 3]! >>> 0);
/** A port's number, its low 32 bits. */
const portNum = (w: Int32Array, t: Term): number => (isLocalPort(t) ? portNumber(t) : w[ptrVal(t) + 3]! >>> 0);
/** A reference's first (least significant) id word. */
function refNum(w: Int32Array, t: Term): number {
  const p = ptrVal(t);
  return (headerSubtag(w[p]!) === SUB_REF ? w[p + 1]! : w[p + 3]!) >>> 0;
}

const isByte = (t: Term): boolean => isSmall(t) && t >>> 4 < 256;

// ---------------------------------------------------------------- make_hash2

const HCONST = 0x9e3779b9 | 0;
const hc = (n: number): number => Math.imul(HCONST, n);
const HCONST_2 = hc(2);
const HCONST_3 = hc(3);
const HCONST_4 = hc(4);
const HCONST_5 = hc(5);
const HCONST_6 = hc(6);
const HCONST_7 = hc(7);
const HCONST_9 = hc(9);
const HCONST_10 = hc(10);
const HCONST_11 = hc(11);
const HCONST_12 = hc(12);
const HCONST_13 = hc(13);
const HCONST_14 = hc(14);
const HCONST_15 = hc(15);
const HCONST_16 = hc(16);
const HCONST_19 = hc(19);
/** make_hash2 of [] when it is the whole term. */
const NIL_HASH2 = 3468870702 | 0;
/** OTP's tag_val_def value for []. */
const NIL_DEF = 2;

/** The running hash (int32, read as uint32), mixed by mix(); ma, mb: a and b as the last mix left them. */
let hash = 0;
let ma = 0;
let mb = 0;

/** Bob Jenkins' mix of (a, b, hash) into hash. */
function mix(a: number, b: number): void {
  let c = hash;
  a = (a - b - c) ^ (c >>> 13);
  b = (b - c - a) ^ (a << 8);
  c = (c - a - b) ^ (b >>> 13);
  a = (a - b - c) ^ (c >>> 12);
  b = (b - c - a) ^ (a << 16);
  c = (c - a - b) ^ (b >>> 5);
  a = (a - b - c) ^ (c >>> 3);
  b = (b - c - a) ^ (a << 10);
  c = (c - a - b) ^ (b >>> 15);
  hash = c | 0;
  ma = a | 0;
  mb = b | 0;
}

/** UINT32_HASH_2(x, y, k). */
const hash2 = (x: number, y: number, k: number): void => mix((k + x) | 0, (k + y) | 0);

/** SINT32_HASH(x, HCONST): negative numbers are mixed twice. */
function sint32Hash(x: number): void {
  if (x < 0) hash2(-x | 0, 0, HCONST);
  hash2(x | 0, 0, HCONST);
}

/** Bob Jenkins' block hash of bytes[0..length) with initial value init. */
function blockHash(k: Uint8Array, length: number, init: number): number {
  let a = HCONST;
  let b = HCONST;
  hash = init;
  let i = 0;
  let len = length;
  while (len >= 12) {
    a = (a + (k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24))) | 0;
    b = (b + (k[i + 4]! | (k[i + 5]! << 8) | (k[i + 6]! << 16) | (k[i + 7]! << 24))) | 0;
    hash = (hash + (k[i + 8]! | (k[i + 9]! << 8) | (k[i + 10]! << 16) | (k[i + 11]! << 24))) | 0;
    mix(a, b);
    a = ma;
    b = mb;
    i += 12;
    len -= 12;
  }
  hash = (hash + length) | 0;
  // The 0..11 bytes left: the first byte of hash is reserved for the length.
  if (len >= 11) hash = (hash + (k[i + 10]! << 24)) | 0;
  if (len >= 10) hash = (hash + (k[i + 9]! << 16)) | 0;
  if (len >= 9) hash = (hash + (k[i + 8]! << 8)) | 0;
  if (len >= 8) b = (b + (k[i + 7]! << 24)) | 0;
  if (len >= 7) b = (b + (k[i + 6]! << 16)) | 0;
  if (len >= 6) b = (b + (k[i + 5]! << 8)) | 0;
  if (len >= 5) b = (b + k[i + 4]!) | 0;
  if (len >= 4) a = (a + (k[i + 3]! << 24)) | 0;
  if (len >= 3) a = (a + (k[i + 2]! << 16)) | 0;
  if (len >= 2) a = (a + (k[i + 1]! << 8)) | 0;
  if (len >= 1) a = (a + k[i]!) | 0;
  mix(a, b);
  return hash;
}

// Stack entry kinds (the kind is pushed last, popped first).
const K_TERM = 0; // [term, K_TERM]
const K_PAIR = 1; // [K_PAIR]: a map's key-value pair is hashed; xor it in
const K_TAIL = 2; // [saved xor, saved hash, K_TAIL]: a map's pairs are done

// Stacks, one per level of re-entry (phash calls phash2 for maps).
const stacks: number[][] = [];
let depth = 0;

function withStack<T>(f: (s: number[]) => T): T {
  const s = (stacks[depth] ??= []);
  depth++;
  try {
    return f(s);
  } finally {
    s.length = 0;
    depth--;
  }
}

/** Hashes a binary's bits the way make_hash2 does, from the running hash. */
function binaryHash2(ctx: TermContext, t: Term): void {
  const { bytes, bitLength } = binaryBytes(ctx, t);
  const sz = bitLength >>> 3;
  const bits = bitLength & 7;
  const con = (HCONST_13 + hash) | 0;
  if (bitLength === 0) {
    hash = con;
    return;
  }
  hash = blockHash(bytes, sz, con);
  if (bits > 0) hash2(bits, bytes[sz]! >>> (8 - bits), HCONST_15);
}

/**
 * make_hash2 of a map object: a head (flatmap or HAMT head) hashes its size
 * and, unless empty, saves (xor, hash) under a K_TAIL and returns true (the
 * caller then starts the pairs from 0); every head or node pushes its pairs
 * and subnodes.
 */
function mapHash2(w: Int32Array, p: number, s: number[], xor: number): boolean {
  const hdr = w[p]!;
  const kind = mapHeaderKind(hdr);
  let slot = p + 1;
  if (kind !== MAP_KIND_HAMT_NODE) {
    const n = w[p + 1]!;
    hash2(n, 0, HCONST_16);
    if (n === 0) return false;
    s.push(xor, hash, K_TAIL);
    if (kind === MAP_KIND_FLAT) {
      const keys = ptrVal(w[p + 2]!) + 1;
      for (let i = n - 1; i >= 0; i--) s.push(K_PAIR, w[p + 3 + i]!, K_TERM, w[keys + i]!, K_TERM);
      return true;
    }
    slot = p + 2;
  }
  for (let children = bitCount(mapHeaderVal(hdr)); children > 0; children--, slot++) {
    const c = w[slot]!;
    if (isList(c)) {
      const cell = ptrVal(c);
      s.push(K_PAIR, w[cell + 1]!, K_TERM, w[cell]!, K_TERM);
    } else {
      s.push(c, K_TERM);
    }
  }
  return kind !== MAP_KIND_HAMT_NODE;
}

function bitCount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** OTP's make_hash2: the full 32-bit hash behind erlang:phash2. */
export function makeHash2(ctx: TermContext, t: Term): number {
  if (isAtom(t)) return atomHash(ctx, t);
  if (isSmall(t)) {
    hash = 0;
    sint32Hash(smallVal(t));
    return hash >>> 0;
  }
  return withStack((s) => makeHash2Slow(ctx, t, s));
}

function makeHash2Slow(ctx: TermContext, t0: Term, s: number[]): number {
  ctx.mem.refresh();
  const w = ctx.mem.i32;
  let t = t0;
  let xor = 0;
  hash = 0;
  for (;;) {
    // Hash t; `continue` goes on with a new t, `break` pops the next one.
    if (isList(t)) {
      let c = 0;
      let sh = 0;
      let p = ptrVal(t);
      while (isByte(w[p]!)) {
        sh = ((sh << 8) + (w[p]! >>> 4)) | 0;
        if (c === 3) {
          hash2(sh, 0, HCONST_4);
          c = sh = 0;
        } else c++;
        t = w[p + 1]!;
        if (!isList(t)) break;
        p = ptrVal(t);
      }
      if (c > 0) hash2(sh, 0, HCONST_4);
      if (isList(t)) {
        s.push(w[p + 1]!, K_TERM);
        t = w[p]!;
      }
      continue;
    } else if (isSmall(t)) {
      sint32Hash(smallVal(t));
    } else if (isAtom(t)) {
      if (hash === 0) hash = atomHash(ctx, t);
      else hash2(atomHash(ctx, t), 0, HCONST_3);
    } else if (isNil(t)) {
      if (hash === 0) hash = NIL_HASH2;
      else hash2(NIL_DEF, 0, HCONST_2);
    } else if (isLocalPid(t)) {
      hash2(pidNumber(t), 0, HCONST_5);
    } else if (isLocalPort(t)) {
      hash2(portNumber(t), 0, HCONST_6);
    } else {
      const p = ptrVal(t);
      const hdr = w[p]!;
      switch (headerSubtag(hdr)) {
        case SUB_TUPLE: {
          const n = headerArity(hdr);
          hash2(n, 0, HCONST_9);
          if (n === 0) break;
          for (let i = n; i > 1; i--) s.push(w[p + i]!, K_TERM);
          t = w[p + 1]!;
          continue;
        }
        case SUB_MAP:
          if (mapHash2(w, p, s, xor)) {
            hash = 0;
            xor = 0;
          }
          break;
        case SUB_EXPORT:
          hash2(smallVal(w[p + 3]!), atomHash(ctx, w[p + 1]!), HCONST);
          hash2(atomHash(ctx, w[p + 2]!), 0, HCONST_14);
          break;
        case SUB_FUN: {
          const n = w[p + 11]!;
          hash2(n, atomHash(ctx, w[p + 1]!), HCONST);
          hash2(w[p + 2]!, w[p + 4]!, HCONST);
          if (n === 0) break;
          for (let i = n - 1; i > 0; i--) s.push(w[p + 12 + i]!, K_TERM);
          t = w[p + 12]!;
          continue;
        }
        case SUB_HEAP_BINARY:
        case SUB_REFC_BINARY:
        case SUB_SUB_BINARY:
          binaryHash2(ctx, t);
          break;
        case SUB_POS_BIG:
        case SUB_NEG_BIG: {
          const n = headerArity(hdr);
          const con = headerSubtag(hdr) === SUB_NEG_BIG ? HCONST_10 : HCONST_11;
          for (let i = 0; i < n; i += 2) hash2(w[p + 1 + i]!, i + 1 < n ? w[p + 2 + i]! : 0, con);
          break;
        }
        case SUB_REF:
        case SUB_EXTERNAL_REF:
          hash2(refNum(w, t), 0, HCONST_7);
          break;
        case SUB_EXTERNAL_PID:
          hash2(pidNum(w, t), 0, HCONST_5);
          break;
        case SUB_EXTERNAL_PORT:
          hash2(portNum(w, t), w[p + 4]!, HCONST_6);
          break;
        case SUB_FLOAT:
          floatWords(w, p);
          hash2(f64w[1]!, f64w[0]!, HCONST_12);
          break;
        default:
          throw new TypeError(`phash2: not a term: 0x${(t >>> 0).toString(16)}`);
      }
    }
    // hash2_common: the next thing on the stack.
    for (;;) {
      if (s.length === 0) return hash >>> 0;
      const kind = s.pop()!;
      if (kind === K_TERM) {
        t = s.pop()!;
        break;
      }
      if (kind === K_PAIR) {
        xor ^= hash;
        hash = 0;
      } else {
        hash = s.pop()!;
        hash2(xor, 0, HCONST_19);
        xor = s.pop()!;
      }
    }
  }
}

/** erlang:phash2(T) (range 2^27), or erlang:phash2(T, Range) for 1 <= Range <= 2^32. */
export function phash2(ctx: TermContext, t: Term, range?: number): number {
  const h = makeHash2(ctx, t);
  if (range === undefined) return h & ((1 << 27) - 1);
  if (!(Number.isInteger(range) && range >= 1 && range <= 2 ** 32)) throw new RangeError(`phash2: bad range ${range}`);
  return h % range;
}

// ---------------------------------------------------------------- make_hash

const FN1 = 268440163;
const FN2 = 268439161;
const FN3 = 268435459;
const FN4 = 268436141;
const FN5 = 268438633;
const FN6 = 268437017;
const FN8 = 268437511;
const FN9 = 268439627;
const FN10 = 268440479;
const FN11 = 268440577;
const FN12 = 268440581;
const FN13 = 268440593;
const FN14 = 268440611;

// make_hash's stack ops (pushed last, popped first).
const P_TERM = 0; // [term, P_TERM]
const P_TUPLE_END = 1; // [arity, P_TUPLE_END]
const P_CDR_POST = 2; // [P_CDR_POST]
const P_CDR_PRE = 3; // [tail, P_CDR_PRE]

/** hash = hash * k + x, in 32 bits. */
const mul = (h: number, k: number, x: number): number => (Math.imul(h, k) + x) | 0;

/** UINT32_HASH_STEP: the four bytes of x, least significant first. */
function step32(h: number, x: number, k: number): number {
  h = mul(h, k, x & 0xff);
  h = mul(h, k, (x >>> 8) & 0xff);
  h = mul(h, k, (x >>> 16) & 0xff);
  return mul(h, k, x >>> 24);
}

/** OTP's make_hash: the hash behind erlang:phash/2. */
export function makeHash(ctx: TermContext, t: Term): number {
  return withStack((s) => makeHashSlow(ctx, t, s));
}

function makeHashSlow(ctx: TermContext, t0: Term, s: number[]): number {
  ctx.mem.refresh();
  const w = ctx.mem.i32;
  let h = 0;
  let t = t0;
  for (;;) {
    if (isList(t)) {
      let p = ptrVal(t);
      let done = false;
      while (isByte(w[p]!)) {
        h = mul(h, FN2, w[p]! >>> 4);
        const tail = w[p + 1]!;
        if (!isList(tail)) {
          s.push(P_CDR_POST);
          t = tail;
          done = true;
          break;
        }
        p = ptrVal(tail);
      }
      if (!done) {
        s.push(w[p + 1]!, P_CDR_PRE);
        t = w[p]!;
      }
      continue;
    } else if (isNil(t)) {
      h = mul(h, FN3, 1);
    } else if (isAtom(t)) {
      h = mul(h, FN1, atomHash(ctx, t));
    } else if (isSmall(t)) {
      const y = smallVal(t);
      h = Math.imul(step32(h, Math.abs(y), FN2), y < 0 ? FN4 : FN3);
    } else if (isLocalPid(t)) {
      h = Math.imul(step32(h, pidNumber(t), FN5), FN6);
    } else if (isLocalPort(t)) {
      h = Math.imul(step32(h, portNumber(t), FN9), FN10);
    } else {
      const p = ptrVal(t);
      const hdr = w[p]!;
      switch (headerSubtag(hdr)) {
        case SUB_TUPLE: {
          const n = headerArity(hdr);
          s.push(n, P_TUPLE_END);
          for (let i = n; i >= 1; i--) s.push(w[p + i]!, P_TERM);
          break;
        }
        case SUB_MAP:
          h = (mul(h, FN13, FN14) + makeHash2(ctx, t)) | 0;
          break;
        case SUB_EXPORT:
          h = mul(h, FN11, smallVal(w[p + 3]!));
          h = mul(h, FN1, atomHash(ctx, w[p + 1]!));
          h = mul(h, FN1, atomHash(ctx, w[p + 2]!));
          break;
        case SUB_FUN: {
          const n = w[p + 11]!;
          h = mul(h, FN10, n);
          h = mul(h, FN1, atomHash(ctx, w[p + 1]!));
          h = mul(h, FN2, w[p + 2]!);
          h = mul(h, FN2, w[p + 4]!);
          for (let i = n - 1; i >= 0; i--) s.push(w[p + 12 + i]!, P_TERM);
          break;
        }
        case SUB_HEAP_BINARY:
        case SUB_REFC_BINARY:
        case SUB_SUB_BINARY: {
          const { bytes, bitLength } = binaryBytes(ctx, t);
          const sz = bitLength >>> 3;
          const bits = bitLength & 7;
          for (let i = 0; i < sz; i++) h = mul(h, FN1, bytes[i]!);
          if (bits > 0) h = mul(mul(h, FN1, bytes[sz]! >>> (8 - bits)), FN12, bits);
          h = mul(h, FN4, sz);
          break;
        }
        case SUB_POS_BIG:
        case SUB_NEG_BIG: {
          const n = headerArity(hdr);
          for (let i = 1; i <= n; i++) {
            const d = w[p + i]!;
            h = mul(h, FN2, d & 0xff);
            h = mul(h, FN2, (d >>> 8) & 0xff);
            h = mul(h, FN2, (d >>> 16) & 0xff);
            h = mul(h, FN2, d >>> 24);
          }
          h = Math.imul(h, headerSubtag(hdr) === SUB_NEG_BIG ? FN4 : FN3);
          break;
        }
        case SUB_REF:
        case SUB_EXTERNAL_REF:
          h = Math.imul(step32(h, refNum(w, t), FN9), FN10);
          break;
        case SUB_EXTERNAL_PID:
          h = Math.imul(step32(h, pidNum(w, t), FN5), FN6);
          break;
        case SUB_EXTERNAL_PORT:
          // Known gap: right for port numbers below 2^32 only (OTP's treatment of the high word is not matched yet).
          h = Math.imul(step32(h, portNum(w, t), FN9), FN10);
          break;
          break;
        case SUB_FLOAT:
          floatWords(w, p);
          h = mul(h, FN6, f64w[0]! ^ f64w[1]!);
          break;
        default:
          throw new TypeError(`phash: not a term: 0x${(t >>> 0).toString(16)}`);
      }
    }
    // The next thing on the stack.
    for (;;) {
      if (s.length === 0) return h >>> 0;
      const op = s.pop()!;
      if (op === P_TERM) {
        t = s.pop()!;
        break;
      }
      if (op === P_TUPLE_END) h = mul(h, FN9, s.pop()!);
      else if (op === P_CDR_POST) h = Math.imul(h, FN8);
      else {
        // P_CDR_PRE: a list's tail after a non-byte head.
        t = s.pop()!;
        if (!isList(t)) s.push(P_CDR_POST);
        break;
      }
    }
  }
}

/** erlang:phash(T, Range), 1 <= Range <= 2^32: a hash in 1..Range. */
export function phash(ctx: TermContext, t: Term, range: number): number {
  if (!(Number.isInteger(range) && range >= 1 && range <= 2 ** 32)) throw new RangeError(`phash: bad range ${range}`);
  return 1 + (makeHash(ctx, t) % range);
}
