/**
 * The Erlang external term format (ETF): decoding and encoding.
 *
 * The encoder produces exactly the bytes OTP 25's term_to_binary/2 produces;
 * the decoder accepts what binary_to_term/1 accepts (with the differences
 * listed below) and throws BeamFormatError for anything else. Both work with
 * an explicit stack, so neither deep nesting nor long lists touch the JS
 * call stack. Errors inside a compressed term give the offset in the
 * inflated data (the reason says so).
 *
 * Differences from OTP 25's binary_to_term/1:
 *  - trailing bytes (after the term, after the zlib stream of a compressed
 *    term, or after the term inside it) are an error; OTP ignores them;
 *  - NEW_FUN_EXT's Size field must be right; OTP ignores it;
 *  - a map keeps its entries in the order they were read, and encodeEtf
 *    writes them in that order; OTP sorts small maps when it decodes them;
 *  - FUN_EXT (pre-R8 funs) is decoded, to a LocalFun with arity -1 and an
 *    empty uniq (encodeEtf writes such a fun back as FUN_EXT); OTP 23+
 *    refuses it, and so does `safe`;
 *  - where OTP 25 reads past the term (a FLOAT_EXT with no NUL in its 31
 *    bytes, a NEW_REFERENCE_EXT with no id words) we accept the term;
 *  - ATOM_CACHE_REF only means something inside a distribution message and
 *    LOCAL_EXT only exists from OTP 26: both are errors, as in OTP 25;
 *  - checks that depend on the running node (a local pid/ref that does not
 *    exist, `safe` refusing funs and exports whose code is not loaded) are
 *    not made: with `safe`, only atoms are checked, through `atomExists`.
 */
import pako from 'pako';
import {
  Atom,
  Bitstring,
  EMap,
  ExportFun,
  ImproperList,
  LocalFun,
  Pid,
  Port,
  Ref,
  Tuple,
  type ETerm,
} from './eterm.js';
import { BeamFormatError } from './errors.js';
import { FLATMAP_LIMIT, mapIterationOrder, VmDependentHash, type HashEnv } from './eterm_hash.js';
import { compareMapKeys, mapKeyOrder } from './eterm_order.js';
import type { ByteReader } from './reader.js';

const VERSION = 131;
const COMPRESSED = 80;
const NEW_FLOAT_EXT = 70;
const BIT_BINARY_EXT = 77;
const ATOM_CACHE_REF = 82;
const NEW_PID_EXT = 88;
const NEW_PORT_EXT = 89;
const NEWER_REFERENCE_EXT = 90;
const SMALL_INTEGER_EXT = 97;
const INTEGER_EXT = 98;
const FLOAT_EXT = 99;
const ATOM_EXT = 100;
const REFERENCE_EXT = 101;
const PORT_EXT = 102;
const PID_EXT = 103;
const SMALL_TUPLE_EXT = 104;
const LARGE_TUPLE_EXT = 105;
const NIL_EXT = 106;
const STRING_EXT = 107;
const LIST_EXT = 108;
const BINARY_EXT = 109;
const SMALL_BIG_EXT = 110;
const LARGE_BIG_EXT = 111;
const NEW_FUN_EXT = 112;
const EXPORT_EXT = 113;
const NEW_REFERENCE_EXT = 114;
const SMALL_ATOM_EXT = 115;
const MAP_EXT = 116;
const FUN_EXT = 117;
const ATOM_UTF8_EXT = 118;
const SMALL_ATOM_UTF8_EXT = 119;
const V4_PORT_EXT = 120;
const LOCAL_EXT = 121;

const MAX_ATOM_CHARS = 255;
/** Bytes of the largest bignum OTP 25 decodes ((2^19 - 1) 64-bit words). */
const MAX_BIG_BYTES = 4194296;
/** Refuse compressed terms that claim to inflate to more than this. */
const MAX_INFLATED = 1 << 30;
/** OTP 25 refs carry at most 5 id words. */
const MAX_REF_WORDS = 5;
/** Limits of an OTP small integer on a 64-bit VM. */
const MIN_SMALL = -(1n << 59n);
const MAX_SMALL = (1n << 59n) - 1n;
/** NEW_PORT_EXT carries ids below 2^28; larger ones need V4_PORT_EXT. */
const NEW_PORT_MAX_ID = (1n << 28n) - 1n;

const SMALL_INTS: bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** A direct-mapped cache from an atom's encoded bytes to the Atom. */
const ATOM_CACHE_SIZE = 4096;
const atomCacheKey: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(ATOM_CACHE_SIZE).fill(undefined);
const atomCacheUtf8 = new Uint8Array(ATOM_CACHE_SIZE);
const atomCacheAtom: (Atom | undefined)[] = new Array<Atom | undefined>(ATOM_CACHE_SIZE).fill(undefined);

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

// FLOAT_EXT text as binary_to_term accepts it: digits on both sides of the
// point, which OTP also accepts written as a comma.
const FLOAT_TEXT = /^[+-]?[0-9]+[.,][0-9]+(?:[eE][+-]?[0-9]+)?$/;

type DecodeOptions = {
  atomExists?: (name: string) => boolean;
  safe?: boolean;
  where?: string;
  /** VM state the map hash needs for some keys (atoms' indices); see eterm_hash.ts. */
  hashEnv?: HashEnv;
};

// ---------------------------------------------------------------------------
// Decoding

const K_TUPLE = 0;
const K_LIST = 1;
const K_MAP = 2;
const K_FUN = 3;

interface FunHeader {
  old: boolean;
  numFree: number;
  start: number;
  size: number;
  arity: number;
  uniq: Uint8Array;
  index: number;
  module: Atom;
  oldIndex: number;
  oldUniq: number;
  pid: Pid;
}

/**
 * A container being filled. `n` counts its slots (a map has two per entry,
 * a list one per element plus its tail); `i` how many are filled.
 */
