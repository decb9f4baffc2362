/**
 * OTP 25's internal hash (make_internal_hash, erl_utils.h) of terms in
 * memory: the hash maps of more than 32 keys are HAMTs on (vm/term/maps.ts).
 * It gives the same value as loader/eterm_hash.ts computes on the JS model
 * with vmHashEnv (test/vm/term/maps.test.ts checks both against each other
 * and against erl's own make_internal_hash).
 *
 * On a 64-bit VM an immediate hashes as its 64-bit word; for atoms, pids
 * and ports the low half is exactly our term word (an atom's word holds its
 * atom-table index, a pid's high half its process-table slot). An integer
 * hashes as a small if it fits in 60 bits, else as its 64-bit digits; -0.0
 * as 0.0. Deep terms are walked with an explicit stack.
 */
import { blockHash, hash2, mapHashSalt } from '../../loader/eterm_hash.js';
import { commonAtom } from './atoms.js';
import { binaryBytes, mapToListEntries } from './build.js';
import type { TermContext } from './heap.js';
import {
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
  THE_NON_VALUE,
  atomVal,
  headerArity,
  headerSubtag,
  isImmediate,
  isList,
  isLocalPid,
  isLocalPort,
  isSmall,
  ptrVal,
  smallVal,
  type Term,
} from './tags.js';

const NONODE = commonAtom('nonode@nohost');

const HCONST = 0x9e3779b9 | 0;
const hc = (n: number): number => Math.imul(HCONST, n);
const HCONST_5 = hc(5);
const HCONST_6 = hc(6);
const HCONST_7 = hc(7);
const HCONST_8 = hc(8);
const HCONST_9 = hc(9);
const HCONST_10 = hc(10);
const HCONST_11 = hc(11);
const HCONST_12 = hc(12);
const HCONST_13 = hc(13);
const HCONST_14 = hc(14);
const HCONST_15 = hc(15);
const HCONST_16 = hc(16);
const HCONST_17 = hc(17);
const HCONST_18 = hc(18);
const HCONST_20 = hc(20);
const HCONST_21 = hc(21);
const HCONST_22 = hc(22);
const HCONST_4 = hc(4);
const INTERNAL_HASH_SALT = 3432918353 | 0;
/** log2 of OTP's default process and port table sizes (+P 262144, +Q 65536): a pid's word holds its slot. */
const PROCESS_TABLE_BITS = 18;
const PORT_TABLE_BITS = 16;

// The mix, UINT32_HASH_2 and the binary block hash are the loader's (loader/eterm_hash.ts): one implementation.

/** The slot a pid or port word holds in its high half: consecutive numbers go to different cache lines. */
function tableSlot(data: number, bits: number): number {
  const lineBits = bits - 3;
  return (data & ((1 << lineBits) - 1)) * 8 + ((data >>> lineBits) & 7);
}

/** Hash of an immediate term (small, atom, [], local pid or port) into h. */
function immediateHash(h: number, t: Term): number {
  if (isSmall(t)) return hash2(h, t, t >> 31, HCONST);
  if (isLocalPid(t)) return hash2(h, t, tableSlot(t >>> 4, PROCESS_TABLE_BITS), HCONST);
  if (isLocalPort(t)) return hash2(h, t, tableSlot(t >>> 4, PORT_TABLE_BITS), HCONST);
  return hash2(h, t, 0, HCONST); // atoms and []: their word, high half 0
}

const TWO_27 = 2 ** 27;

/** A bignum: as the 64-bit word of a small when it fits in 60 bits, else its 64-bit digits. */
function bignumHash(h: number, w: Int32Array, p: number): number {
  const hdr = w[p]!;
  const n = headerArity(hdr);
  const neg = headerSubtag(hdr) === SUB_NEG_BIG;
  const d0 = w[p + 1]! >>> 0;
  const d1 = n >= 2 ? w[p + 2]! >>> 0 : 0;
  const fits = n === 1 || (n === 2 && (d1 < TWO_27 || (neg && d1 === TWO_27 && d0 === 0)));
  if (fits) {
    // The word (v << 4) | 0xF of v = ±(d1:d0).
    let lo = (d0 << 4) >>> 0;
    let hi = ((d1 << 4) | (d0 >>> 28)) >>> 0;
    if (neg) {
      hi = lo === 0 ? -hi >>> 0 : ~hi >>> 0;
      lo = -lo >>> 0;
    }
    return hash2(h, lo | 15, hi, HCONST);
  }
  const k = neg ? HCONST_10 : HCONST_11;
  for (let i = 0; i < n; i += 2) h = hash2(h, w[p + 1 + i]!, i + 1 < n ? w[p + 2 + i]! : 0, k);
  return h;
}

