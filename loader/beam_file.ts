/**
 * Parses a .beam file: the IFF container (`FOR1` size `BEAM`, then chunks
 * padded to four bytes) and every chunk the VM or the disassembler reads.
 * Pure: bytes in, a BeamFile out, or a BeamFormatError naming the chunk and
 * the offset. Whole-file gzip (`erlc +compressed`) is undone first.
 */
import pako from 'pako';
import { BeamFormatError } from './errors.js';
import { ByteReader } from './reader.js';
import { readOperand, readUnsigned } from './compact.js';
import { decodeEtf } from './etf.js';
import { decodeTypeChunk } from './beam_types.js';
import { MAX_OPCODE } from './genop.js';
import type { ETerm } from './eterm.js';

export interface Chunk {
  readonly id: string;
  /** Offset of the chunk's data in the (decompressed) file. */
  readonly offset: number;
  readonly data: Uint8Array;
}

export interface CodeHeader {
  readonly headerSize: number;
  readonly instructionSet: number;
  readonly maxOpcode: number;
  readonly labelCount: number;
  readonly functionCount: number;
  /** The whole Code chunk's data. */
  readonly data: Uint8Array;
  /** Where the instruction stream starts inside `data` (after the header). */
  readonly codeOffset: number;
}

export interface ImportEntry {
  readonly module: number;
  readonly name: number;
  readonly arity: number;
}

export interface ExportEntry {
  readonly name: number;
  readonly arity: number;
  readonly label: number;
}

export interface LambdaEntry {
  readonly name: number;
  readonly arity: number;
  readonly label: number;
  readonly index: number;
  readonly numFree: number;
  readonly oldUniq: number;
}

/** A Line chunk item: a line number in a file (0 = the module's own source). */
export interface LineItem {
  readonly file: number;
  readonly line: number;
}

export interface LineTable {
  readonly version: number;
  readonly flags: number;
  readonly instructionCount: number;
  /** Item 0 is the "no line information" entry; items are indexed by `line` operands. */
  readonly items: LineItem[];
  readonly fileNames: string[];
}

export interface BeamFile {
  /** Atom names; `atoms[0]` is the module name (index 1 in the file). */
  readonly atoms: string[];
  readonly module: string;
  readonly code: CodeHeader;
  readonly strings: Uint8Array;
  readonly imports: ImportEntry[];
  readonly exports: ExportEntry[];
  readonly locals: ExportEntry[];
  readonly lambdas: LambdaEntry[];
  readonly literals: ETerm[];
  readonly attributes: ETerm | undefined;
  readonly compileInfo: ETerm | undefined;
  readonly lines: LineTable | undefined;
  readonly types: ETerm[] | undefined;
  readonly meta: ETerm | undefined;
  /** Every chunk, in file order, including those not interpreted. */
  readonly chunks: Chunk[];
}

/** Largest decompressed size accepted for a gzipped file or a literal table. */
const MAX_INFLATED = 1 << 30;

const GZIP_MAGIC = [0x1f, 0x8b];

/** Splits the file into chunks without interpreting them. */
export function readChunks(input: Uint8Array): Chunk[] {
  const bytes = input[0] === GZIP_MAGIC[0] && input[1] === GZIP_MAGIC[1] ? gunzip(input) : input;
  const r: ByteReader = new ByteReader(bytes, 'file');
  if (r.remaining < 12) r.fail('too short to be a .beam file');
  if (r.tag() !== 'FOR1') r.fail('not an IFF file (no FOR1 header)', 0);
  const formSize = r.u32();
  if (formSize > r.remaining) r.fail(`FOR1 size ${formSize} exceeds the file (${r.remaining} bytes left)`, 4);
  const end = 8 + formSize;
  if (r.tag() !== 'BEAM') r.fail('not a BEAM file (form type is not BEAM)', 8);
  const chunks: Chunk[] = [];
  const cr: ByteReader = new ByteReader(bytes, 'file', r.pos, end);
  while (cr.remaining >= 8) {
    const at = cr.pos;
    const id = cr.tag();
    const size = cr.u32();
    if (size > cr.remaining) cr.fail(`chunk ${JSON.stringify(id)} of ${size} bytes runs past the end`, at);
    const offset = cr.pos;
    chunks.push({ id, offset, data: cr.take(size) });
    cr.pos = Math.min(end, cr.pos + ((4 - (size % 4)) % 4));
  }
  return chunks;
}

function gunzip(bytes: Uint8Array): Uint8Array {
  return inflateBounded(bytes, 'file', (data) => pako.ungzip(data));
}

