/**
 * The "Type" chunk of a .beam file (OTP 25+), decoded into the same terms
 * OTP 25's `beam_types:decode_ext/1` returns, so the disassembler can print
 * `{tr, Reg, Type}` operands exactly as `beam_disasm:file/1` does.
 *
 * Chunk layout: `<<Version:32, Count:32, Entries/binary>>`, Version = 1,
 * followed by Count entries of 18 bytes each:
 *
 *   <<TypeBits:16/big, Min:64/big-unsigned, Max:64/big-unsigned>>
 *
 * An entry's type is the join of the base types whose bit is set in
 * TypeBits, folded in the order of EXT_TYPES below starting from `none`.
 * Min and Max are returned as read (unsigned); the compiler writes a
 * negative bound as its 64-bit two's complement, and 0 / 2^64-1 when there
 * is no range.
 *
 * Bits 13, 14 and 15 of TypeBits are unused. decode_ext only tests the 13
 * known bits, so an entry with any of the unused bits set decodes exactly as
 * if they were clear (checked against erl; see the test). We do the same.
 *
 * Scope: this is NOT a general implementation of the compiler's type
 * lattice. It handles only the 13 base types of the ext mapping (each one the
 * record with its default fields: `#t_atom{}` = `{t_atom,any}`, ...) and
 * what joining them can produce. In that small world:
 *   - every record field stays at its default (joins of `any` with `any`
 *     give `any`, gcd(1, 1) = 1, the default tuple has no record key), so a
 *     normal type is fully described by its name;
 *   - the only union ever joined is the accumulator, and it is always joined
 *     with a base (non-union) type, so union-with-union joins never happen.
 */
import { BeamFormatError } from './errors.js';
import { Atom, EMap, Tuple, type ETerm } from './eterm.js';

/** The version decode_ext's callers (beam_disasm) accept. */
export const BEAM_TYPES_VERSION = 1;
/** Bytes per entry: 16-bit TypeBits and two 64-bit bounds. */
export const TYPE_ENTRY_SIZE = 18;

/** Non-union types, each standing for its record with default fields. */
type Normal =
  | 'none'
  | 'any'
  | 'atom'
  | 'bitstring'
  | 'bs_context'
  | 'bs_matchable'
  | 'cons'
  | 'list'
  | 'nil'
  | 'float'
  | 'integer'
  | 'number'
  | 'fun'
  | 'map'
  | 'pid'
  | 'port'
  | 'reference'
  | 'tuple';

/** `#t_union{}`: one slot per kind; a slot not in use holds 'none'. */
interface Union {
  readonly atom: Normal;
  readonly list: Normal;
  readonly number: Normal;
  readonly tuple: Normal;
  readonly other: Normal;
}
type Slot = keyof Union;

type Type = Normal | Union;

const EMPTY_UNION: Union = { atom: 'none', list: 'none', number: 'none', tuple: 'none', other: 'none' };

/** TypeBits bit → base type, in the order decode_ext folds them. */
const EXT_TYPES: ReadonlyArray<readonly [number, Normal]> = [
  [1 << 0, 'atom'],
  [1 << 1, 'bitstring'],
  [1 << 2, 'bs_context'],
  [1 << 3, 'cons'],
  [1 << 4, 'float'],
  [1 << 5, 'fun'],
  [1 << 6, 'integer'],
  [1 << 7, 'map'],
  [1 << 8, 'nil'],
  [1 << 9, 'pid'],
  [1 << 10, 'port'],
  [1 << 11, 'reference'],
  [1 << 12, 'tuple'],
];

const BITSTRING_LIKE: ReadonlySet<Normal> = new Set(['bitstring', 'bs_context', 'bs_matchable']);
const LIST_LIKE: ReadonlySet<Normal> = new Set(['cons', 'list', 'nil']);
const NUMBER_LIKE: ReadonlySet<Normal> = new Set(['float', 'integer', 'number']);

/** Which union slot a (non-none, non-any) normal type lives in. */
function slotOf(t: Normal): Slot {
  if (t === 'atom') return 'atom';
  if (t === 'tuple') return 'tuple';
  if (LIST_LIKE.has(t)) return 'list';
  if (NUMBER_LIKE.has(t)) return 'number';
  return 'other';
}

/** Least upper bound of two normal types; unrelated types meet at 'any'. */
function lub(a: Normal, b: Normal): Normal {
  if (a === b || b === 'none') return a;
  if (a === 'none') return b;
  if (a === 'any' || b === 'any') return 'any';
  // bitstring ⊔ match context: something a binary match can start from.
  if (BITSTRING_LIKE.has(a) && BITSTRING_LIKE.has(b)) return 'bs_matchable';
  // cons ⊔ nil (or a list): a possibly empty list.
  if (LIST_LIKE.has(a) && LIST_LIKE.has(b)) return 'list';
  if (NUMBER_LIKE.has(a) && NUMBER_LIKE.has(b)) return 'number';
  return 'any';
}