/** A pid, port or ref of another node is hashed with its node entry: vmHashEnv's (atom index << 32 | creation). */
const nodeHash = (h: number, node: Term, creation: number, k: number): number => hash2(h, creation, atomVal(node), k);

/** Marks, on the hash stack, the end of a list whose tail is not a list. */
const CDR_MARK = THE_NON_VALUE;
const hashStack: number[] = [];

/**
 * OTP 25's make_internal_hash(T, Salt) of a term in memory, as an unsigned
 * 32-bit number: the same value loader/eterm_hash.internalHash gives for
 * the term read back, with vmHashEnv.
 */
export function termInternalHash(ctx: TermContext, t: Term, salt = 0): number {
  const h0 = (salt ^ INTERNAL_HASH_SALT) | 0;
  if (isImmediate(t)) return immediateHash(h0, t) >>> 0;
  const s = hashStack;
  const base = s.length;
  try {
    return hashSlow(ctx, t, h0, s, base) >>> 0;
  } finally {
    s.length = base;
  }
}

function hashSlow(ctx: TermContext, t0: Term, h: number, s: number[], base: number): number {
  ctx.mem.refresh();
  const w = ctx.mem.i32;
  s.push(t0);
  while (s.length > base) {
    const t = s.pop()!;
    if (t === CDR_MARK) {
      const x = h ^ HCONST_18;
      h = (x << 17) | (x >>> 15);
    } else if (isImmediate(t)) {
      h = immediateHash(h, t);
    } else if (isList(t)) {
      // Runs of bytes are packed four to a word; then a non-byte head, then the tail.
      let c = 0;
      let sh = 0;
      let x = t;
      while (isList(x)) {
        const head = w[ptrVal(x)]!;
        if (!isSmall(head) || head >>> 4 > 255) break;
        sh = ((sh << 8) + (head >>> 4)) | 0;
        if (c === 3) {
          h = hash2(h, sh, 0, HCONST_4);
          c = sh = 0;
        } else {
          c++;
        }
        x = w[ptrVal(x) + 1]!;
      }
      if (c > 0) h = hash2(h, sh, c, HCONST_22);
      if (isList(x)) {
        const r = h ^ HCONST_17;
        h = (r << 17) | (r >>> 15);
        const rest = w[ptrVal(x) + 1]!;
        s.push(rest);
        if (!isList(rest)) s.push(CDR_MARK);
        s.push(w[ptrVal(x)]!);
      } else {
        s.push(x);
      }
    } else {
      const p = ptrVal(t);
      const hdr = w[p]!;
      switch (headerSubtag(hdr)) {
        case SUB_TUPLE: {
          const n = headerArity(hdr);
          h = hash2(h, n, 0, HCONST_9);
          for (let i = n; i >= 1; i--) s.push(w[p + i]!);
          break;
        }
        case SUB_POS_BIG:
        case SUB_NEG_BIG:
          h = bignumHash(h, w, p);
          break;
        case SUB_FLOAT: {
          const lo = w[p + 1]!;
          let hi = w[p + 2]!;
          if (lo === 0 && hi === (0x80000000 | 0)) hi = 0; // -0.0 hashes as 0.0
          h = hash2(h, lo, hi, HCONST_12);
          break;
        }
        case SUB_HEAP_BINARY:
        case SUB_REFC_BINARY:
        case SUB_SUB_BINARY: {
          const { bytes, bitLength } = binaryBytes(ctx, t);
          const sz = bitLength >>> 3;
          const bits = bitLength & 7;
          const con = (HCONST_13 + h) | 0;
          if (bitLength === 0) h = con;
          else {
            h = blockHash(bytes, sz, con);
            if (bits > 0) h = hash2(h, bits, bytes[sz]! >>> (8 - bits), HCONST_15);
          }
          break;
        }
        case SUB_MAP: {
          // Entries in the inner map's own order: key order, or maps:to_list/1's for a hashmap.
          const entries = mapToListEntries(ctx, t);
          h = hash2(h, entries.length, 0, HCONST_16);
          for (let i = entries.length - 1; i >= 0; i--) s.push(entries[i]![1], entries[i]![0]);
          break;
        }
        case SUB_REF: {
          const n = headerArity(hdr);
          h = hash2(h, n > 0 ? w[p + 1]! : 0, 0, HCONST_7);
          h = hash2(h, n > 1 ? w[p + 2]! : 0, n > 2 ? w[p + 3]! : 0, HCONST_8);
          break;
        }
        case SUB_EXTERNAL_REF: {
          const n = headerArity(hdr) - 2;
          const node = w[p + 1]!;
          const creation = w[p + 2]!;
          const id = (i: number): number => (i < n ? w[p + 3 + i]! : 0);
          if (node === NONODE && creation === 0) {
            h = hash2(h, id(0), 0, HCONST_7);
            h = hash2(h, id(1), id(2), HCONST_8);
          } else {
            if (n >= 4) h = hash2(h, id(3), id(4), HCONST_9);
            if (n >= 2) h = hash2(h, id(1), id(2), HCONST_8);
            h = nodeHash(h, node, creation, HCONST_7);
            if (n >= 1) h = hash2(h, id(0), 0, HCONST_7);
          }
          break;
        }
        case SUB_EXTERNAL_PID: {
          const node = w[p + 1]!;
          const creation = w[p + 2]!;
          if (node === NONODE && creation === 0) {
            // A pid of this node that does not fit the immediate: hashed as the immediate would be.
            const data = ((w[p + 4]! & 0x1fff) << 15) | (w[p + 3]! & 0x7fff);
            h = hash2(h, (data << 4) | 3, tableSlot(data, PROCESS_TABLE_BITS), HCONST);
          } else {
            h = nodeHash(h, node, creation, HCONST_5);
            h = hash2(h, w[p + 3]!, w[p + 4]!, HCONST_5);
          }
          break;
        }
        case SUB_EXTERNAL_PORT: {
          const node = w[p + 1]!;
          const creation = w[p + 2]!;
          if (node === NONODE && creation === 0) {
            const data = w[p + 3]! & 0xfffffff;
            h = hash2(h, (data << 4) | 7, tableSlot(data, PORT_TABLE_BITS), HCONST);
          } else {
            h = nodeHash(h, node, creation, HCONST_6);
            h = hash2(h, w[p + 3]!, w[p + 4]!, HCONST_6);
          }
          break;
        }
        case SUB_EXPORT: {
          // vmHashEnv's entry address: module index << 34 | function index << 8 | arity.
          const mod = atomVal(w[p + 1]!);
          const fn = atomVal(w[p + 2]!);
          const arity = smallVal(w[p + 3]!) & 0xff;
          h = hash2(h, (fn << 8) | arity, (mod << 2) | (fn >>> 24), HCONST_14);
          break;
        }
        case SUB_FUN: {
          const k = w[p + 11]!;
          h = hash2(h, k, w[p + 1]!, HCONST_20);
          h = hash2(h, w[p + 2]!, w[p + 4]!, HCONST_21);
          for (let i = k - 1; i >= 0; i--) s.push(w[p + 12 + i]!);
          break;
        }
        default:
          throw new TypeError(`termInternalHash: not a term: 0x${(t >>> 0).toString(16)}`);
      }
    }
  }
  return h;
}

const salts: number[] = [];
/** The salt of HAMT levels 8d..8d+7. */
const saltOf = (d: number): number => (salts[d] ??= mapHashSalt(d));

/** The hash a HAMT uses for `key` at levels 8d..8d+7 (OTP's make_map_hash(Key, d)). */
export function mapKeyHash(ctx: TermContext, key: Term, d = 0): number {
  return termInternalHash(ctx, key, d === 0 ? 0 : saltOf(d));
}