class Frame {
  kind = 0;
  n = 0;
  i = 0;
  at = 0;
  items: ETerm[] = [];
  values: ETerm[] = [];
  fun: FunHeader | null = null;
}

class Decoder {
  pos: number;
  private readonly view: DataView;
  private readonly checkAtom: ((name: string) => boolean) | null;
  /**
   * Slots of the open containers whose term has not started yet: each needs
   * at least one more byte. Keeping this within the bytes left is what makes
   * it safe to allocate containers at their declared size.
   */
  private owed = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
    private readonly where: string,
    /** Prepended to reasons, to say an offset is inside inflated data. */
    private readonly context: string,
    private readonly safe: boolean,
    atomExists: ((name: string) => boolean) | undefined,
    private readonly hashEnv: HashEnv = {},
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.checkAtom = safe && atomExists !== undefined ? atomExists : null;
  }

  fail(reason: string, at: number = this.pos): never {
    throw new BeamFormatError(this.where, at, this.context + reason);
  }

  need(n: number): void {
    if (n > this.end - this.pos) {
      this.fail(`truncated: needs ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  /** Opens `slots` more slots, if the input can still hold them. */
  private owe(slots: number, what: string, at: number): void {
    const owed = this.owed + slots;
    if (owed > this.end - this.pos) {
      this.fail(`${what} of ${slots} slots does not fit in the ${this.end - this.pos} bytes left`, at);
    }
    this.owed = owed;
  }

  u8(): number {
    if (this.pos >= this.end) this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  /** Decodes one complete term starting at `pos`. */
  readTerm(): ETerm {
    const bytes = this.bytes;
    // Frames are reused by depth: stack[0 .. sp-1] are open.
    const stack: Frame[] = [];
    let sp = 0;
    const open = (kind: number, n: number, at: number): Frame => {
      let f = stack[sp];
      if (f === undefined) {
        f = new Frame();
        stack.push(f);
      }
      sp++;
      f.kind = kind;
      f.n = n;
      f.i = 0;
      f.at = at;
      return f;
    };
    let value: ETerm;
    outer: for (;;) {
      if (sp !== 0) this.owed--;
      const at = this.pos;
      const tag = this.u8();
      switch (tag) {
        case SMALL_INTEGER_EXT:
          value = SMALL_INTS[this.u8()]!;
          break;
        case INTEGER_EXT:
          value = BigInt(this.i32());
          break;
        case SMALL_BIG_EXT:
          value = this.readBig(this.u8());
          break;
        case LARGE_BIG_EXT: {
          const n = this.u32();
          if (n > MAX_BIG_BYTES) this.fail(`integer of ${n} bytes is beyond OTP's limit`, at);
          value = this.readBig(n);
          break;
        }
        case NEW_FLOAT_EXT: {
          this.need(8);
          const f = this.view.getFloat64(this.pos);
          if (!Number.isFinite(f)) this.fail('float is not finite', at);
          this.pos += 8;
          value = f;
          break;
        }
        case FLOAT_EXT:
          value = this.readFloatText(at);
          break;
        case ATOM_EXT:
        case SMALL_ATOM_EXT:
        case ATOM_UTF8_EXT:
        case SMALL_ATOM_UTF8_EXT:
          this.pos = at;
          value = this.readAtom();
          break;
        case SMALL_TUPLE_EXT:
        case LARGE_TUPLE_EXT: {
          const n = tag === SMALL_TUPLE_EXT ? this.u8() : this.u32();
          if (n === 0) {
            value = new Tuple([]);
            break;
          }
          this.owe(n, 'tuple', at);
          open(K_TUPLE, n, at).items = new Array<ETerm>(n);
          continue outer;
        }
        case NIL_EXT:
          value = [];
          break;
        case STRING_EXT: {
          const n = this.u16();
          this.need(n);
          const items: ETerm[] = new Array<ETerm>(n);
          for (let i = 0; i < n; i++) items[i] = SMALL_INTS[bytes[this.pos + i]!]!;
          this.pos += n;
          value = items;
          break;
        }
        case LIST_EXT: {
          const n = this.u32();
          // No elements: the list is just its tail, which is the next term
          // (and fills the slot this one started).
          if (n === 0) {
            if (sp !== 0) this.owe(1, 'list', at);
            continue outer;
          }
          this.owe(n + 1, 'list', at);
          open(K_LIST, n + 1, at).items = new Array<ETerm>(n);
          continue outer;
        }
        case BINARY_EXT: {
          const n = this.u32();
          this.need(n);
          value = new Bitstring(bytes.slice(this.pos, this.pos + n));
          this.pos += n;
          break;
        }
        case BIT_BINARY_EXT:
          value = this.readBitBinary(at);
          break;
        case MAP_EXT: {
          const n = this.u32();
          if (n === 0) {
            value = new EMap([], []);
            break;
          }
          this.owe(2 * n, 'map', at);
          const f = open(K_MAP, 2 * n, at);
          f.items = new Array<ETerm>(n);
          f.values = new Array<ETerm>(n);
          continue outer;
        }
        case PID_EXT:
        case NEW_PID_EXT:
          this.pos = at;
          value = this.readPid();
          break;
        case PORT_EXT:
        case NEW_PORT_EXT:
        case V4_PORT_EXT:
          value = this.readPort(tag, at);
          break;
        case REFERENCE_EXT:
        case NEW_REFERENCE_EXT:
        case NEWER_REFERENCE_EXT:
          value = this.readRef(tag, at);
          break;
        case EXPORT_EXT: {
          const module = this.readAtom();
          const name = this.readAtom();
          const arityAt = this.pos;
          const arity = this.readSmall();
          if (arity < 0n) this.fail('negative fun arity', arityAt);
          // OTP keeps the arity as a 32-bit word.
          value = new ExportFun(module, name, Number(BigInt.asUintN(32, arity)));
          break;
        }
        case NEW_FUN_EXT:
        case FUN_EXT: {
          const h = tag === NEW_FUN_EXT ? this.readNewFunHeader() : this.readOldFunHeader(at);
          const n = h.numFree;
          if (n === 0) {
            value = this.makeFun(h, []);
            break;
          }
          this.owe(n, 'fun environment', at);
          const f = open(K_FUN, n, at);
          f.items = new Array<ETerm>(n);
          f.fun = h;
          continue outer;
        }
        case ATOM_CACHE_REF:
          this.fail('ATOM_CACHE_REF is only valid inside a distribution message', at);
        case COMPRESSED:
          this.fail('a compressed term can only follow the version byte', at);
        case LOCAL_EXT:
          this.fail('LOCAL_EXT (OTP 26+) is not supported by OTP 25', at);
        case VERSION:
          this.fail('version byte 131 inside a term', at);
        default:
          this.fail(`unknown tag ${tag}`, at);
      }

      // Hand the finished value to the enclosing container(s).
      for (;;) {
        if (sp === 0) return value;
        const f = stack[sp - 1]!;
        const i = f.i++;
        switch (f.kind) {
          case K_TUPLE:
            f.items[i] = value;
            if (f.i < f.n) continue outer;
            sp--;
            value = new Tuple(f.items);
            continue;
          case K_LIST:
            if (f.i < f.n) {
              f.items[i] = value;
              if (f.i < f.n - 1 || !this.listTail(f)) continue outer;
              sp--;
              value = f.items;
              continue;
            }
            // listTail() consumed every list-shaped tail, so this one is not a list.
            sp--;
            value = new ImproperList(f.items, value);
            continue;
          case K_MAP:
            if (i & 1) f.values[i >> 1] = value;
            else f.items[i >> 1] = value;
            if (f.i < f.n) continue outer;
            sp--;
            value = this.makeMap(f.items, f.values, f.at);
            continue;
          default:
            f.items[i] = value;
            if (f.i < f.n) continue outer;
            sp--;
            value = this.makeFun(f.fun!, f.items);
            continue;
        }
      }
    }
  }

  /**
   * At a list's tail: NIL, LIST_EXT and STRING_EXT tails continue the same
   * list (in a loop, so a chain of them costs linear time). Returns true when
   * the list ended with [], false when more elements or a non-list tail follow.
   */
  private listTail(f: Frame): boolean {
    const bytes = this.bytes;
    for (;;) {
      if (this.pos >= this.end) this.need(1);
      const at = this.pos;
      const tag = bytes[at]!;
      if (tag === NIL_EXT) {
        this.pos++;
        this.owed--;
        return true;
      }
      if (tag === LIST_EXT) {
        this.pos++;
        const n = this.u32();
        if (n === 0) continue;
        this.owe(n, 'list', at);
        f.n += n;
        return false;
      }
      if (tag === STRING_EXT) {
        this.pos++;
        const n = this.u16();
        this.need(n);
        const items = f.items;
        for (let i = 0; i < n; i++) items.push(SMALL_INTS[bytes[this.pos + i]!]!);
        this.pos += n;
        this.owed--;
        return true;
      }
      return false;
    }
  }

  private readBig(n: number): bigint {
    const sign = this.u8();
    this.need(n);
    const bytes = this.bytes;
    const p = this.pos;
    let v: bigint;
    if (n <= 6) {
      let x = 0;
      for (let i = n - 1; i >= 0; i--) x = x * 256 + bytes[p + i]!;
      v = BigInt(x);
    } else {
      // Hex parsing is linear in the digit count, unlike repeated shifts.
      const parts: string[] = [];
      let chunk: string[] = [];
      for (let i = n - 1; i >= 0; i--) {
        chunk.push(HEX[bytes[p + i]!]!);
        if (chunk.length === 4096) {
          parts.push(chunk.join(''));
          chunk = [];
        }
      }
      parts.push(chunk.join(''));
      v = BigInt('0x' + parts.join(''));
    }
    this.pos += n;
    // OTP takes any non-zero sign byte as negative.
    return sign !== 0 ? -v : v;
  }

  private readFloatText(at: number): number {
    this.need(31);
    const bytes = this.bytes;
    let len = 0;
    while (len < 31 && bytes[this.pos + len] !== 0) len++;
    let text = '';
    for (let i = 0; i < len; i++) text += String.fromCharCode(bytes[this.pos + i]!);
    if (!FLOAT_TEXT.test(text)) this.fail(`bad FLOAT_EXT text ${JSON.stringify(text)}`, at);
    const f = Number(text.replace(',', '.'));
    if (!Number.isFinite(f)) this.fail('FLOAT_EXT value out of range', at);
    this.pos += 31;
    return f;
  }

  private readBitBinary(at: number): Bitstring {
    const n = this.u32();
    const bits = this.u8();
    if (n === 0 ? bits !== 0 : bits < 1 || bits > 8) {
      this.fail(`BIT_BINARY_EXT with ${n} bytes cannot end in ${bits} bits`, at);
    }
    this.need(n);
    const data = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    // The unused low bits of the last byte are not part of the value.
    if (n > 0) data[n - 1]! &= (0xff << (8 - bits)) & 0xff;
    return new Bitstring(data, n === 0 ? 0 : (n - 1) * 8 + bits);
  }

  /** Reads an atom term (any of the four atom tags). */
  readAtom(): Atom {
    const at = this.pos;
    const tag = this.u8();
    let len: number;
    let utf8: boolean;
    switch (tag) {
      case ATOM_EXT:
        len = this.u16();
        utf8 = false;
        break;
      case SMALL_ATOM_EXT:
        len = this.u8();
        utf8 = false;
        break;
      case ATOM_UTF8_EXT:
        len = this.u16();
        utf8 = true;
        break;
      case SMALL_ATOM_UTF8_EXT:
        len = this.u8();
        utf8 = true;
        break;
      case ATOM_CACHE_REF:
        this.fail('ATOM_CACHE_REF is only valid inside a distribution message', at);
      default:
        this.fail(`expected an atom, found tag ${tag}`, at);
    }
    if (len > (utf8 ? 4 * MAX_ATOM_CHARS : MAX_ATOM_CHARS)) this.fail('atom longer than 255 characters', at);
    this.need(len);
    const bytes = this.bytes;
    const p = this.pos;
    let ascii = true;
    let h = utf8 ? 0x811c9dc5 : 0x2f5d3b1b;
    for (let i = 0; i < len; i++) {
      const b = bytes[p + i]!;
      if (b >= 0x80) ascii = false;
      h = Math.imul(h ^ b, 16777619);
    }
    // Same bytes, same atom: skip making the name again.
    const slot = (h ^ len) & (ATOM_CACHE_SIZE - 1);
    const key = atomCacheKey[slot];
    let found: Atom | undefined;
    if (key !== undefined && key.length === len && atomCacheUtf8[slot] === (utf8 ? 1 : 0)) {
      let i = 0;
      while (i < len && key[i] === bytes[p + i]) i++;
      if (i === len) found = atomCacheAtom[slot];
    }
    if (found === undefined) {
      let name: string;
      if (ascii || !utf8) {
        // One byte is one character in Latin-1 and in ASCII-only UTF-8.
        if (len > MAX_ATOM_CHARS) this.fail('atom longer than 255 characters', at);
        // Latin-1 bytes are the first 256 code points.
        name = len === 0 ? '' : String.fromCharCode.apply(null, bytes.subarray(p, p + len) as unknown as number[]);
      } else {
        try {
          name = utf8Decoder.decode(bytes.subarray(p, p + len));
        } catch {
          this.fail('atom is not valid UTF-8', at);
        }
        if (len > MAX_ATOM_CHARS) {
          let chars = 0;
          for (const _ of name) chars++;
          if (chars > MAX_ATOM_CHARS) this.fail('atom longer than 255 characters', at);
        }
      }
      found = Atom.of(name);
      atomCacheKey[slot] = bytes.slice(p, p + len);
      atomCacheUtf8[slot] = utf8 ? 1 : 0;
      atomCacheAtom[slot] = found;
    }
    this.pos = p + len;
    if (this.checkAtom !== null && !this.checkAtom(found.name)) {
      this.fail(`atom '${found.name}' does not exist (safe decoding)`, at);
    }
    return found;
  }

  /** Reads a PID_EXT or NEW_PID_EXT term. */
  readPid(): Pid {
    const at = this.pos;
    const tag = this.u8();
    if (tag !== PID_EXT && tag !== NEW_PID_EXT) this.fail(`expected a pid, found tag ${tag}`, at);
    const node = this.readAtom();
    const id = this.u32();
    const serial = this.u32();
    const creation = tag === PID_EXT ? this.oldCreation(at) : this.u32();
    return new Pid(node, id, serial, creation);
  }

  /** The one-byte creation of the old formats, of which OTP uses 2 bits. */
  private oldCreation(at: number): number {
    const c = this.u8();
    if (c > 3) this.fail(`creation ${c} does not fit in 2 bits`, at);
    return c;
  }

  private readPort(tag: number, at: number): Port {
    const node = this.readAtom();
    if (tag === V4_PORT_EXT) {
      const hi = this.u32();
      const lo = this.u32();
      return new Port(node, (BigInt(hi) << 32n) | BigInt(lo), this.u32());
    }
    const id = BigInt(this.u32());
    return new Port(node, id, tag === PORT_EXT ? this.oldCreation(at) : this.u32());
  }

  private readRef(tag: number, at: number): Ref {
    if (tag === REFERENCE_EXT) {
      const node = this.readAtom();
      const id = this.u32();
      if (id >= 1 << 18) this.fail('REFERENCE_EXT id has more than 18 bits', at);
      return new Ref(node, [id], this.oldCreation(at));
    }
    const len = this.u16();
    if (len > MAX_REF_WORDS) this.fail(`reference of ${len} words (at most ${MAX_REF_WORDS})`, at);
    const node = this.readAtom();
    const creation = tag === NEW_REFERENCE_EXT ? this.oldCreation(at) : this.u32();
    this.need(4 * len);
    const ids: number[] = [];
    for (let i = 0; i < len; i++) ids.push(this.u32());
    if (tag === NEW_REFERENCE_EXT && len > 0 && ids[0]! >= 1 << 18) {
      this.fail('NEW_REFERENCE_EXT first id has more than 18 bits', at);
    }
    return new Ref(node, ids, creation);
  }

  /** An integer term that is an OTP small (any integer encoding). */
  private readSmall(): bigint {
    const at = this.pos;
    const tag = this.u8();
    let v: bigint;
    switch (tag) {
      case SMALL_INTEGER_EXT:
        return SMALL_INTS[this.u8()]!;
      case INTEGER_EXT:
        return BigInt(this.i32());
      case SMALL_BIG_EXT:
        v = this.readBig(this.u8());
        break;
      case LARGE_BIG_EXT: {
        const n = this.u32();
        if (n > MAX_BIG_BYTES) this.fail(`integer of ${n} bytes is beyond OTP's limit`, at);
        v = this.readBig(n);
        break;
      }
      default:
        this.fail(`expected an integer, found tag ${tag}`, at);
    }
    if (v < MIN_SMALL || v > MAX_SMALL) this.fail('integer does not fit in a small', at);
    return v;
  }

  private readNewFunHeader(): FunHeader {
    const start = this.pos;
    const size = this.u32();
    const arity = this.u8();
    this.need(16);
    const uniq = this.bytes.slice(this.pos, this.pos + 16);
    this.pos += 16;
    const index = this.u32();
    const numFree = this.u32();
    const module = this.readAtom();
    // OTP keeps OldIndex and OldUniq as signed 32-bit values.
    const oldIndex = Number(BigInt.asIntN(32, this.readSmall()));
    const oldUniq = Number(BigInt.asIntN(32, this.readSmall()));
    const pid = this.readPid();
    return { old: false, numFree, start, size, arity, uniq, index, module, oldIndex, oldUniq, pid };
  }

  private readOldFunHeader(at: number): FunHeader {
    if (this.safe) this.fail('FUN_EXT is refused by safe decoding', at);
    const numFree = this.u32();
    const pid = this.readPid();
    const module = this.readAtom();
    const index = Number(BigInt.asIntN(32, this.readSmall()));
    const uniq = Number(BigInt.asIntN(32, this.readSmall()));
    return {
      old: true,
      numFree,
      start: 0,
      size: 0,
      arity: -1,
      uniq: new Uint8Array(0),
      index,
      module,
      oldIndex: index,
      oldUniq: uniq,
      pid,
    };
  }

  private makeFun(h: FunHeader, freeVars: ETerm[]): LocalFun {
    if (!h.old && this.pos - h.start !== h.size) {
      this.fail(`NEW_FUN_EXT says ${h.size} bytes but holds ${this.pos - h.start}`, h.start - 1);
    }
    return new LocalFun(h.module, h.arity, h.uniq, h.index, h.oldIndex, h.oldUniq, h.pid, freeVars);
  }

  private makeMap(keys: ETerm[], values: ETerm[], at: number): EMap {
    const n = keys.length;
    if (n > 1) {
      const seen = new Set<unknown>();
      for (let i = 0; i < n; i++) {
        const id = keyIdentity(keys[i]!);
        if (seen.has(id)) this.fail('map has a duplicate key', at);
        seen.add(id);
      }
    }
    return canonicalOrder(keys, values, this.hashEnv);
  }
}

