/**
 * The chunk parser against the real beam_lib, on every .beam file of the
 * installed OTP and Elixir, plus the file variants the installed compiler
 * does not write by default (gzip, the old Atom chunk, an uncompressed LitT).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import pako from 'pako';
import { compileSupportModule, elixirBeamFiles, erlEval, otpBeamFiles } from '../support/erl.js';
import { parseBeam, readChunks, type BeamFile } from '../../loader/beam_file.js';
import { disasmErlang } from '../../loader/disasm.js';
import { decodeCode } from '../../loader/code.js';
import { GENERIC_OPS, MAX_OPCODE } from '../../loader/genop.js';
import { Tuple, atom, type ETerm } from '../../loader/eterm.js';
import { writeTerm } from '../../vm/text/write.js';

const files = [...otpBeamFiles(), ...elixirBeamFiles()];
const reference = new Map<string, string>();

beforeAll(() => {
  const dir = compileSupportModule('chunks_ref');
  const list = join(dir, 'files.txt');
  writeFileSync(list, files.join('\n'));
  const out = execFileSync('erl', ['-noshell', '-pa', dir, '-run', 'chunks_ref', 'main', list], { maxBuffer: 1 << 26 });
  for (const line of out.toString('utf8').split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) reference.set(line.slice(space + 1), line.slice(0, space));
  }
});

const t = (...xs: ETerm[]): Tuple => new Tuple(xs);
const n = (x: number): bigint => BigInt(x);

/** The same term chunks_ref.erl builds from beam_lib, from our parse. */
function summary(beam: BeamFile): ETerm {
  const a = (i: number): ETerm => atom(beam.atoms[i - 1]!);
  const labeled = (entries: BeamFile['exports']): ETerm[] =>
    entries.map((e) => t(a(e.name), n(e.arity), n(e.label))).sort((x, y) => cmpLabeled(x as Tuple, y as Tuple));
  return t(
    beam.atoms.map((name, i) => t(n(i + 1), atom(name))),
    beam.imports.map((e, i) => t(n(i + 1), a(e.module), a(e.name), n(e.arity))),
    labeled(beam.exports),
    labeled(beam.locals),
    beam.attributes ?? atom('none'),
    beam.compileInfo ?? atom('none'),
  );
}

/** beam_lib sorts labeled exports/locals: by name (atom text), then arity, then label. */
function cmpLabeled(x: Tuple, y: Tuple): number {
  const [nx, ax, lx] = x.elements as [ETerm, bigint, bigint];
  const [ny, ay, ly] = y.elements as [ETerm, bigint, bigint];
  const sx = String(nx);
  const sy = String(ny);
  if (sx !== sy) return sx < sy ? -1 : 1;
  if (ax !== ay) return ax < ay ? -1 : 1;
  return lx < ly ? -1 : lx > ly ? 1 : 0;
}

const sha = (text: string): string => createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex').toUpperCase();

describe('chunk parser agrees with beam_lib', () => {
  it(`atoms, imports, exports, locals, attributes and compile info of ${files.length} files`, () => {
    expect(reference.size).toBe(files.length);
    const bad: string[] = [];
    for (const file of files) {
      if (sha(writeTerm(summary(parseBeam(readFileSync(file))))) !== reference.get(file)) bad.push(file);
    }
    expect(bad, `differ from beam_lib: ${bad.slice(0, 10).join(', ')}`).toEqual([]);
  });
});

describe('generic instruction table', () => {
  it('matches the installed compiler (beam_opcodes:opname/1) for every opcode it knows', () => {
    const out = erlEval(
      'io:format("~w~n", [[begin {N, A} = beam_opcodes:opname(I), {I, N, A} end || I <- lists:seq(1, 1000), ' +
        'try beam_opcodes:opname(I) of _ -> true catch _:_ -> false end]]), halt().',
    );
    const known = [...out.matchAll(/\{(\d+),'?([a-z_0-9]+)'?,(\d+)\}/g)].map((m) => [Number(m[1]), m[2], Number(m[3])]);
    expect(known.length).toBeGreaterThanOrEqual(180);
    for (const [opcode, name, arity] of known) {
      const op = GENERIC_OPS[opcode as number];
      expect(op?.name, `opcode ${opcode}`).toBe(name);
      expect(op?.arity, `arity of ${name}`).toBe(arity);
    }
    // Numbering has no gaps up to the newest opcode we know (OTP 28).
    for (let i = 1; i <= MAX_OPCODE; i++) expect(GENERIC_OPS[i], `opcode ${i}`).toBeDefined();
  });
});

