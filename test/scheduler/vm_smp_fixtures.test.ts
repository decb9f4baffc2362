/**
 * The process fixtures (Erlang and Elixir) run by `beamjs run` on two worker
 * schedulers, as a user runs them: each must print exactly the stored output
 * of the real erl (test/fixtures checks those against erl, and runs every
 * fixture inline). Processes here really run on two threads: handed over,
 * stolen, waking each other across threads, asking each other's process_info.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist/cli.js');
const camel = (s: string): string => s.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

interface Case {
  name: string;
  dir: string;
  module: string;
  fun: string;
}

const cases: Case[] = [];
for (const [sub, fun] of [['erlang', 'start'], ['elixir', 'main']] as const) {
  const dir = join(root, 'fixtures', sub);
  for (const f of readdirSync(dir).sort()) {
    if (!f.startsWith('proc_') || !f.endsWith('.out')) continue;
    const name = f.slice(0, -4);
    cases.push({ name: `${sub}/${name}`, dir, module: sub === 'elixir' ? `Elixir.Fixture.${camel(name)}` : name, fun });
  }
}

/** Two runs at a time: each is mostly start-up, and the machine has two cores. */
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(f: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function run(c: Case): Promise<{ stdout: Buffer; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'run', '--schedulers', '2', '-pa', c.dir, c.module, c.fun], {
      env: { ...process.env, LC_ALL: c.dir.endsWith('elixir') ? 'C.UTF-8' : 'C' },
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('close', (status) => resolve({ stdout: Buffer.concat(out), status }));
  });
}

describe('process fixtures on two worker schedulers (beamjs run --schedulers 2)', () => {
  for (const c of cases) {
    it.concurrent(c.name, { timeout: 300_000 }, async () => {
      const { stdout, status } = await limited(() => run(c));
      expect(stdout.toString('latin1')).toBe(readFileSync(join(c.dir, `${c.name.split('/')[1]}.out`)).toString('latin1'));
      expect(status).toBe(0);
    });
  }
});