/**
 * A value that is the same (SameValueZero) for two keys exactly when OTP 25
 * takes them for the same map key. Numbers stay numbers (so 0.0 and -0.0
 * meet, as in OTP 25), bigints and interned atoms stay themselves, anything
 * else becomes a string of its canonical encoding.
 */
function keyIdentity(k: ETerm): unknown {
  if (typeof k === 'bigint' || typeof k === 'number' || k instanceof Atom) return k;
  const w = new Writer(64);
  encodeTerm(w, k, true, false, true);
  let s = '';
  const b = w.buf;
  for (let i = 0; i < w.pos; i += 8192) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(i + 8192, w.pos)) as unknown as number[]);
  }
  return s;
}

function inflateTerm(
  bytes: Uint8Array,
  start: number,
  end: number,
  where: string,
  mustEnd: boolean,
): { data: Uint8Array; next: number } {
  const fail = (reason: string, at: number): never => {
    throw new BeamFormatError(where, at, reason);
  };
  if (end - start < 4) fail('truncated compressed term', start);
  const size = new DataView(bytes.buffer, bytes.byteOffset + start, 4).getUint32(0);
  if (size === 0) fail('compressed term of size 0', start);
  if (size > MAX_INFLATED) fail(`compressed term claims ${size} bytes, beyond ${MAX_INFLATED}`, start);
  const zstart = start + 4;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let status = -1;
  // windowBits 15 given explicitly: zlib format only, no gzip auto-detection.
  const inflator = new pako.Inflate({ windowBits: 15, chunkSize: Math.min(size + 1, 1 << 16) });
  inflator.onData = (chunk) => {
    const c = chunk as Uint8Array;
    total += c.length;
    if (total > size) fail(`compressed term inflates to more than the ${size} bytes it claims`, start);
    chunks.push(c.slice());
  };
  inflator.onEnd = (s) => {
    status = s;
  };
  inflator.push(bytes.subarray(zstart, end), true);
  if (status !== 0) fail(`bad compressed data${inflator.msg ? ': ' + inflator.msg : ''}`, zstart);
  if (total !== size) fail(`compressed term inflates to ${total} bytes, not the ${size} it claims`, start);
  const left = (inflator as unknown as { strm: { avail_in: number } }).strm.avail_in;
  if (mustEnd && left !== 0) fail('trailing bytes after compressed data', end - left);
  let data: Uint8Array;
  if (chunks.length === 1) {
    data = chunks[0]!;
  } else {
    data = new Uint8Array(size);
    let o = 0;
    for (const c of chunks) {
      data.set(c, o);
      o += c.length;
    }
  }
  return { data, next: end - left };
}

