/**
 * Micro-benchmarks for terms in shared memory: construction (from ETerm and
 * word by word), reading back, and comparison. Numbers are reported, never
 * asserted. Run: npm run bench:terms
 */
import { Memory } from '../vm/memory.js';
import { AtomTable } from '../vm/term/atoms.js';
import { Heap } from '../vm/term/heap.js';
import { fromETerm, toETerm, sizeOfETerm } from '../vm/term/build.js';
import { NIL, makeList, makeSmall, ptrVal, isList, smallVal } from '../vm/term/tags.js';
import { Atom, Bitstring, EMap, Tuple, type ETerm } from '../loader/eterm.js';
import { compareTerms } from '../loader/eterm_order.js';
import { compare } from '../vm/term/compare.js';

const mem = Memory.create({ initialBytes: 256 << 20 });
const ctx = { mem, atoms: AtomTable.format(mem) };

function bench(name: string, unit: string, n: number, run: () => void): void {
  run(); // warm up
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[2]!;
  console.log(`${name.padEnd(44)} ${((n / median) * 1000 / 1e6).toFixed(2).padStart(8)} M${unit}/s   (median ${median.toFixed(1)} ms)`);
}

// 1. A list of a million small integers, built word by word (what the interpreter's put_list does).
const N = 1_000_000;
const heap = Heap.allocate(mem, 2 * N + 16);
bench('cons list of small ints, word by word', 'cells', N, () => {
  heap.top = heap.start;
  const w = mem.i32;
  let list = NIL;
  for (let i = 0; i < N; i++) {
    const at = heap.alloc(2);
    w[at] = makeSmall(i & 0xffff);
    w[at + 1] = list;
    list = makeList(at);
  }
  let sum = 0;
  for (let t = list; isList(t); t = w[ptrVal(t) + 1]!) sum += smallVal(w[ptrVal(t)]!);
  if (sum < 0) throw new Error('unreachable');
});

// 2. A realistic mixed term, built from ETerm and read back.
const sample: ETerm = new Tuple([
  Atom.of('record'),
  Array.from({ length: 200 }, (_, i) => new Tuple([BigInt(i), Atom.of(`k${i % 10}`), i / 3])),
  new EMap(Array.from({ length: 20 }, (_, i) => BigInt(i)), Array.from({ length: 20 }, (_, i) => new Bitstring(new Uint8Array(i + 1)))),
  2n ** 100n,
]);
const words = sizeOfETerm(sample);
const big = Heap.allocate(mem, words * 200);
bench(`fromETerm, mixed term of ${words} words`, 'words', words * 100, () => {
  big.top = big.start;
  for (let i = 0; i < 100; i++) fromETerm(ctx, big, sample);
});
const built = fromETerm(ctx, big, sample);
bench(`toETerm, same term`, 'words', words * 100, () => {
  for (let i = 0; i < 100; i++) toETerm(ctx, built);
});

// 3. Comparison of two equal deep terms (the loader-side term order for now).
const other = toETerm(ctx, built);
bench('compareTerms (ETerm), equal mixed terms', 'compares', 1000, () => {
  for (let i = 0; i < 1000; i++) if (compareTerms(sample, other) !== 0) throw new Error('not equal');
});

// 4. The same comparison on heap words (what the interpreter uses).
const copy = fromETerm(ctx, big, sample);
bench('compare (heap words), equal mixed terms', 'compares', 1000, () => {
  for (let i = 0; i < 1000; i++) if (compare(ctx, built, copy) !== 0) throw new Error('not equal');
});
