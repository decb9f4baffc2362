/**
 * `disasm --erlang` against the real beam_disasm, on every .beam file of the
 * installed OTP and Elixir. The reference is computed by the real erl during
 * the run (test/support/disasm_ref.erl): a SHA-256 of the exact bytes the
 * issue's snippet prints per file, or ERROR where beam_disasm fails.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { compileSupportModule, elixirBeamFiles, otpBeamFiles } from '../support/erl.js';
import { parseBeam } from '../../loader/beam_file.js';
import { disasmErlang, type DisasmOptions } from '../../loader/disasm.js';
import { internalHash } from '../../loader/eterm_hash.js';
import { atom } from '../../loader/eterm.js';

const otp = otpBeamFiles();
const elixir = elixirBeamFiles();
const reference = new Map<string, string>(); // path → hash or 'ERROR'
const atomHashes = new Map<string, Map<string, number>>(); // path → atom name → erl's internal hash
let atomCount = 0;
let refDir = '';

function expectedText(file: string): string {
  return execFileSync('erl', ['-noshell', '-pa', refDir, '-run', 'disasm_ref', 'main', file, 'full'], {
    maxBuffer: 1 << 30,
  }).toString('latin1');
}

/**
 * The reference VM's atom indices for the atoms its map hash needed, found by
 * searching for the index whose hash is the one erl printed.
 */
function hashEnvFor(file: string): DisasmOptions {
  const hashes = atomHashes.get(file);
  if (!hashes) return {};
  const indices = new Map<string, number>();
  for (const [name, hash] of hashes) {
    for (let i = 0; i < atomCount; i++) {
      if (internalHash(atom(name), 0, { atomIndex: () => i }) === hash) {
        indices.set(name, i);
        break;
      }
    }
  }
  return { hashEnv: { atomIndex: (a) => indices.get(a.name) ?? -1 } };
}

function render(file: string): string {
  return disasmErlang(parseBeam(readFileSync(file)), hashEnvFor(file));
}

function ours(file: string): string {
  try {
    const text = render(file);
    return createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex').toUpperCase();
  } catch {
    return 'ERROR';
  }
}

/** The first line where our text and erl's differ, for the failure message. */
function firstDifference(file: string): string {
  const want = expectedText(file).split('\n');
  let got: string[];
  try {
    got = render(file).split('\n');
  } catch (e) {
    return `${file}: beamjs failed: ${(e as Error).message}`;
  }
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] !== got[i]) return `${file}:${i + 1}\n  erl:    ${want[i]}\n  beamjs: ${got[i]}`;
  }
  return `${file}: same text, different hash?`;
}

beforeAll(() => {
  refDir = compileSupportModule('disasm_ref');
  const list = join(refDir, 'files.txt');
  writeFileSync(list, [...otp, ...elixir].join('\n'));
  const out = execFileSync('erl', ['-noshell', '-pa', refDir, '-run', 'disasm_ref', 'main', list], {
    maxBuffer: 1 << 28,
  }).toString('utf8');
  for (const line of out.split('\n')) {
    const m = /^(OK|ERROR) (?:([0-9A-F]{64}) )?(.*)$/.exec(line);
    if (m) reference.set(m[3]!, m[1] === 'OK' ? m[2]! : 'ERROR');
    const h = /^HASH (.*) ([0-9A-F]*) (\d+)$/.exec(line);
    if (h) {
      const name = Buffer.from(h[2]!, 'hex').toString('utf8');
      if (!atomHashes.has(h[1]!)) atomHashes.set(h[1]!, new Map());
      atomHashes.get(h[1]!)!.set(name, Number(h[3]));
    }
    const c = /^ATOMCOUNT (\d+)$/.exec(line);
    if (c) atomCount = Number(c[1]);
  }
});

function checkAll(files: string[]): void {
  expect(reference.size).toBeGreaterThan(0);
  expect(atomCount).toBeGreaterThan(0);
  const mismatches: string[] = [];
  for (const file of files) {
    const want = reference.get(file);
    expect(want, `erl gave no reference for ${file}`).toBeDefined();
    if (ours(file) !== want) mismatches.push(file);
  }
  const details = mismatches.slice(0, 5).map(firstDifference).join('\n');
  expect(mismatches.length, `${mismatches.length} of ${files.length} differ:\n${details}`).toBe(0);
}

describe('disasm --erlang matches beam_disasm', () => {
  it(`on every OTP .beam file (${otp.length})`, () => {
    expect(otp.length).toBeGreaterThan(300);
    checkAll(otp);
  });

  it.skipIf(elixir.length === 0)(`on every Elixir .beam file (${elixir.length})`, () => {
    checkAll(elixir);
  });
});
