import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { Memory } from '../../../vm/memory.js';
import { AtomTable, AtomLimitError, COMMON_ATOMS, ATOM_TRUE } from '../../../vm/term/atoms.js';
import { atomVal, isAtom, makeAtom } from '../../../vm/term/tags.js';
import { bundleWorker } from '../../support/worker.js';

describe('atom table', () => {
  it('gives the common atoms their fixed indices', () => {
    const table = AtomTable.format(Memory.create());
    COMMON_ATOMS.forEach((name, i) => expect(table.intern(name)).toBe(makeAtom(i)));
    expect(table.name(ATOM_TRUE)).toBe('true');
  });

  it('interns, looks up and names atoms, unicode included', () => {
    const mem = Memory.create();
    const table = AtomTable.format(mem);
    const names = ['hello', 'ünïcödé', 'α', '😀x', 'a'.repeat(255), 'ä'.repeat(255)];
    const terms = names.map((n) => table.intern(n));
    terms.forEach((t, i) => {
      expect(isAtom(t)).toBe(true);
      expect(table.intern(names[i]!)).toBe(t);
      expect(new AtomTable(mem).name(t)).toBe(names[i]); // a fresh cache reads shared memory
      expect(new AtomTable(mem).length(t)).toBe([...names[i]!].length);
    });
    expect(new AtomTable(mem).existing('never-made')).toBeUndefined();
    expect(new AtomTable(mem).existing('hello')).toBe(terms[0]);
  });

  it('refuses atoms over 255 characters and a full table, as system_limit', () => {
    const table = AtomTable.format(Memory.create({ atomLimit: COMMON_ATOMS.length + 2 }));
    expect(() => table.intern('x'.repeat(256))).toThrow(AtomLimitError);
    table.intern('one');
    table.intern('two');
    expect(() => table.intern('three')).toThrow(AtomLimitError);
  });

  it('two workers interning the same names concurrently get one index per name', async () => {
    const mem = Memory.create();
    AtomTable.format(mem);
    const names = Array.from({ length: 20000 }, (_, i) => `atom_${i % 15000}_${'x'.repeat(i % 7)}`);
    const unique = [...new Set(names)];
    const script = bundleWorker('vm/term/atom_worker.ts');
    const go = new Int32Array(new SharedArrayBuffer(4));
    const run = (list: string[]): Promise<number[]> =>
      new Promise((resolve, reject) => {
        const w = new Worker(script, { workerData: { buffer: mem.buffer, names: list, go } });
        w.once('message', (m: number[]) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const a = run(names);
    const b = run([...names].reverse());
    await new Promise((r) => setTimeout(r, 200));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const [ra, rb] = await Promise.all([a, b]);
    const byName = new Map<string, number>();
    names.forEach((n, i) => {
      const t = ra[i]!;
      expect(rb[names.length - 1 - i]).toBe(t);
      if (byName.has(n)) expect(byName.get(n)).toBe(t);
      byName.set(n, t);
    });
    const indices = new Set([...byName.values()].map(atomVal));
    expect(indices.size).toBe(unique.length);
    const table = new AtomTable(mem);
    expect(table.count).toBe(COMMON_ATOMS.length + unique.length);
    for (const [n, t] of byName) expect(table.name(t)).toBe(n);
  });
});