/** Decodes the term at `start`, which may be a compressed term (tag 80). */
function decodeAt(
  bytes: Uint8Array,
  start: number,
  end: number,
  where: string,
  opts: DecodeOptions | undefined,
  mustEnd: boolean,
): { term: ETerm; next: number } {
  const safe = opts?.safe === true;
  if (start < end && bytes[start] === COMPRESSED) {
    const { data, next } = inflateTerm(bytes, start + 1, end, where, mustEnd);
    const d = new Decoder(data, 0, data.length, where, 'in inflated data: ', safe, opts?.atomExists, opts?.hashEnv);
    const term = d.readTerm();
    if (d.pos !== data.length) d.fail(`${data.length - d.pos} bytes left after the term`);
    return { term, next };
  }
  const d = new Decoder(bytes, start, end, where, '', safe, opts?.atomExists, opts?.hashEnv);
  const term = d.readTerm();
  if (mustEnd && d.pos !== end) d.fail(`${end - d.pos} bytes left after the term`);
  return { term, next: d.pos };
}

/**
 * binary_to_term: `bytes` is a whole external term (version byte 131, then
 * a term or a compressed term), with nothing after it.
 */
export function decodeEtf(
  bytes: Uint8Array,
  opts?: DecodeOptions,
): ETerm {
  const where = opts?.where ?? 'etf';
  if (bytes.length === 0) throw new BeamFormatError(where, 0, 'empty external term');
  if (bytes[0] !== VERSION) throw new BeamFormatError(where, 0, `version byte ${bytes[0]}, not 131`);
  return decodeAt(bytes, 1, bytes.length, where, opts, true).term;
}

