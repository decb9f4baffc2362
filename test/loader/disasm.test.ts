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
import { disasmErlang } from '../../loader/disasm.js';

const otp = otpBeamFiles();
const elixir = elixirBeamFiles();
const reference = new Map<string, string>(); // path → hash or 'ERROR'
let refDir = '';

function expectedText(file: string): string {
  return execFileSync('erl', ['-noshell', '-pa', refDir, '-run', 'disasm_ref', 'main', file, 'full'], {
    maxBuffer: 1 << 30,
  }).toString('latin1');
}

function ours(file: string): string {
  try {
    const text = disasmErlang(parseBeam(readFileSync(file)));
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
    got = disasmErlang(parseBeam(readFileSync(file))).split('\n');
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
  }
});

function checkAll(files: string[]): void {
  expect(reference.size).toBeGreaterThan(0);
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
