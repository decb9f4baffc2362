/**
 * Copying terms between processes (gc/copy.ts), as message sends do. Terms of
 * every kind come from the real erl; each copy must give erl's
 * term_to_binary bytes, live entirely in the destination's memory, take
 * exactly sizeOfTerm words, and share off-heap binary blocks (reference
 * count up by one, ProcBin on the destination's off-heap list).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tuple, atom } from '../../loader/eterm.js';
import { collectGarbage } from '../../gc/collect.js';
import { copyTerm, sizeOfTerm } from '../../gc/copy.js';
import type { Process } from '../../vm/process.js';
import { fromETerm, sizeOfETerm } from '../../vm/term/build.js';
import { termToBinary } from '../../vm/term/etf.js';
import { Heap } from '../../vm/term/heap.js';
import { PB_FLAGS, makeWritableFlags } from '../../vm/term/bits.js';
import { mkBinary, mkCons, mkIntList, mkList, mkProcBin, mkSubBinary, mkTuple, newOffHeapBlock } from '../../vm/term/make.js';
import { NIL, type Term, isBoxed, makeSmall, ptrVal } from '../../vm/term/tags.js';
import { erlEval } from '../support/erl.js';
import {
  type Case,
  buildLinked,
  erlCases,
  forEachPointer,
  hasVmDependentHamt,
  hexOf,
  md5Of,
  newMemory,
  newProcess,
  offHeapList,
  procBinBlocks,
} from './support.js';

/** Whether word index a lies in p's heap block or one of its fragments. */
function ownedBy(p: Process, a: number): boolean {
  if (a >= p.block && a < p.blockEnd) return true;
  return p.fragments.some((f) => a >= f && a < f + p.mem.blockWords(f));
}

/** Words taken from p so far (heap and fragments). */
const taken = (p: Process): number => p.heap.used + p.fragmentWords;

describe('copyTerm against terms from erl', () => {
  let cases: Case[] = [];
  beforeAll(() => {
    cases = erlCases();
  });

  it('copies every kind of term into another process, equal and entirely in the destination', () => {
    const ctx = newMemory();
    const src = newProcess(ctx, 1, 4096);
    const dest = newProcess(ctx, 2, 4096);
    const mem = ctx.mem;
    let kinds = 0;
    for (const c of cases) {
      const t = buildLinked(src, c.term);
      const before = hexOf(termToBinary(src, t));
      if (!hasVmDependentHamt(c.term)) expect(before).toBe(c.hex);
      const size = sizeOfTerm(src, t);
      expect(size).toBe(sizeOfETerm(c.term, src)); // fromETerm shares nothing
      const blocks = procBinBlocks(src, t);
      const refcounts = blocks.map((b) => Atomics.load(mem.i32, b));
      const listed = offHeapList(dest).length;
      const used = taken(dest);

      const copy = copyTerm(src, t, dest);

      expect(taken(dest) - used).toBe(size);
      expect(hexOf(termToBinary(dest, copy))).toBe(before);
      forEachPointer(dest, copy, (x) => {
        const a = ptrVal(x);
        if (!ownedBy(dest, a) || ownedBy(src, a)) throw new Error(`${c.kind}: pointer ${a} outside the destination`);
      });
      // each ProcBin of the copy adds one reference to its block (a block may be shared within the term)
      const counts = new Map<number, number>();
      for (const b of blocks) counts.set(b, (counts.get(b) ?? 0) + 1);
      expect(blocks.map((b) => Atomics.load(mem.i32, b))).toEqual(refcounts.map((r, i) => r + counts.get(blocks[i]!)!));
      expect(procBinBlocks(dest, copy).sort()).toEqual([...blocks].sort());
      expect(offHeapList(dest).length - listed).toBe(blocks.length);
      if (blocks.length > 0) kinds++;
    }
    expect(kinds).toBeGreaterThan(50);
  });

  it('gives messages that survive the collections of both processes', () => {
    const ctx = newMemory();
    const mem = ctx.mem;
    const src = newProcess(ctx, 3);
    const dest = newProcess(ctx, 4);
    const sent = cases.filter((c) => c.kind === 'random').slice(0, 100);
    const x = new Int32Array(sent.length);
    const received = new Int32Array(sent.length);
    sent.forEach((c, i) => {
      x[i] = buildLinked(src, c.term);
      received[i] = copyTerm(src, x[i]!, dest);
    });
    expect(dest.fragments.length).toBeGreaterThan(0);
    const expected = sent.map((c) => hexOf(termToBinary(src, x[sent.indexOf(c)]!)));
    collectGarbage(src, x, 0, 0); // the sender forgets everything
    collectGarbage(dest, received, received.length, 0);
    expect([...received].map((m) => hexOf(termToBinary(dest, m)))).toEqual(expected);
    const blocks = [...received].flatMap((m) => procBinBlocks(dest, m));
    for (const b of new Set(blocks)) expect(Atomics.load(mem.i32, b)).toBe(blocks.filter((y) => y === b).length);
    // The receiver drops the messages: every block is freed.
    const allocated = mem.allocatedWords;
    const freed = [...new Set(blocks)].reduce((n, b) => n + mem.blockWords(b), 0);
    const heapBefore = mem.blockWords(dest.block);
    collectGarbage(dest, received, 0, 0);
    expect(mem.allocatedWords).toBe(allocated - freed - heapBefore + mem.blockWords(dest.block));
  });
});