/**
 * Decodes one term (the bytes after the version byte; a compressed term is
 * accepted too) at the reader's position, and moves the reader past it.
 */
export function decodeEtfFrom(
  reader: ByteReader,
  opts?: Omit<DecodeOptions, 'where'>,
): ETerm {
  const { term, next } = decodeAt(reader.bytes, reader.pos, reader.end, reader.where, opts, false);
  reader.pos = next;
  return term;
}

// ---------------------------------------------------------------------------
// Encoding

class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  tagU32(tag: number, v: number): void {
    this.ensure(5);
    this.buf[this.pos] = tag;
    this.view.setUint32(this.pos + 1, v);
    this.pos += 5;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Encoded atoms (tag included), per mode: [minor 0/1, minor 2]. */
const atomCache: [Map<Atom, Uint8Array>, Map<Atom, Uint8Array>] = [new Map(), new Map()];

function atomBytes(a: Atom, utf8Only: boolean): Uint8Array {
  const cache = atomCache[utf8Only ? 1 : 0];
  let b = cache.get(a);
  if (b !== undefined) return b;
  const name = a.name;
  let latin1 = true;
  let chars = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff) latin1 = false;
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = name.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) {
        throw new TypeError(`atom name ${JSON.stringify(name)} is not valid Unicode`);
      }
      i++;
    }
    chars++;
  }
  if (chars > MAX_ATOM_CHARS) throw new RangeError(`atom '${name}' is longer than 255 characters`);
  if (latin1 && !utf8Only) {
    // Before minor version 2, term_to_binary writes Latin-1 atoms as ATOM_EXT.
    b = new Uint8Array(3 + name.length);
    b[0] = ATOM_EXT;
    b[1] = name.length >> 8;
    b[2] = name.length & 0xff;
    for (let i = 0; i < name.length; i++) b[3 + i] = name.charCodeAt(i);
  } else {
    const u = utf8Encoder.encode(name);
    if (u.length <= 255) {
      b = new Uint8Array(2 + u.length);
      b[0] = SMALL_ATOM_UTF8_EXT;
      b[1] = u.length;
      b.set(u, 2);
    } else {
      b = new Uint8Array(3 + u.length);
      b[0] = ATOM_UTF8_EXT;
      b[1] = u.length >> 8;
      b[2] = u.length & 0xff;
      b.set(u, 3);
    }
  }
  cache.set(a, b);
  return b;
}

