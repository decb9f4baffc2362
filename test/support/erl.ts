/**
 * Running the real Erlang VM from tests: it is the oracle every test compares
 * against. Tests call these helpers rather than spawning `erl` themselves.
 */
import { execFileSync } from 'node:child_process';

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