describe('file variants', () => {
  const sample = otpBeamFiles().find((f) => f.endsWith('/lists.beam'))!;
  const original = new Uint8Array(readFileSync(sample));
  const listing = disasmErlang(parseBeam(original));

  it('whole-file gzip (erlc +compressed) loads to the same code', () => {
    expect(disasmErlang(parseBeam(pako.gzip(original)))).toBe(listing);
  });

  it('a file written by erlc +compressed agrees with beam_disasm', () => {
    const dir = compileSupportModule('disasm_ref');
    const source = fileURLToPath(new URL('../../fixtures/erlang/hello.erl', import.meta.url));
    execFileSync('erlc', ['+compressed', '-o', dir, source]);
    const compressed = join(dir, 'hello.beam');
    const bytes = readFileSync(compressed);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const want = execFileSync('erl', ['-noshell', '-pa', dir, '-run', 'disasm_ref', 'main', compressed, 'full']);
    expect(disasmErlang(parseBeam(bytes))).toBe(want.toString('latin1'));
  });

  it('the old Latin-1 Atom chunk reads like AtU8', () => {
    const renamed = rewriteChunk(original, 'AtU8', (data) => ({ id: 'Atom', data }));
    expect(disasmErlang(parseBeam(renamed))).toBe(listing);
  });

  it('an uncompressed literal table (size word 0) reads like the compressed one', () => {
    const litt = readChunks(original).find((c) => c.id === 'LitT')!;
    const table = pako.inflate(litt.data.subarray(4));
    const plain = rewriteChunk(original, 'LitT', () => ({ id: 'LitT', data: concat(new Uint8Array(4), table) }));
    expect(disasmErlang(parseBeam(plain))).toBe(listing);
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Rebuilds the IFF file with one chunk replaced. */
function rewriteChunk(file: Uint8Array, id: string, replace: (data: Uint8Array) => { id: string; data: Uint8Array }): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const c of readChunks(file)) {
    const { id: newId, data } = c.id === id ? replace(c.data) : c;
    const head = new Uint8Array(8);
    head.set([...newId].map((ch) => ch.charCodeAt(0)));
    new DataView(head.buffer).setUint32(4, data.length);
    parts.push(head, data, new Uint8Array((4 - (data.length % 4)) % 4));
  }
  const body = concat(new TextEncoder().encode('BEAM'), ...parts);
  const head = new Uint8Array(8);
  head.set(new TextEncoder().encode('FOR1'));
  new DataView(head.buffer).setUint32(4, body.length);
  return concat(head, body);
}

describe('Line chunk', () => {
  it('every line instruction resolves to the location erlc -S shows for it', () => {
    const dir = compileSupportModule('chunks_ref');
    const source = fileURLToPath(new URL('../../fixtures/erlang/lines.erl', import.meta.url));
    execFileSync('erlc', ['-o', dir, source]);
    execFileSync('erlc', ['-S', '-o', dir, source]);
    const listing = readFileSync(join(dir, 'lines.S'), 'utf8');
    const want = [...listing.matchAll(/\{line,\[(?:\{location,"([^"]*)",(\d+)\})?\]\}/g)].map((m) =>
      m[1] === undefined ? 'none' : `${m[1]}:${m[2]}`,
    );
    const beam = parseBeam(readFileSync(join(dir, 'lines.beam')));
    const lines = beam.lines!;
    const got = decodeCode(beam)
      .filter((i) => i.op.name === 'line')
      .map((i) => {
        const index = (i.args[0] as { value: number }).value;
        if (index === 0) return 'none';
        const item = lines.items[index]!;
        return `${item.file === 0 ? `${beam.module}.erl` : lines.fileNames[item.file - 1]}:${item.line}`;
      });
    expect(want.length).toBeGreaterThan(5);
    expect(got).toEqual(want);
    expect(lines.instructionCount).toBe(want.length);
  });
});