function writeInteger(w: Writer, v: bigint): void {
  if (v >= 0n && v <= 255n) {
    w.ensure(2);
    w.buf[w.pos] = SMALL_INTEGER_EXT;
    w.buf[w.pos + 1] = Number(v);
    w.pos += 2;
    return;
  }
  if (v >= -2147483648n && v <= 2147483647n) {
    w.ensure(5);
    w.buf[w.pos] = INTEGER_EXT;
    w.view.setInt32(w.pos + 1, Number(v));
    w.pos += 5;
    return;
  }
  const neg = v < 0n;
  let hex = (neg ? -v : v).toString(16);
  if (hex.length & 1) hex = '0' + hex;
  const n = hex.length >> 1;
  if (n <= 255) {
    w.ensure(3 + n);
    w.buf[w.pos++] = SMALL_BIG_EXT;
    w.buf[w.pos++] = n;
  } else {
    w.ensure(6 + n);
    w.u8(LARGE_BIG_EXT);
    w.u32(n);
  }
  w.buf[w.pos++] = neg ? 1 : 0;
  // Little-endian digits: the last hex pair is the least significant byte.
  const buf = w.buf;
  let p = w.pos;
  for (let i = hex.length - 2; i >= 0; i -= 2) buf[p++] = parseInt(hex.substring(i, i + 2), 16);
  w.pos = p;
}

const floatScratch = new DataView(new ArrayBuffer(8));
const TEN_20 = 10n ** 20n;
const TEN_21 = 10n ** 21n;

/** C's printf("%.20e", x), exactly (round half to even on the exact binary value). */
function formatFloat20e(x: number): string {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  if (a === 0) return sign + '0.00000000000000000000e+00';
  floatScratch.setFloat64(0, a);
  const hi = floatScratch.getUint32(0);
  const lo = floatScratch.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) {
    e = -1074;
  } else {
    m |= 1n << 52n;
    e = bexp - 1075;
  }
  let exp10 = Math.floor(Math.log10(a));
  let q: bigint;
  for (;;) {
    // q = a * 10^(20 - exp10), rounded: 21 significant digits.
    let num = m;
    let den = 1n;
    if (e >= 0) num <<= BigInt(e);
    else den <<= BigInt(-e);
    const s = 20 - exp10;
    if (s >= 0) num *= 10n ** BigInt(s);
    else den *= 10n ** BigInt(-s);
    q = num / den;
    const twice = (num - q * den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
    if (q >= TEN_21) exp10++;
    else if (q < TEN_20) exp10--;
    else break;
  }
  const d = q.toString();
  const ae = Math.abs(exp10);
  return `${sign}${d[0]}.${d.slice(1)}e${exp10 < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
}

function writeFloat(w: Writer, f: number, text: boolean): void {
  if (!Number.isFinite(f)) throw new RangeError(`${f} is not an Erlang float`);
  if (text) {
    const s = formatFloat20e(f);
    w.ensure(32);
    w.buf[w.pos] = FLOAT_EXT;
    for (let i = 0; i < 31; i++) w.buf[w.pos + 1 + i] = i < s.length ? s.charCodeAt(i) : 0;
    w.pos += 32;
    return;
  }
  w.ensure(9);
  w.buf[w.pos] = NEW_FLOAT_EXT;
  w.view.setFloat64(w.pos + 1, f);
  w.pos += 9;
}

function isByteList(list: ETerm[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (typeof e !== 'bigint' || e < 0n || e > 255n) return false;
  }
  return true;
}

function checkU32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} ${v} is not a 32-bit unsigned integer`);
  return v;
}

