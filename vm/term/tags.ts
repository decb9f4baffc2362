/**
 * The term tag scheme: the only place in beamjs that knows how a 32-bit term
 * word is laid out. Every other module uses these functions and constants.
 *
 * A term is one 32-bit word (held in JS as a number; pointers can have the
 * top bit set, so compare and shift them as unsigned with `>>> 0`/`>>> 2`).
 *
 *   primary tag (low 2 bits)
 *   ........................................00   header word (first word of a boxed object)
 *   pppppppppppppppppppppppppppppp01   cons pointer: word index p, head then tail
 *   pppppppppppppppppppppppppppppp10   boxed pointer: word index p of a header
 *   ..............................11   immediate
 *
 *   immediate-1 (low 4 bits)
 *   iiiiiiiiiiiiiiiiiiiiiiiiiiii0011   local pid (28 bits: number 15, serial 13)
 *   iiiiiiiiiiiiiiiiiiiiiiiiiiii0111   local port (28 bits)
 *   vvvvvvvvvvvvvvvvvvvvvvvvvvvv1111   small integer, 28-bit two's complement
 *   ............................1011   immediate-2, below
 *
 *   immediate-2 (low 6 bits)
 *   aaaaaaaaaaaaaaaaaaaaaaaaaa001011   atom (26-bit index into the atom table)
 *   cccccccccccccccccccccccccc011011   catch (index into the catch table)
 *   00000000000000000000000000111011   [] (nil)
 *   00000000000000000000000000000000   THE_NON_VALUE (a header word never held as a value)
 *
 *   header word
 *   aaaaaaaaaaaaaaaaaaaaaaaaaassss00   arity a (words that follow, 26 bits), subtag s
 *
 *   subtags (s)
 *   0000 tuple (arity = element count)       1000 reference-counted binary (ProcBin)
 *   0001 binary match state                  1001 heap binary (≤ 64 bytes)
 *   0010 positive bignum                      1010 sub-binary
 *   0011 negative bignum                      1011 (unused)
 *   0100 reference                            1100 external pid
 *   0101 fun                                  1101 external port
 *   0110 float (two words: an IEEE double)    1110 external reference
 *   0111 export (a fun M:F/A)                 1111 map
 *
 *   map header word (subtag 1111): the arity field is split as in OTP's erl_map.h
 *   vvvvvvvvvvvvvvvvaaaaaaaakk111100
 *   k  kind: 00 flatmap, 01 HAMT node, 10 HAMT head with all 16 children, 11 HAMT head (bitmap)
 *   a  8 bits: 1 for a flatmap or a head (their size word), 0 for a node
 *   v  16 bits: a HAMT node's or head's child bitmap (0xffff for a full head); 0 for a flatmap
 *   (object sizes: flatmap 3 + size, head 2 + popcount(v), node 1 + popcount(v); see vm/term/build.ts)
 */

export type Term = number;

// ---- primary tags ----------------------------------------------------------
export const TAG_PRIMARY_MASK = 0x3;
export const TAG_PRIMARY_HEADER = 0x0;
export const TAG_PRIMARY_LIST = 0x1;
export const TAG_PRIMARY_BOXED = 0x2;
export const TAG_PRIMARY_IMMED1 = 0x3;

// ---- immediate-1 -----------------------------------------------------------
const IMMED1_MASK = 0xf;
const IMMED1_PID = 0x3;
const IMMED1_PORT = 0x7;
const IMMED1_IMMED2 = 0xb;
const IMMED1_SMALL = 0xf;

// ---- immediate-2 -----------------------------------------------------------
const IMMED2_MASK = 0x3f;
const IMMED2_ATOM = 0x0b;
const IMMED2_CATCH = 0x1b;

export const NIL: Term = 0x3b;
export const THE_NON_VALUE: Term = 0;

// ---- small integers --------------------------------------------------------
export const SMALL_BITS = 28;
export const MAX_SMALL = 2 ** (SMALL_BITS - 1) - 1; // 134217727
export const MIN_SMALL = -(2 ** (SMALL_BITS - 1)); // -134217728

export const isSmall = (t: Term): boolean => (t & IMMED1_MASK) === IMMED1_SMALL;
/** Only for values with MIN_SMALL <= n <= MAX_SMALL (see fitsSmall). */
export const makeSmall = (n: number): Term => (n << 4) | IMMED1_SMALL;
export const smallVal = (t: Term): number => t >> 4;
export const fitsSmall = (n: number): boolean => n >= MIN_SMALL && n <= MAX_SMALL && Number.isInteger(n);

// ---- atoms, nil, catches ---------------------------------------------------
export const MAX_ATOM_INDEX = 2 ** 26 - 1;
export const isAtom = (t: Term): boolean => (t & IMMED2_MASK) === IMMED2_ATOM;
export const makeAtom = (index: number): Term => (index << 6) | IMMED2_ATOM;
export const atomVal = (t: Term): number => t >>> 6;
export const isNil = (t: Term): boolean => t === NIL;
export const isCatch = (t: Term): boolean => (t & IMMED2_MASK) === IMMED2_CATCH;
export const makeCatch = (index: number): Term => (index << 6) | IMMED2_CATCH;
export const catchVal = (t: Term): number => t >>> 6;
export const isImmed2 = (t: Term): boolean => (t & IMMED1_MASK) === IMMED1_IMMED2;

