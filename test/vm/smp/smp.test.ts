/**
 * Code shared across VM contexts (issue 6): a second VM attached to the
 * first one's memory — in the same thread and in a worker_thread — runs the
 * code the first loaded (funs, try/catch, bs_create_bin, JIT-compiled
 * functions, undef), without loading it again; a module either context
 * loads or reloads is the other's too. What each prints is what erl prints.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Slot } from '../../../scheduler/layout.js';
import { ProcessStatus } from '../../../vm/process.js';
import { VM } from '../../../vm/vm.js';
import { bundleWorker } from '../../support/worker.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Compiles each source into its own directory: a context finds only what its code path holds. */
function compile(): { a: string; b: string; v1: string; v2: string; late: string; d: string } {
  const root = mkdtempSync(join(tmpdir(), 'beamjs-smp-'));
  const dirs = { a: join(root, 'a'), b: join(root, 'b'), v1: join(root, 'v1'), v2: join(root, 'v2'), late: join(root, 'late'), d: join(root, 'd') };
  for (const d of Object.values(dirs)) mkdirSync(d);
  execFileSync('erlc', ['-o', dirs.a, join(here, 'smp_a.erl')]);
  execFileSync('erlc', ['-o', dirs.b, join(here, 'smp_b.erl')]);
  execFileSync('erlc', ['-o', dirs.v1, join(here, 'v1', 'smp_c.erl')]);
  execFileSync('erlc', ['-o', dirs.v2, join(here, 'v2', 'smp_c.erl')]);
  execFileSync('erlc', ['-o', dirs.late, join(here, 'smp_late.erl')]);
  execFileSync('erlc', ['-o', dirs.d, join(here, 'smp_d.erl')]);
  return dirs;
}

function erl(dirs: string[], calls: string): string {
  return execFileSync('erl', ['-noshell', ...dirs.flatMap((d) => ['-pa', d]), '-eval', `${calls}, halt().`]).toString('latin1');
}

/** A VM context whose standard output is collected. */
function context(options: ConstructorParameters<typeof VM>[0]): { vm: VM; run: (m: string, f: string, between?: () => void) => string } {
  const out: Uint8Array[] = [];
  // Two scheduler records: each context runs its own processes from its own queue (the attached one is scheduler 1).
  const vm = new VM({ ...options, ...(options?.attach === undefined ? { schedulers: 2 } : { schedulerIndex: 1 }), stdout: (b) => out.push(b.slice()) });
  return {
    vm,
    run(m, f, between) {
      out.length = 0;
      const p = vm.spawn(vm.atoms.intern(m), vm.atoms.intern(f), []);
      vm.runUntil(() => {
        between?.();
        return p.status === ProcessStatus.Exited;
      });
      return Buffer.concat(out).toString('latin1');
    },
  };
}

const dirs = compile();
const expectedA = erl([dirs.a], 'smp_a:main()');
const expectedB = erl([dirs.a, dirs.b], 'smp_b:main()');

