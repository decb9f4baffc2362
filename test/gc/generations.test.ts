/**
 * The generational side of gc/collect.ts: a minor collection promotes what
 * lies below the high-water mark to the old heap and leaves the old heap
 * alone; a fullsweep empties it; fullsweep_after, the old heap filling up and
 * the ProcBin lists of both generations.
 */
import { describe, expect, it } from 'vitest';
import { GcKind, collectGarbage } from '../../gc/collect.js';
import { mkBinary, mkIntList, mkTuple } from '../../vm/term/make.js';
import { isBoxed, isList, makeSmall, ptrVal, type Term } from '../../vm/term/tags.js';
import type { Process } from '../../vm/process.js';
import { forEachPointer, newMemory, newProcess, offHeapList } from './support.js';

const inOld = (p: Process, t: Term): boolean => ptrVal(t) >= p.oldHeap && ptrVal(t) < p.oldTop;
const inYoung = (p: Process, t: Term): boolean => ptrVal(t) >= p.heap.start && ptrVal(t) < p.heap.top;

/** Every pointer of t lies in the old heap or the young heap. */
function allInHeaps(p: Process, t: Term): boolean {
  let ok = true;
  forEachPointer(p, t, (x) => {
    if (!inOld(p, x) && !inYoung(p, x)) ok = false;
  });
  return ok;
}

const sumList = (p: Process, t: Term): number => {
  let s = 0;
  const w = p.mem.i32;
  while (isList(t)) {
    s += w[ptrVal(t)]! >> 4;
    t = w[ptrVal(t) + 1]!;
  }
  return s;
};

describe('minor collections and promotion', () => {
  it('promotes data that survived one collection, and does not copy it again', () => {
    const ctx = newMemory();
    const p = newProcess(ctx, 1);
    const x = new Int32Array(2);
    x[0] = mkIntList(p, Int32Array.from({ length: 500 }, (_, i) => i));
    collectGarbage(p, x, 1, 0, undefined, GcKind.Minor);
    expect(p.oldHeap).toBe(0); // nothing was below the high-water mark yet
    expect(inYoung(p, x[0]!)).toBe(true);
    expect(p.highWater).toBe(p.heap.top);
    // New data, then a minor: the list (below the mark) goes to the old heap, the new data stays young.
    x[1] = mkTuple(p, [makeSmall(1), x[0]!]);
    mkIntList(p, Int32Array.from({ length: 300 }, (_, i) => i)); // garbage
    collectGarbage(p, x, 2, 0, undefined, GcKind.Minor);
    expect(p.oldHeap).not.toBe(0);
    expect(inOld(p, x[0]!)).toBe(true);
    expect(inYoung(p, x[1]!)).toBe(true);
    expect(p.oldTop - p.oldHeap).toBe(1000);
    expect(p.heap.used).toBe(3);
    expect(sumList(p, x[0]!)).toBe((499 * 500) / 2);
    // Old data is neither moved nor copied by the next minors.
    const at = x[0]!;
    for (let i = 0; i < 5; i++) {
      mkIntList(p, Int32Array.from({ length: 300 }, (_, k) => k));
      collectGarbage(p, x, 2, 0, undefined, GcKind.Minor);
      expect(x[0]).toBe(at);
      expect(p.oldTop - p.oldHeap).toBe(1000 + 3);
    }
    expect(p.minorSinceFull).toBe(7);
    expect(allInHeaps(p, x[1]!)).toBe(true);
    // A fullsweep brings everything back into one young block and frees the old heap.
    collectGarbage(p, x, 2, 0, undefined, GcKind.Full);
    expect(p.oldHeap).toBe(0);
    expect(p.minorSinceFull).toBe(0);
    expect(p.heap.used).toBe(1003);
    expect(sumList(p, x[0]!)).toBe((499 * 500) / 2);
    expect(allInHeaps(p, x[1]!)).toBe(true);
  });

  it('makes a fullsweep after fullsweep_after minors, and when the old heap is full', () => {
    const ctx = newMemory();
    const p = newProcess(ctx, 2);
    p.fullsweepAfter = 3;
    const x = new Int32Array(1);
    let fulls = 0;
    for (let i = 0; i < 8; i++) {
      x[0] = mkTuple(p, [makeSmall(i), x[0] === 0 ? makeSmall(0) : x[0]!]);
      if (collectGarbage(p, x, 1, 0, undefined, GcKind.Auto)) fulls++;
    }
    expect(fulls).toBe(2); // the 4th and the 8th
    // The old heap fills: live data keeps growing and every minor promotes it.
    const q = newProcess(ctx, 3);
    const y = new Int32Array(1);
    y[0] = makeSmall(0);
    let qFulls = 0;
    for (let i = 0; i < 40; i++) {
      y[0] = mkIntList(q, Int32Array.from({ length: 200 }, (_, k) => k + i), y[0]);
      if (collectGarbage(q, y, 1, 0, undefined, GcKind.Auto)) qFulls++;
      expect(q.oldTop).toBeLessThanOrEqual(q.oldEnd);
    }
    expect(qFulls).toBeGreaterThan(0);
    expect(sumList(q, y[0]!)).toBe(Array.from({ length: 40 }, (_, i) => 200 * i + (199 * 200) / 2).reduce((a, b) => a + b));
  });

  it('keeps the ProcBins of both generations on their lists and frees dead ones', () => {
    const ctx = newMemory();
    const p = newProcess(ctx, 4);
    const x = new Int32Array(2);
    const big = (n: number): Term => mkBinary(p, new Uint8Array(200).fill(n));
    x[0] = big(1);
    big(2); // garbage
    const before = ctx.mem.allocatedWords;
    collectGarbage(p, x, 1, 0, undefined, GcKind.Minor);
    expect(offHeapList(p).length).toBe(1);
    expect(ctx.mem.allocatedWords).toBeLessThan(before);
    x[1] = big(3);
    collectGarbage(p, x, 2, 0, undefined, GcKind.Minor); // x[0] promoted
    expect(inOld(p, x[0]!)).toBe(true);
    expect(p.oldOffHeap).not.toBe(0);
    expect(isBoxed(x[1]!)).toBe(true);
    expect(p.binOldVheap).toBeGreaterThan(0);
    expect(p.binVheap).toBeGreaterThan(0);
    // The old binary dies: only a fullsweep releases it.
    x[0] = makeSmall(0);
    const withOld = ctx.mem.allocatedWords;
    collectGarbage(p, x, 2, 0, undefined, GcKind.Minor);
    expect(ctx.mem.allocatedWords).toBeGreaterThanOrEqual(withOld - 64);
    collectGarbage(p, x, 2, 0, undefined, GcKind.Full);
    expect(p.oldOffHeap).toBe(0);
    expect(p.binOldVheap).toBe(0);
    expect(ctx.mem.allocatedWords).toBeLessThan(withOld);
    expect(p.mem.u8[ptrVal(x[1]!)]).toBeDefined();
  });
});