// ---- local pids and ports --------------------------------------------------
export const PID_NUMBER_BITS = 15;
export const PID_SERIAL_BITS = 13;
export const isLocalPid = (t: Term): boolean => (t & IMMED1_MASK) === IMMED1_PID;
/** `number` < 2^15, `serial` < 2^13, as in `<0.number.serial>`. */
export const makeLocalPid = (number: number, serial: number): Term =>
  (((serial << PID_NUMBER_BITS) | number) << 4) | IMMED1_PID;
export const pidData = (t: Term): number => t >>> 4;
/** The local pid whose pidData is `d` (tables that keep pids as numbers). */
export const pidOfData = (d: number): Term => (d << 4) | IMMED1_PID;
export const pidNumber = (t: Term): number => (t >>> 4) & ((1 << PID_NUMBER_BITS) - 1);
export const pidSerial = (t: Term): number => t >>> (4 + PID_NUMBER_BITS);
export const isLocalPort = (t: Term): boolean => (t & IMMED1_MASK) === IMMED1_PORT;
export const makeLocalPort = (number: number): Term => (number << 4) | IMMED1_PORT;
export const portNumber = (t: Term): number => t >>> 4;

export const isImmediate = (t: Term): boolean => (t & TAG_PRIMARY_MASK) === TAG_PRIMARY_IMMED1;

// ---- pointers --------------------------------------------------------------
/** The largest word index a pointer can hold: 2^30 words, i.e. 4 GiB of memory. */
export const MAX_WORD_INDEX = 2 ** 30 - 1;
export const isList = (t: Term): boolean => (t & TAG_PRIMARY_MASK) === TAG_PRIMARY_LIST;
export const isBoxed = (t: Term): boolean => (t & TAG_PRIMARY_MASK) === TAG_PRIMARY_BOXED;
export const makeList = (wordIndex: number): Term => ((wordIndex << 2) | TAG_PRIMARY_LIST) | 0;
export const makeBoxed = (wordIndex: number): Term => ((wordIndex << 2) | TAG_PRIMARY_BOXED) | 0;
/** Word index of a cons cell (head at it, tail at it + 1) or of a boxed object's header. */
export const ptrVal = (t: Term): number => t >>> 2;

// ---- headers ---------------------------------------------------------------
export const SUB_TUPLE = 0x0;
export const SUB_MATCH_STATE = 0x1;
export const SUB_POS_BIG = 0x2;
export const SUB_NEG_BIG = 0x3;
export const SUB_REF = 0x4;
export const SUB_FUN = 0x5;
export const SUB_FLOAT = 0x6;
export const SUB_EXPORT = 0x7;
export const SUB_REFC_BINARY = 0x8;
export const SUB_HEAP_BINARY = 0x9;
export const SUB_SUB_BINARY = 0xa;
export const SUB_EXTERNAL_PID = 0xc;
export const SUB_EXTERNAL_PORT = 0xd;
export const SUB_EXTERNAL_REF = 0xe;
export const SUB_MAP = 0xf;

export const MAX_ARITY = 2 ** 26 - 1;
/** A word read from memory at the start of a boxed object (the empty tuple's header is 0). */
export const isHeader = (w: number): boolean => (w & TAG_PRIMARY_MASK) === TAG_PRIMARY_HEADER;
export const makeHeader = (arity: number, subtag: number): number => (arity << 6) | (subtag << 2);
export const headerArity = (w: number): number => w >>> 6;
export const headerSubtag = (w: number): number => (w >>> 2) & 0xf;
/** The empty tuple's header is 0, the same bits as THE_NON_VALUE; headers only sit in memory, never in registers. */
export const TUPLE0_HEADER = makeHeader(0, SUB_TUPLE);

/** Header words of floats never change: arity 2, float subtag. */
export const FLOAT_HEADER = makeHeader(2, SUB_FLOAT);

/** Largest size of a binary kept on the process heap; larger ones live off-heap. */
export const HEAP_BINARY_LIMIT = 64;

// ---- map headers (see the diagram at the top) ------------------------------
export const MAP_KIND_FLAT = 0x0;
export const MAP_KIND_HAMT_NODE = 0x1;
export const MAP_KIND_HAMT_HEAD_ARRAY = 0x2;
export const MAP_KIND_HAMT_HEAD_BITMAP = 0x3;
/** A map header: kind (2 bits), arity (8 bits), val (16 bits: the child bitmap). */
export const makeMapHeader = (kind: number, arity: number, val: number): number =>
  ((val << 16) | (arity << 8) | (kind << 6) | (SUB_MAP << 2)) | 0;
export const mapHeaderKind = (w: number): number => (w >>> 6) & 0x3;
export const mapHeaderArity = (w: number): number => (w >>> 8) & 0xff;
export const mapHeaderVal = (w: number): number => w >>> 16;
/** The header of every flatmap: its size is in the next word. */
export const FLATMAP_HEADER = makeMapHeader(MAP_KIND_FLAT, 1, 0);
/** The header of a HAMT head (the root, followed by the map's size) with these children. */
export const makeHamtHeadHeader = (bitmap: number): number =>
  makeMapHeader(bitmap === 0xffff ? MAP_KIND_HAMT_HEAD_ARRAY : MAP_KIND_HAMT_HEAD_BITMAP, 1, bitmap);
/** The header of an inner HAMT node with these children. */
export const makeHamtNodeHeader = (bitmap: number): number => makeMapHeader(MAP_KIND_HAMT_NODE, 0, bitmap);
