/**
 * Memory comes back: processes that build and drop a million small terms,
 * about 4 GB of binaries (off-heap, made by a BIF and by the bit syntax),
 * and garbage beside a large live list (the old generation) end with the
 * VM's allocated memory (erlang:memory(total)) and their own
 * process_info(memory) back near where they started, and the shared
 * buffer's peak stays small. The computed results are compared with erl's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { VM } from '../../vm/vm.js';
import { compileSupportModule } from '../support/erl.js';

let dir = '';
beforeAll(() => {
  dir = compileSupportModule('gc_churn');
});

interface Report {
  label: string;
  total0: number;
  total1: number;
  proc0: number;
  proc1: number;
  result: string;
}

const parse = (line: string): Report => {
  const [label, total0, total1, proc0, proc1, result] = line.trim().split(' ');
  return { label: label!, total0: +total0!, total1: +total1!, proc0: +proc0!, proc1: +proc1!, result: result! };
};

/**
 * Runs gc_churn:fun on beamjs; peakBytes is the most shared memory the VM
 * ever had allocated at once, less what a VM that ran an empty program
 * holds (atom table, export table, the kernel's modules and processes).
 */
function onBeamjs(fun: string): { report: Report; peakBytes: number } {
  const chunks: Uint8Array[] = [];
  const vm = new VM({ codePath: [dir], stdout: (b) => chunks.push(b.slice()) });
  const { status } = vm.runMain('gc_churn', fun, []);
  expect(status).toBe(0);
  return { report: parse(Buffer.concat(chunks).toString()), peakBytes: (vm.mem.peakAllocatedWords - baselineWords()) * 4 };
}

let baseline: number | undefined;
function baselineWords(): number {
  if (baseline === undefined) {
    const vm = new VM({ codePath: [dir], stdout: () => {} });
    vm.runMain('gc_churn', 'nothing', []);
    baseline = vm.mem.allocatedWords;
  }
  return baseline;
}

const onErl = (fun: string): Report =>
  parse(execFileSync('erl', ['-noshell', '-pa', dir, '-run', 'gc_churn', fun, '-s', 'init', 'stop']).toString());

const MiB = 1 << 20;

describe('memory returns after garbage', () => {
  it('a million small terms built and dropped', { timeout: 60_000 }, () => {
    const { report, peakBytes } = onBeamjs('small_terms');
    expect(report.result).toBe(onErl('small_terms').result);
    expect(Math.abs(report.total1 - report.total0)).toBeLessThan(64 * 1024);
    expect(report.proc1).toBeLessThanOrEqual(report.proc0 + 4096);
    expect(peakBytes).toBeLessThan(8 * MiB);
  });

  it('about 4 GB of binaries built and dropped', { timeout: 60_000 }, () => {
    const { report, peakBytes } = onBeamjs('binaries');
    expect(report.result).toBe(onErl('binaries').result);
    expect(Math.abs(report.total1 - report.total0)).toBeLessThan(64 * 1024);
    expect(report.proc1).toBeLessThanOrEqual(report.proc0 + 4096);
    // Never more than a few of the 2-4 MiB binaries alive at once.
    expect(peakBytes).toBeLessThan(32 * MiB);
  });

  it('garbage beside a long-lived list: the old generation keeps it, the end is back at the start', { timeout: 60_000 }, () => {
    const { report, peakBytes } = onBeamjs('long_lived');
    expect(report.result).toBe(onErl('long_lived').result);
    expect(report.total1).toBeLessThanOrEqual(report.total0);
    expect(report.proc1).toBeLessThan(report.proc0);
    expect(peakBytes).toBeLessThan(64 * MiB);
  });
});