function checkI32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`${what} ${v} is not a 32-bit integer`);
  return v;
}

function writePid(w: Writer, p: Pid, utf8Atoms: boolean): void {
  w.u8(NEW_PID_EXT);
  w.bytes(atomBytes(p.node, utf8Atoms));
  w.u32(checkU32(p.id, 'pid id'));
  w.u32(checkU32(p.serial, 'pid serial'));
  w.u32(checkU32(p.creation, 'pid creation'));
}

const EK_TUPLE = 0;
const EK_LIST = 1;
const EK_MAP = 2;
const EK_FUN = 3;

class EncFrame {
  i = 0;
  constructor(
    readonly kind: number,
    readonly arr: ETerm[],
    readonly n: number,
    /** Map values; an improper list's tail; unused otherwise. */
    readonly other: ETerm[] | null = null,
    readonly tail: ETerm | undefined = undefined,
    /** Where a fun's Size field is, to fill in at the end. */
    readonly patch = 0,
  ) {}
}

/** Writes `root` (no version byte). `normZero` writes -0.0 as 0.0 (for map key identity). */
function encodeTerm(
  w: Writer,
  root: ETerm,
  utf8Atoms: boolean,
  floatText: boolean,
  normZero: boolean,
  deterministic = false,
): void {
  const stack: EncFrame[] = [];
  let t: ETerm = root;
  for (;;) {
    if (typeof t === 'bigint') {
      writeInteger(w, t);
    } else if (typeof t === 'number') {
      writeFloat(w, normZero && t === 0 ? 0 : t, floatText);
    } else if (t instanceof Atom) {
      w.bytes(atomBytes(t, utf8Atoms));
    } else if (Array.isArray(t)) {
      const n = t.length;
      if (n === 0) {
        w.u8(NIL_EXT);
      } else if (n < 65536 && isByteList(t)) {
        w.ensure(3 + n);
        const buf = w.buf;
        let p = w.pos;
        buf[p++] = STRING_EXT;
        buf[p++] = n >> 8;
        buf[p++] = n & 0xff;
        for (let i = 0; i < n; i++) buf[p++] = Number(t[i] as bigint);
        w.pos = p;
      } else {
        w.tagU32(LIST_EXT, n);
        stack.push(new EncFrame(EK_LIST, t, n));
      }
    } else if (t instanceof Tuple) {
      const n = t.elements.length;
      if (n < 256) {
        w.u8(SMALL_TUPLE_EXT);
        w.u8(n);
      } else {
        w.tagU32(LARGE_TUPLE_EXT, n);
      }
      if (n > 0) stack.push(new EncFrame(EK_TUPLE, t.elements, n));
    } else if (t instanceof ImproperList) {
      // [a | [b | T]] is [a, b | T]; [a | []] is [a]: write what OTP would see.
      let items = t.items;
      let tail = t.tail;
      while (tail instanceof ImproperList || (Array.isArray(tail) && tail.length > 0)) {
        if (Array.isArray(tail)) {
          items = items.concat(tail);
          tail = [];
        } else {
          items = items.concat(tail.items);
          tail = tail.tail;
        }
      }
      if (Array.isArray(tail)) {
        t = items;
        continue;
      }
      if (items.length === 0) {
        t = tail;
        continue;
      }
      w.tagU32(LIST_EXT, items.length);
      stack.push(new EncFrame(EK_LIST, items, items.length, null, tail));
    } else if (t instanceof Bitstring) {
      const bitLength = t.bitLength;
      if (!Number.isInteger(bitLength) || bitLength < 0 || bitLength > t.bytes.length * 8) {
        throw new RangeError(`bitstring of ${t.bytes.length} bytes cannot hold ${bitLength} bits`);
      }
      const n = Math.ceil(bitLength / 8);
      const rest = bitLength & 7;
      if (n > 0xffffffff) throw new RangeError('binary too large');
      if (rest === 0) {
        w.tagU32(BINARY_EXT, n);
        w.bytes(t.bytes.subarray(0, n));
      } else {
        w.tagU32(BIT_BINARY_EXT, n);
        w.u8(rest);
        w.bytes(t.bytes.subarray(0, n));
        w.buf[w.pos - 1]! &= (0xff << (8 - rest)) & 0xff;
      }
    } else if (t instanceof EMap) {
      const n = t.keys.length;
      if (t.values.length !== n) throw new TypeError('map with different numbers of keys and values');
      w.tagU32(MAP_EXT, n);
      if (n > 0) {
        const { keys, values } = encodingOrder(t, deterministic);
        stack.push(new EncFrame(EK_MAP, keys, 2 * n, values));
      }
    } else if (t instanceof Pid) {
      writePid(w, t, utf8Atoms);
    } else if (t instanceof Port) {
      if (t.id < 0n || t.id >= 1n << 64n) throw new RangeError(`port id ${t.id} is not a 64-bit unsigned integer`);
      const big = t.id > NEW_PORT_MAX_ID;
      w.u8(big ? V4_PORT_EXT : NEW_PORT_EXT);
      w.bytes(atomBytes(t.node, utf8Atoms));
      if (big) {
        w.u32(Number(t.id >> 32n));
        w.u32(Number(t.id & 0xffffffffn));
      } else {
        w.u32(Number(t.id));
      }
      w.u32(checkU32(t.creation, 'port creation'));
    } else if (t instanceof Ref) {
      const n = t.ids.length;
      if (n > 0xffff) throw new RangeError('reference with too many id words');
      w.u8(NEWER_REFERENCE_EXT);
      w.u16(n);
      w.bytes(atomBytes(t.node, utf8Atoms));
      w.u32(checkU32(t.creation, 'reference creation'));
      for (let i = 0; i < n; i++) w.u32(checkU32(t.ids[i]!, 'reference id'));
    } else if (t instanceof ExportFun) {
      w.u8(EXPORT_EXT);
      w.bytes(atomBytes(t.module, utf8Atoms));
      w.bytes(atomBytes(t.name, utf8Atoms));
      writeInteger(w, BigInt(checkU32(t.arity, 'fun arity')));
    } else if (t instanceof LocalFun) {
      const n = t.freeVars.length;
      let patch = 0;
      if (t.arity === -1 && t.uniq.length === 0) {
        // Decoded from a FUN_EXT: write it back the same way.
        w.tagU32(FUN_EXT, n);
        writePid(w, t.pid, utf8Atoms);
        w.bytes(atomBytes(t.module, utf8Atoms));
        writeInteger(w, BigInt(checkI32(t.oldIndex, 'fun index')));
        writeInteger(w, BigInt(checkI32(t.oldUniq, 'fun uniq')));
      } else {
        if (!Number.isInteger(t.arity) || t.arity < 0 || t.arity > 255) throw new RangeError(`fun arity ${t.arity}`);
        if (t.uniq.length !== 16) throw new RangeError('a fun uniq has 16 bytes');
        w.u8(NEW_FUN_EXT);
        patch = w.pos;
        w.u32(0);
        w.u8(t.arity);
        w.bytes(t.uniq);
        w.u32(checkU32(t.index, 'fun index'));
        w.u32(n);
        w.bytes(atomBytes(t.module, utf8Atoms));
        writeInteger(w, BigInt(checkI32(t.oldIndex, 'fun old index')));
        writeInteger(w, BigInt(checkI32(t.oldUniq, 'fun old uniq')));
        writePid(w, t.pid, utf8Atoms);
        if (n === 0) w.view.setUint32(patch, w.pos - patch);
      }
      if (n > 0) stack.push(new EncFrame(EK_FUN, t.freeVars, n, null, undefined, patch));
    } else {
      throw new TypeError(`not an Erlang term: ${String(t)}`);
    }

    // Find the next term to write.
    for (;;) {
      const f = stack[stack.length - 1];
      if (f === undefined) return;
      if (f.i < f.n) {
        const i = f.i++;
        t = f.kind === EK_MAP ? (i & 1 ? f.other![i >> 1]! : f.arr[i >> 1]!) : f.arr[i]!;
        break;
      }
      stack.pop();
      if (f.kind === EK_LIST) {
        if (f.tail === undefined) {
          w.u8(NIL_EXT);
          continue;
        }
        t = f.tail;
        break;
      }
      if (f.kind === EK_FUN && f.patch !== 0) w.view.setUint32(f.patch, w.pos - f.patch);
    }
  }
}