describe('copyTerm on hand-built terms', () => {
  it('adds one reference to a big binary and links the new ProcBin into the destination', () => {
    const ctx = newMemory();
    const mem = ctx.mem;
    const src = newProcess(ctx, 5);
    const dest = newProcess(ctx, 6);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 255);
    const bin = mkBinary(src, bytes);
    const block = mem.i32[ptrVal(bin) + 2]!;
    const sub = mkSubBinary(src, bin, 13, 4000);
    expect(Atomics.load(mem.i32, block)).toBe(1);
    const copy = copyTerm(src, bin, dest);
    expect(Atomics.load(mem.i32, block)).toBe(2);
    expect(dest.offHeap).toBe(ptrVal(copy));
    expect(mem.i32[ptrVal(copy) + 2]).toBe(block);
    const subCopy = copyTerm(src, sub, dest);
    expect(Atomics.load(mem.i32, block)).toBe(3);
    expect(offHeapList(dest)).toEqual([ptrVal(mem.i32[ptrVal(subCopy) + 5]!), ptrVal(copy)]);
    expect(hexOf(termToBinary(dest, subCopy))).toBe(hexOf(termToBinary(src, sub)));
    expect(hexOf(termToBinary(dest, copy))).toBe(hexOf(termToBinary(src, bin)));
    // the source lets go: one reference left per copy
    collectGarbage(src, new Int32Array(0), 0, 0);
    expect(Atomics.load(mem.i32, block)).toBe(2);
    // the destination exits: its two ProcBins release the block
    const allocated = mem.allocatedWords;
    // its heap, its fragments and its control block go
    const destWords = mem.blockWords(dest.block) + dest.fragments.reduce((n, f) => n + mem.blockWords(f), 0) + mem.blockWords(dest.pcb);
    const blockWords = mem.blockWords(block);
    dest.release();
    expect(mem.allocatedWords).toBe(allocated - destWords - blockWords);
  });

  it('makes the copy of a writable ProcBin an ordinary one', () => {
    const ctx = newMemory();
    const mem = ctx.mem;
    const src = newProcess(ctx, 13);
    const dest = newProcess(ctx, 14);
    const block = newOffHeapBlock(mem, 256);
    mem.u8.set(Uint8Array.from({ length: 100 }, (_, i) => 255 - i), (block + 2) * 4);
    const pb = mkProcBin(src, block, 0);
    mem.i32[ptrVal(pb) + PB_FLAGS] = makeWritableFlags(800);
    const sub = mkSubBinary(src, pb, 16, 600);
    const copy = copyTerm(src, sub, dest);
    const origCopy = ptrVal(mem.i32[ptrVal(copy) + 5]!);
    expect(mem.i32[origCopy + PB_FLAGS]).toBe(0);
    expect(mem.i32[ptrVal(pb) + PB_FLAGS]).toBe(makeWritableFlags(800));
    expect(Atomics.load(mem.i32, block)).toBe(2);
    expect(hexOf(termToBinary(dest, copy))).toBe(hexOf(termToBinary(src, sub)));
  });

  it('does not keep sharing (as OTP), in time linear in the copy', () => {
    const md5 = erlEval(String.raw`
      T = lists:foldl(fun(_, A) -> {A, A} end, x, lists:seq(1, 18)),
      io:format("~s~n", [binary:encode_hex(erlang:md5(term_to_binary(T)))]),
      halt().`).trim();
    const ctx = newMemory();
    const src = newProcess(ctx, 7);
    const dest = newProcess(ctx, 8);
    let t: Term = ctx.atoms.intern('x');
    for (let i = 0; i < 18; i++) t = mkTuple(src, [t, t]);
    expect(src.heap.used + src.fragmentWords).toBe(18 * 3);
    expect(sizeOfTerm(src, t)).toBe(3 * (2 ** 18 - 1));
    const copy = copyTerm(src, t, dest);
    expect(taken(dest)).toBe(3 * (2 ** 18 - 1));
    expect(md5Of(termToBinary(dest, copy))).toBe(md5);
  });

  it('copies a 1,000,000-element list and 100,000-deep nestings without running out of stack', () => {
    const md5s = erlEval(String.raw`
      Seq = lists:seq(1, 100000),
      Ts = [lists:seq(1, 1000000), lists:foldl(fun(_, A) -> {A} end, x, Seq),
            lists:foldl(fun(_, A) -> [A] end, [], Seq)],
      [io:format("~s~n", [binary:encode_hex(erlang:md5(term_to_binary(T)))]) || T <- Ts],
      halt().`)
      .trim()
      .split('\n');
    const ctx = newMemory();
    const src = newProcess(ctx, 9, 1 << 20);
    const dest = newProcess(ctx, 10);
    const list = mkIntList(src, Int32Array.from({ length: 1_000_000 }, (_, i) => i + 1));
    let tuple: Term = ctx.atoms.intern('x');
    let nested: Term = NIL;
    for (let i = 0; i < 100_000; i++) {
      tuple = mkTuple(src, [tuple]);
      nested = mkCons(src, nested, NIL);
    }
    const copies = [list, tuple, nested].map((t) => copyTerm(src, t, dest));
    expect(copies.map((t) => md5Of(termToBinary(dest, t)))).toEqual(md5s);
    expect(taken(dest)).toBe(2_000_000 + 200_000 + 200_000);
  });

  it('shares what the caller says is not the source’s (module literals) and copies it otherwise', () => {
    const ctx = newMemory();
    const src = newProcess(ctx, 11);
    const dest = newProcess(ctx, 12);
    const area = Heap.allocate(ctx.mem, 100);
    const literal = new Tuple([atom('lit'), [1n, 2n, 3n], 2.5, new Tuple([])]);
    const lit = fromETerm(ctx, area, literal);
    const litWords = sizeOfETerm(literal, ctx);
    const t = mkList(src, [lit, mkTuple(src, [lit, makeSmall(5)])]);
    const local = (a: number): boolean => ownedBy(src, a);
    expect(sizeOfTerm(src, t, local)).toBe(4 + 3);
    const shared = copyTerm(src, t, dest, local);
    expect(taken(dest)).toBe(7);
    expect(ctx.mem.i32[ptrVal(shared)]).toBe(lit);
    expect(hexOf(termToBinary(dest, shared))).toBe(hexOf(termToBinary(src, t)));
    // without the predicate everything is copied
    const copied = copyTerm(src, t, dest);
    expect(taken(dest)).toBe(7 + 7 + 2 * litWords);
    expect(ctx.mem.i32[ptrVal(copied)]).not.toBe(lit);
    expect(isBoxed(ctx.mem.i32[ptrVal(copied)]!)).toBe(true);
    expect(hexOf(termToBinary(dest, copied))).toBe(hexOf(termToBinary(src, t)));
    // an immediate is itself
    expect(copyTerm(src, makeSmall(42), dest)).toBe(makeSmall(42));
    expect(copyTerm(src, NIL, dest)).toBe(NIL);
    expect(taken(dest)).toBe(7 + 7 + 2 * litWords);
  });
});