describe('VM contexts sharing one memory', () => {
  it('a context attached in the same thread runs the code the first loaded, and the other way round', () => {
    const one = context({ codePath: [dirs.a], jit: { threshold: 0 } });
    expect(one.run('smp_a', 'main')).toBe(expectedA);
    const compiled = Atomics.load(one.vm.mem.i32, Slot.JitCount);
    expect(compiled).toBeGreaterThan(0);

    // Its code path has no smp_a: it must find the loaded module, not load it again.
    const two = context({ attach: one.vm.mem.buffer, codePath: [dirs.b], jit: { threshold: 0 } });
    expect(two.run('smp_a', 'main')).toBe(expectedA);
    const smpA = one.vm.atoms.intern('smp_a');
    expect(two.vm.modules.get(smpA)!.version).toBe(one.vm.modules.get(smpA)!.version);
    expect(one.vm.modules.old(smpA)).toBeUndefined();
    // The JIT entries the first context wrote into the shared code were compiled here on meeting them.
    expect(two.vm.jit.functions.slice(0, compiled).some((f) => f !== undefined)).toBe(true);
    expect(two.vm.atoms.intern('smp_a')).toBe(smpA);

    // smp_b is on the second context's code path only: the first runs it once the second has loaded it.
    expect(two.run('smp_b', 'main')).toBe(expectedB);
    expect(one.run('smp_b', 'main')).toBe(expectedB);
  });

  it('a module reloaded in one context is the new version in the other', () => {
    const one = context({});
    const two = context({ attach: one.vm.mem.buffer });
    const v1 = one.vm.load(readFileSync(join(dirs.v1, 'smp_c.beam')));
    expect(two.run('smp_c', 'show')).toBe(erl([dirs.v1], 'smp_c:show()'));
    two.vm.load(readFileSync(join(dirs.v2, 'smp_c.beam')));
    expect(one.run('smp_c', 'show')).toBe(erl([dirs.v2], 'smp_c:show()'));
    const smpC = one.vm.atoms.intern('smp_c');
    expect(one.vm.modules.old(smpC)!.version).toBe(v1.version);
    expect(one.vm.modules.get(smpC)!.version).toBe(two.vm.modules.get(smpC)!.version);
    expect(one.vm.modules.get(smpC)!.version).not.toBe(v1.version);
  });

  it('a module deleted in one context is old code in the other, and is loaded again on its next call', () => {
    const one = context({ codePath: [dirs.v1, dirs.d] });
    const two = context({ attach: one.vm.mem.buffer, codePath: [dirs.d] });
    const v1 = one.vm.load(readFileSync(join(dirs.v1, 'smp_c.beam')));
    const [deleted, again] = erl([dirs.v1, dirs.d], 'code:ensure_loaded(smp_c), smp_d:delete(), smp_d:after_delete()').split(/(?<=\n)/);
    expect(two.run('smp_d', 'delete')).toBe(deleted);
    const smpC = one.vm.atoms.intern('smp_c');
    expect(one.vm.modules.get(smpC)).toBeUndefined();
    expect(one.vm.modules.old(smpC)!.version).toBe(v1.version);
    // smp_c is on the first context's code path only: its call loads it again, and the other context sees it.
    expect(one.run('smp_d', 'after_delete')).toBe(again);
    expect(two.run('smp_d', 'after_delete')).toBe(again);
    expect(two.vm.modules.get(smpC)).toBeDefined();
  });

  it('a process calls code another context loaded while it ran, beyond the memory its thread had seen', () => {
    const one = context({ codePath: [dirs.a] });
    one.vm.autoload(one.vm.atoms.intern('smp_a'));
    // One reduction per slice: the load happens between two of smp_a:late/0's attempts to call smp_late:hello/0.
    const two = context({ attach: one.vm.mem.buffer, slice: 1 });
    const viewBytes = two.vm.mem.i32.byteLength;
    let slices = 0;
    const text = two.run('smp_a', 'late', () => {
      if (++slices !== 50) return;
      one.vm.mem.alloc(one.vm.mem.byteSize / 4); // the memory grows: smp_late's code lies beyond the other context's views
      one.vm.load(readFileSync(join(dirs.late, 'smp_late.beam')));
      expect(one.vm.modules.get(one.vm.atoms.intern('smp_late'))!.code * 4).toBeGreaterThan(viewBytes);
    });
    expect(slices).toBeGreaterThan(50);
    expect(text).toBe(erl([dirs.late], 'smp_late:hello()'));
  });

  it('a context in a worker_thread runs the main thread\'s code; both loading the same modules at once load each once', { timeout: 120_000 }, async () => {
    const one = context({ codePath: [dirs.a], jit: { threshold: 0 } });
    expect(one.run('smp_a', 'main')).toBe(expectedA);
    const race = ['dict', 'sets', 'gb_trees', 'orddict', 'queue', 'string', 'calendar', 'proplists', 'base64', 'uri_string', 'filename', 'erl_scan', 'ordsets', 'digraph', 'array'];
    const go = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(bundleWorker('vm/smp/smp_worker.ts'), {
      workerData: { buffer: one.vm.mem.buffer, codePath: [dirs.b], race, calls: [['smp_a', 'main'], ['smp_b', 'main']], go },
    });
    const messages: unknown[] = [];
    const done = new Promise<{ text: string; attachedJit: number }>((resolve, reject) => {
      worker.on('message', (m) => {
        messages.push(m);
        if (m !== 'ready') resolve(m as { text: string; attachedJit: number });
      });
      worker.once('error', reject);
    });
    while (messages.length === 0) await new Promise((r) => setTimeout(r, 10));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    for (const m of [...race].reverse()) one.vm.autoload(one.vm.atoms.intern(m));
    const result = await done;
    await worker.terminate();
    one.vm.mem.refresh();

    expect(result.text).toBe(expectedA + expectedB);
    expect(result.attachedJit).toBeGreaterThan(0);
    for (const m of race) {
      const atom = one.vm.atoms.intern(m);
      expect(one.vm.modules.get(atom), m).toBeDefined();
      expect(one.vm.modules.old(atom), `${m} was loaded twice`).toBeUndefined();
    }
    // smp_b was loaded by the worker only (it is not on this context's code path).
    expect(one.run('smp_b', 'main')).toBe(expectedB);
  });
  it('two threads running the same new code at once load it once and compile each function once', { timeout: 120_000 }, async () => {
    const one = context({ codePath: [dirs.a, dirs.b], jit: { threshold: 0 } });
    const go = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(bundleWorker('vm/smp/smp_worker.ts'), {
      workerData: { buffer: one.vm.mem.buffer, codePath: [dirs.a, dirs.b], race: [], calls: [['smp_b', 'main'], ['smp_a', 'main']], go },
    });
    let ready = false;
    const done = new Promise<{ text: string }>((resolve, reject) => {
      worker.on('message', (m) => (m === 'ready' ? (ready = true) : resolve(m as { text: string })));
      worker.once('error', reject);
    });
    while (!ready) await new Promise((r) => setTimeout(r, 10));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const mine = one.run('smp_a', 'main') + one.run('smp_b', 'main');
    const theirs = (await done).text;
    await worker.terminate();
    one.vm.mem.refresh();

    expect(mine).toBe(expectedA + expectedB);
    expect(theirs).toBe(expectedB + expectedA);
    for (const m of ['smp_a', 'smp_b']) expect(one.vm.modules.old(one.vm.atoms.intern(m)), m).toBeUndefined();
    // The JIT table names each compiled function once, whichever thread reached it first.
    const w = one.vm.mem.i32;
    const count = Atomics.load(w, Slot.JitCount);
    const starts = Array.from({ length: count }, (_, i) => w[w[w[Slot.JitTable]! + i]!]!);
    expect(count).toBeGreaterThan(0);
    expect(new Set(starts).size).toBe(count);
  });
});