/**
 * term_to_binary(Term, Opts): `compressed: true` is [compressed] (zlib
 * level 6), a number is {compressed, Level}; `minorVersion` defaults to 1
 * as in OTP 25.
 */
export function encodeEtf(
  term: ETerm,
  opts?: { compressed?: boolean | number; minorVersion?: 0 | 1 | 2; deterministic?: boolean },
): Uint8Array {
  const minor = opts?.minorVersion ?? 1;
  if (minor !== 0 && minor !== 1 && minor !== 2) throw new RangeError(`minor version ${String(minor)}`);
  const c = opts?.compressed;
  let level = -1;
  if (c === true) level = 6;
  else if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 0 || c > 9) throw new RangeError(`compression level ${c}`);
    level = c;
  }
  const w = new Writer(256);
  w.u8(VERSION);
  encodeTerm(w, term, minor === 2, minor === 0, false, opts?.deterministic === true);
  const plain = w.buf.subarray(0, w.pos);
  if (level >= 0) {
    const z = pako.deflate(plain.subarray(1), { level: level as pako.DeflateOptions['level'] });
    // OTP keeps the compressed form unless it is longer than the plain one.
    if (6 + z.length <= plain.length) {
      const out = new Uint8Array(6 + z.length);
      out[0] = VERSION;
      out[1] = COMPRESSED;
      new DataView(out.buffer).setUint32(2, plain.length - 1);
      out.set(z, 6);
      return out;
    }
  }
  return plain.slice();
}

/**
 * Decoded maps take the order the real VM iterates them in (which is how
 * ~w prints them): map-key order up to 32 keys, hash order above. When the
 * hash needs VM state we were not given (atom indices), the producer's own
 * order is the best guess: a plain term_to_binary writes a large map in
 * reverse iteration order.
 */
function canonicalOrder(keys: ETerm[], values: ETerm[], env: HashEnv): EMap {
  let order: number[];
  if (keys.length <= FLATMAP_LIMIT) {
    order = keys.map((_, i) => i).sort((a, b) => compareMapKeys(keys[a]!, keys[b]!));
  } else {
    try {
      order = mapIterationOrder(keys, env);
    } catch (e) {
      if (!(e instanceof VmDependentHash)) throw e;
      order = keys.map((_, i) => keys.length - 1 - i);
    }
  }
  return new EMap(order.map((i) => keys[i]!), order.map((i) => values[i]!));
}

/**
 * The order term_to_binary writes a map's entries in, given an EMap in
 * iteration order: as is up to 32 keys, reversed above (OTP walks the HAMT
 * with a stack); [deterministic] sorts every map by map-key order.
 */
function encodingOrder(m: EMap, deterministic: boolean): { keys: ETerm[]; values: ETerm[] } {
  const n = m.keys.length;
  if (deterministic) {
    const order = mapKeyOrder(m);
    return { keys: order.map((i) => m.keys[i]!), values: order.map((i) => m.values[i]!) };
  }
  if (n <= FLATMAP_LIMIT) return m;
  return { keys: [...m.keys].reverse(), values: [...m.values].reverse() };
}