/** A union with a single (or no) slot in use collapses to that slot's type. */
function shrink(u: Union): Type {
  if (u.other === 'any') return 'any';
  const used = (Object.keys(u) as Slot[]).filter((s) => u[s] !== 'none');
  if (used.length === 0) return 'none';
  if (used.length === 1) return u[used[0]!];
  return u;
}

/** `join(T, Acc)` where T is a base type and Acc the fold's accumulator. */
function join(t: Normal, acc: Type): Type {
  if (t === acc) return t;
  if (t === 'any' || acc === 'any') return 'any';
  if (acc === 'none') return t;
  if (t === 'none') return acc;
  const slot = slotOf(t);
  if (typeof acc === 'string') {
    const accSlot = slotOf(acc);
    // Same kind (or two 'other' types): no union, just the lub.
    if (accSlot === slot) return lub(t, acc);
    return { ...EMPTY_UNION, [accSlot]: acc, [slot]: t };
  }
  const merged = lub(acc[slot], t);
  if (slot === 'other' && merged === 'any') return 'any';
  const u: Union = { ...acc, [slot]: merged };
  // Only joining a tuple into a union goes through shrinking in beam_types;
  // with two or more slots in use it changes nothing, but keep the step.
  return slot === 'tuple' ? shrink(u) : u;
}

const A = (name: string): Atom => Atom.of(name);
const rec = (name: string, ...fields: ETerm[]): Tuple => new Tuple([A(name), ...fields]);

/** The Erlang term for a type, as beam_types represents it. */
function toTerm(t: Type): ETerm {
  if (typeof t !== 'string') {
    return rec('t_union', toTerm(t.atom), toTerm(t.list), toTerm(t.number), toTerm(t.tuple), toTerm(t.other));
  }
  const any = A('any');
  switch (t) {
    case 'atom':
      return rec('t_atom', any);
    case 'bitstring':
      return rec('t_bitstring', 1n);
    case 'bs_context':
      return rec('t_bs_context', 1n);
    case 'bs_matchable':
      return rec('t_bs_matchable', 1n);
    case 'cons':
      return rec('t_cons', any, any);
    case 'list':
      return rec('t_list', any, any);
    case 'float':
      return rec('t_float', any);
    case 'integer':
      return rec('t_integer', any);
    case 'fun':
      return rec('t_fun', any, any, any);
    case 'map':
      return rec('t_map', any, any);
    case 'tuple':
      return rec('t_tuple', 0n, A('false'), new EMap([], []));
    case 'none':
    case 'any':
    case 'nil':
    case 'number':
    case 'pid':
    case 'port':
    case 'reference':
      return A(t);
  }
}

function decodeEntryAt(bytes: Uint8Array, offset: number): Tuple {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, TYPE_ENTRY_SIZE);
  const bits = view.getUint16(0);
  let type: Type = 'none';
  for (const [bit, base] of EXT_TYPES) {
    if (bits & bit) type = join(base, type);
  }
  return new Tuple([toTerm(type), view.getBigUint64(2), view.getBigUint64(10)]);
}

/** One 18-byte entry → `{Type, Min, Max}`, as `beam_types:decode_ext/1`. */
export function decodeTypeEntry(bytes: Uint8Array): ETerm {
  if (bytes.length !== TYPE_ENTRY_SIZE) {
    throw new BeamFormatError('Type', 0, `a type entry is ${TYPE_ENTRY_SIZE} bytes, got ${bytes.length}`);
  }
  return decodeEntryAt(bytes, 0);
}

/**
 * The whole Type chunk → one `{Type, Min, Max}` per entry, indexed as the
 * typed-register operands refer to them. Anything beam_disasm would crash
 * on (short header, version other than 1, a partial entry, a count that
 * does not match the entries) throws BeamFormatError.
 */
export function decodeTypeChunk(bytes: Uint8Array): ETerm[] {
  if (bytes.length < 8) {
    throw new BeamFormatError('Type', 0, `chunk is ${bytes.length} bytes, shorter than its 8-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(0);
  if (version !== BEAM_TYPES_VERSION) {
    throw new BeamFormatError('Type', 0, `unsupported type version ${version} (expected ${BEAM_TYPES_VERSION})`);
  }
  const count = view.getUint32(4);
  const tableSize = bytes.length - 8;
  const partial = tableSize % TYPE_ENTRY_SIZE;
  if (partial !== 0) {
    throw new BeamFormatError(
      'Type',
      bytes.length - partial,
      `${partial} trailing bytes do not make a ${TYPE_ENTRY_SIZE}-byte entry`,
    );
  }
  const entries = tableSize / TYPE_ENTRY_SIZE;
  if (entries !== count) {
    throw new BeamFormatError('Type', 4, `header says ${count} entries, the table holds ${entries}`);
  }
  const out: ETerm[] = [];
  for (let i = 0; i < entries; i++) out.push(decodeEntryAt(bytes, 8 + i * TYPE_ENTRY_SIZE));
  return out;
}
