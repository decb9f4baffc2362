/**
 * What statistics/1 and system_info/1 report about the schedulers
 * (bifs/scheduler_stats.ts, bifs/erlang_system.ts), against erl with one
 * scheduler (+S 1), which is what the VM has until worker threads run it:
 * the run queue and active task counts with busy processes queued (low
 * priority ones included), the shapes of the other items, the
 * scheduler_wall_time flag counted per process, and the badarg cases.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VM } from '../../vm/vm.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('scheduler statistics', () => {
  it('match erl +S 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamjs-sched-stats-'));
    execFileSync('erlc', ['-o', dir, join(here, 'sched_stats.erl')]);
    const expected = execFileSync('erl', ['+S', '1', '-noshell', '-pa', dir, '-run', 'sched_stats', 'start', '-run', 'init', 'stop']).toString();
    const chunks: Uint8Array[] = [];
    const vm = new VM({ codePath: [dir], stdout: (b) => chunks.push(b.slice()) });
    const { status } = vm.runMain('sched_stats', 'start', []);
    expect(Buffer.concat(chunks).toString()).toBe(expected);
    expect(status).toBe(0);
  });
});
