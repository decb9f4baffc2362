/**
 * What a process leaves in the shared registries (vm/registry.ts) when it
 * ends: its aliases, the timers addressed to it, its registered name and
 * its process-table entry all go with it. The program's output is erl's.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VM } from '../../../vm/vm.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('shared registries at process exit', () => {
  it('keep nothing of the processes that ended', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamjs-registries-'));
    execFileSync('erlc', ['-o', dir, join(here, 'registries_exit.erl')]);
    const expected = execFileSync('erl', ['-noshell', '-pa', dir, '-run', 'registries_exit', 'start', '-run', 'init', 'stop']).toString();
    const chunks: Uint8Array[] = [];
    const vm = new VM({ codePath: [dir], stdout: (b) => chunks.push(b.slice()) });
    const aliasesBefore = vm.aliasTable.entries().length;
    const { status, process: main } = vm.runMain('registries_exit', 'start', []);
    expect(Buffer.concat(chunks).toString()).toBe(expected);
    expect(status).toBe(0);
    const live = new Set(vm.procTable.all().map((pcb) => vm.mem.i32[pcb + 1]));
    // Every alias, timer destination and name left belongs to a live process (the kernel's, the I/O servers').
    for (const [, owner] of vm.aliasTable.entries()) expect(live.has(owner)).toBe(true);
    expect(vm.aliasTable.entries().length).toBeLessThanOrEqual(aliasesBefore + 5);
    for (const [, , dest] of vm.timerTable.entries()) expect(live.has(dest) || (dest! & 0x3f) === 0x0b).toBe(true);
    expect(vm.timerTable.entries().length).toBeLessThan(10);
    for (const [, pid] of vm.names.entries()) expect(live.has(pid)).toBe(true);
    expect(live.has(main.pid)).toBe(false);
    expect(live.size).toBeLessThan(40);
  });
});