/** Runs a pako decompression, turning its failures into BeamFormatError. */
function inflateBounded(data: Uint8Array, where: string, run: (d: Uint8Array) => Uint8Array): Uint8Array {
  let out: Uint8Array;
  try {
    out = run(data);
  } catch (e) {
    throw new BeamFormatError(where, 0, `bad compressed data (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!(out instanceof Uint8Array)) throw new BeamFormatError(where, 0, 'bad compressed data');
  if (out.length > MAX_INFLATED) throw new BeamFormatError(where, 0, 'decompressed data too large');
  return out;
}

/** Parses a whole .beam file. */
export function parseBeam(input: Uint8Array): BeamFile {
  const chunks = readChunks(input);
  const find = (...ids: string[]): Chunk | undefined => {
    for (const id of ids) {
      const c = chunks.find((ch) => ch.id === id);
      if (c) return c;
    }
    return undefined;
  };
  const required = (id: string): Chunk => {
    const c = find(id);
    if (!c) throw new BeamFormatError('file', 0, `missing required chunk ${id}`);
    return c;
  };

  const atomChunk = find('AtU8', 'Atom');
  if (!atomChunk) throw new BeamFormatError('file', 0, 'missing atom chunk (AtU8 or Atom)');
  const atoms = parseAtoms(atomChunk);
  const atomAt = (index: number, where: string, at: number): number => {
    if (index < 1 || index > atoms.length) throw new BeamFormatError(where, at, `atom index ${index} out of range`);
    return index;
  };

  const codeChunk = required('Code');
  const strT = find('StrT');
  const optionalEtf = (id: string): ETerm | undefined => {
    const c = find(id);
    return c ? chunkEtf(c) : undefined;
  };
  const typeChunk = find('Type');
  const lineChunk = find('Line');
  return {
    atoms,
    module: atoms[0]!,
    code: parseCodeHeader(codeChunk),
    strings: strT ? strT.data : new Uint8Array(0),
    imports: parseTable(find('ImpT'), 3, (w, at) => ({
      module: atomAt(w[0]!, 'ImpT', at),
      name: atomAt(w[1]!, 'ImpT', at),
      arity: w[2]!,
    })),
    exports: parseTable(find('ExpT'), 3, (w, at) => ({ name: atomAt(w[0]!, 'ExpT', at), arity: w[1]!, label: w[2]! })),
    locals: parseTable(find('LocT'), 3, (w, at) => ({ name: atomAt(w[0]!, 'LocT', at), arity: w[1]!, label: w[2]! })),
    lambdas: parseTable(find('FunT'), 6, (w, at) => ({
      name: atomAt(w[0]!, 'FunT', at),
      arity: w[1]!,
      label: w[2]!,
      index: w[3]!,
      numFree: w[4]!,
      oldUniq: w[5]!,
    })),
    literals: parseLiterals(find('LitT')),
    attributes: optionalEtf('Attr'),
    compileInfo: optionalEtf('CInf'),
    lines: lineChunk ? parseLines(lineChunk) : undefined,
    types: typeChunk ? relocate(typeChunk, () => decodeTypeChunk(typeChunk.data)) : undefined,
    meta: optionalEtf('Meta'),
    chunks,
  };
}

/** Runs `parse`, re-locating a BeamFormatError from chunk-relative to the chunk's name. */
function relocate<T>(chunk: Chunk, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof BeamFormatError && e.where !== chunk.id) throw e.within(chunk.id, 0);
    throw e;
  }
}

function chunkEtf(chunk: Chunk): ETerm {
  return decodeEtf(chunk.data, { where: chunk.id });
}

/**
 * AtU8 (UTF-8) or Atom (Latin-1): a count, then each atom as a length and its
 * bytes. OTP 28 writes a negative count when lengths are compact-encoded
 * (atoms of up to 255 characters can exceed 255 bytes in UTF-8).
 */
function parseAtoms(chunk: Chunk): string[] {
  const r: ByteReader = new ByteReader(chunk.data, chunk.id);
  let count = r.i32();
  const compactLengths = count < 0;
  if (compactLengths) count = -count;
  if (count > r.remaining) r.fail(`atom count ${count} exceeds the chunk`, 0);
  const utf8 = chunk.id === 'AtU8';
  const decoder = new TextDecoder(utf8 ? 'utf-8' : 'latin1', { fatal: true });
  const atoms: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const len = compactLengths ? readUnsigned(r) : r.u8();
    const bytes = r.take(len);
    let name: string;
    try {
      name = decoder.decode(bytes);
    } catch {
      r.fail('atom is not valid UTF-8', at);
    }
    if ([...name].length > 255) r.fail('atom longer than 255 characters', at);
    atoms.push(name);
  }
  if (atoms.length === 0) r.fail('no atoms (the module name is atom 1)', 0);
  return atoms;
}

function parseCodeHeader(chunk: Chunk): CodeHeader {
  const r: ByteReader = new ByteReader(chunk.data, 'Code');
  const headerSize = r.u32();
  if (headerSize < 16 || headerSize > r.remaining) r.fail(`bad header size ${headerSize}`, 0);
  const instructionSet = r.u32();
  if (instructionSet !== 0) r.fail(`unknown instruction set ${instructionSet}`, 4);
  const maxOpcode = r.u32();
  if (maxOpcode > MAX_OPCODE) r.fail(`uses opcode ${maxOpcode}; this VM knows up to ${MAX_OPCODE}`, 8);
  const labelCount = r.u32();
  const functionCount = r.u32();
  const codeOffset = 4 + headerSize;
  return {
    headerSize,
    instructionSet,
    maxOpcode,
    labelCount,
    functionCount,
    data: chunk.data,
    codeOffset,
  };
}

/** A count, then `count` rows of `width` 32-bit words. */
function parseTable<T>(chunk: Chunk | undefined, width: number, row: (words: number[], at: number) => T): T[] {
  if (!chunk) return [];
  const r: ByteReader = new ByteReader(chunk.data, chunk.id);
  const count = r.u32();
  if (count * width * 4 > r.remaining) r.fail(`${count} entries do not fit in the chunk`, 0);
  const out: T[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const words: number[] = [];
    for (let j = 0; j < width; j++) words.push(r.u32());
    out.push(row(words, at));
  }
  return out;
}

/**
 * LitT: the uncompressed size, then zlib data holding a count and each
 * literal as a size and an external-format term. A size of 0 means the
 * table is stored uncompressed (as newer compilers write it).
 */
function parseLiterals(chunk: Chunk | undefined): ETerm[] {
  if (!chunk) return [];
  const head: ByteReader = new ByteReader(chunk.data, 'LitT');
  const size = head.u32();
  let table: Uint8Array;
  if (size === 0) {
    table = chunk.data.subarray(4);
  } else {
    if (size > MAX_INFLATED) head.fail(`literal table of ${size} bytes is too large`, 0);
    table = inflateBounded(chunk.data.subarray(4), 'LitT', (d) => pako.inflate(d));
    if (table.length !== size) head.fail(`literal table inflates to ${table.length} bytes, header says ${size}`, 0);
  }
  const r: ByteReader = new ByteReader(table, 'LitT');
  const count = r.u32();
  if (count * 4 > r.remaining) r.fail(`${count} literals do not fit in the table`, 0);
  const literals: ETerm[] = [];
  for (let i = 0; i < count; i++) {
    const len = r.u32();
    const at = r.pos;
    const bytes = r.take(len);
    try {
      literals.push(decodeEtf(bytes, { where: 'LitT' }));
    } catch (e) {
      if (e instanceof BeamFormatError) throw e.within('LitT', at);
      throw e;
    }
  }
  return literals;
}

/**
 * Line: version, flags, number of line instructions, number of items,
 * number of file names; then the items in the compact encoding (an `i` is a
 * line number in the current file, an `a` switches the current file), then
 * each file name as a 16-bit length and its bytes.
 */
function parseLines(chunk: Chunk): LineTable {
  const r: ByteReader = new ByteReader(chunk.data, 'Line');
  const version = r.u32();
  if (version !== 0) r.fail(`unsupported Line chunk version ${version}`, 0);
  const flags = r.u32();
  const instructionCount = r.u32();
  const itemCount = r.u32();
  const nameCount = r.u32();
  if (itemCount > r.remaining || nameCount * 2 > r.remaining) r.fail('counts exceed the chunk', 12);
  const items: LineItem[] = [{ file: 0, line: 0 }];
  let file = 0;
  while (items.length <= itemCount) {
    const at = r.pos;
    const op = readOperand(r);
    if (op.kind === 'i') {
      if (op.value < 0n || op.value > 0x7fffffffn) r.fail('line number out of range', at);
      items.push({ file, line: Number(op.value) });
    } else if (op.kind === 'a') {
      if (op.value > nameCount) r.fail(`file index ${op.value} out of range`, at);
      file = op.value;
    } else {
      r.fail(`unexpected operand ${op.kind} in line table`, at);
    }
  }
  const decoder = new TextDecoder('utf-8');
  const fileNames: string[] = [];
  for (let i = 0; i < nameCount; i++) fileNames.push(decoder.decode(r.take(r.u16())));
  return { version, flags, instructionCount, items, fileNames };
}
