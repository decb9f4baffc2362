/**
 * Every .beam file of the installed OTP 25 and Elixir 1.14 loads into
 * threaded code: every instruction their compilers emitted has a specific
 * form and a handler (an unimplemented one would be a LoadError naming it).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { elixirBeamFiles, otpBeamFiles } from '../../support/erl.js';
import { VM } from '../../../vm/vm.js';
import { LoadError } from '../../../vm/code/load.js';
import { genericOp } from '../../../loader/genop.js';
import { ALWAYS_REWRITTEN, IMPLEMENTED_GENERIC } from '../../../vm/code/transform.js';
import { colds } from '../../../vm/interp_extra.js';
import '../../../vm/interp_cold.js';
import { readFileSync as read } from 'node:fs';
import { fileURLToPath } from 'node:url';

describe('loading', () => {
  it('loads every OTP and Elixir module', { timeout: 300_000 }, () => {
    const files = [...otpBeamFiles(), ...elixirBeamFiles()];
    expect(files.length).toBeGreaterThan(900);
    const failures: string[] = [];
    let vm = new VM({ otpLibraries: false });
    files.forEach((file, i) => {
      if (i % 150 === 0) vm = new VM({ otpLibraries: false }); // keep each memory small
      try {
        vm.load(readFileSync(file));
      } catch (e) {
        failures.push(`${file}: ${e instanceof LoadError ? e.message : String(e)}`);
      }
    });
    expect(failures).toEqual([]);
  });

  it('every implemented generic instruction has a handler', () => {
    const src = read(fileURLToPath(new URL('../../../vm/interp.ts', import.meta.url)), 'utf8');
    const hot = new Set([...src.matchAll(/case (\d+):/g)].map((m) => Number(m[1])));
    const missing = [...IMPLEMENTED_GENERIC].filter((op) => !hot.has(op) && colds[op] === undefined && !ALWAYS_REWRITTEN.has(genericOp(op)!.name)).map((op) => genericOp(op)?.name ?? op);
    expect(missing).toEqual([]);
  });
});
