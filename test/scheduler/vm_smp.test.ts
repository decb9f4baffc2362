/**
 * The VM on worker schedulers (issue 6), run as a user runs it: `beamjs run
 * --schedulers N` (the built CLI), compared with the real erl on the same
 * .beam.
 *
 * The stress program (test/support/smp_stress.erl) has senders on every
 * scheduler send numbered messages to every receiver, each receiver checking
 * per-sender order with nothing lost or doubled, then makes waves of
 * processes die while the processes linked to and monitoring them run
 * elsewhere, counting that each 'EXIT' and 'DOWN' came exactly once. Its
 * output is a summary, so it is the same whatever the interleaving.
 * A second program (test/support/smp_ets.erl) has processes on both
 * schedulers update one ETS table, one counter array and one atomics array
 * at once: the totals must be exact, as erl's are.
 * BEAMJS_STRESS_SCALE multiplies the counts (for long runs by hand).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compileSupportModule } from '../support/erl.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = compileSupportModule('smp_stress');
const etsDir = compileSupportModule('smp_ets');
const scale = Number(process.env.BEAMJS_STRESS_SCALE ?? 1);

/** Runs a command without blocking this worker's event loop (a long spawnSync starves vitest's RPC and fails the run). */
function runAsync(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (status) =>
      resolve({ stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1'), status }),
    );
  });
}

async function erl(args: string[], module = 'smp_stress', from = dir): Promise<string> {
  return (await runAsync('erl', ['-noshell', '-pa', from, '-run', module, 'main', ...args, '-run', 'init', 'stop'])).stdout;
}

function beamjs(schedulers: number, args: string[], module = 'smp_stress', from = dir): Promise<{ stdout: string; status: number | null; stderr: string }> {
  return runAsync(process.execPath, [cli, 'run', '--schedulers', String(schedulers), '-pa', from, module, 'main', ...args]);
}

describe('the VM on worker schedulers under stress', () => {
  // Senders, receivers, messages per pair: about 8 million messages per run, three runs (24 million in all).
  const runs: Array<[schedulers: number, args: string[]]> = [
    [2, ['16', '16', String(32000 * scale)]],
    [3, ['24', '12', String(28000 * scale)]],
    [4, ['12', '24', String(28000 * scale)]],
  ];
  for (const [schedulers, args] of runs) {
    it(`--schedulers ${schedulers}: ${args[0]} senders x ${args[1]} receivers x ${args[2]} messages, then links and monitors`, { timeout: 600_000 }, async () => {
      const expected = await erl(args);
      expect(expected).toMatch(/bad receivers: \[\]/);
      const got = await beamjs(schedulers, args);
      expect(got.stderr).toBe('');
      expect(got.stdout).toBe(expected);
      expect(got.status).toBe(0);
    });
  }

  // Issue 9's concurrency test: processes spread over the schedulers update one ETS table, one counter
  // array and one atomics array at once (test/support/smp_ets.erl); the totals must be exact.
  it('ETS, counters and atomics updated by 16 processes on 2 schedulers: exact totals', { timeout: 600_000 }, async () => {
    const args = ['16', String(5000 * scale)];
    const expected = await erl(args, 'smp_ets', etsDir);
    const got = await beamjs(2, args, 'smp_ets', etsDir);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(expected);
    expect(got.status).toBe(0);
  });
});
