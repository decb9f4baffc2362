/**
 * Running the real Erlang VM from tests: it is the oracle every test compares
 * against. Tests call these helpers rather than spawning `erl` themselves.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs `erl -noshell -eval CODE` (CODE must end by calling halt()) and returns stdout as bytes. */
export function erlEvalBytes(code: string, opts: { timeoutMs?: number; args?: string[] } = {}): Buffer {
  return execFileSync('erl', ['-noshell', ...(opts.args ?? []), '-eval', code], {
    maxBuffer: 1 << 30,
    timeout: opts.timeoutMs ?? 120_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Like erlEvalBytes, decoded as UTF-8. */
export function erlEval(code: string, opts: { timeoutMs?: number; args?: string[] } = {}): string {
  return erlEvalBytes(code, opts).toString('utf8');
}

/** The root of the installed Erlang/OTP, as the real VM reports it. */
export function erlRoot(): string {
  return erlEval('io:format("~s", [code:root_dir()]), halt().');
}

/** Every .beam file of the installed OTP (each application's ebin, the preloaded erts ones included). */
export function otpBeamFiles(): string[] {
  const root = erlRoot();
  const lib = join(root, 'lib');
  return readdirSync(lib)
    .flatMap((app) => beamFilesIn(join(lib, app, 'ebin')))
    .sort();
}

/** Every .beam file of the installed Elixir (empty when Elixir is not installed). */
export function elixirBeamFiles(): string[] {
  let elixir: string;
  try {
    elixir = realpathSync(execFileSync('which', ['elixir'], { encoding: 'utf8' }).trim());
  } catch {
    return [];
  }
  const lib = join(dirname(dirname(elixir)), 'lib');
  if (!existsSync(lib)) return [];
  return readdirSync(lib)
    .flatMap((app) => beamFilesIn(join(lib, app, 'ebin')))
    .sort();
}

function beamFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.beam'))
    .map((f) => join(dir, f));
}

/** Compiles an Erlang module from test/support into a fresh temporary directory; returns that directory. */
export function compileSupportModule(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'beamjs-erl-'));
  execFileSync('erlc', ['-o', dir, fileURLToPath(new URL(`./${name}.erl`, import.meta.url))]);
  return dir;
}
