/**
 * Integer arithmetic against the real VM: erl computes every operator on
 * pairs of integers around every size boundary (28-bit smalls, 32, 53, 64
 * bits, bignums of thousands of bits); beamjs must give the same results,
 * and the same badarith cases. Terms: results round-trip through the heap.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { erlEval } from '../../support/erl.js';
import { Memory } from '../../../vm/memory.js';
import { AtomTable } from '../../../vm/term/atoms.js';
import { Heap } from '../../../vm/term/heap.js';
import * as I from '../../../vm/term/integers.js';
import { isSmall } from '../../../vm/term/tags.js';

const OPS = ['+', '-', '*', 'div', 'rem', 'band', 'bor', 'bxor', 'bsl', 'bsr'] as const;
const FNS: Record<(typeof OPS)[number], (a: I.Int, b: I.Int) => I.Int> = {
  '+': I.add, '-': I.sub, '*': I.mul, div: I.div, rem: I.rem,
  band: I.band, bor: I.bor, bxor: I.bxor, bsl: I.bsl, bsr: I.bsr,
};

let values: bigint[] = [];
let results: string[][] = [];

beforeAll(() => {
  const out = erlEval(`
    rand:seed(exsss, {1, 2, 3}),
    Base = [0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 65, 100, 255, 256,
            (1 bsl 27) - 1, 1 bsl 27, (1 bsl 31) - 1, 1 bsl 31, (1 bsl 32) - 1, 1 bsl 32,
            (1 bsl 53) - 1, 1 bsl 53, (1 bsl 53) + 1, (1 bsl 63) - 1, 1 bsl 63, 1 bsl 64,
            1 bsl 100, (1 bsl 1000) + 12345, 1 bsl 3000]
           ++ [rand:uniform(1 bsl B) || B <- [10, 20, 30, 40, 50, 60, 70, 90, 130, 200, 500, 2000]],
    Vals = lists:usort(Base ++ [-V || V <- Base]),
    Shifts = [0, 1, 3, 27, 31, 32, 53, 64, 100, -1, -5, -40],
    Ops = ['+', '-', '*', 'div', 'rem', 'band', 'bor', 'bxor', 'bsl', 'bsr'],
    io:format("V ~s~n", [lists:join(" ", [integer_to_list(V) || V <- Vals])]),
    [begin
       Bs = case Op of 'bsl' -> Shifts; 'bsr' -> Shifts; _ -> Vals end,
       [io:format("R ~s ~s ~s ~s~n", [Op, integer_to_list(A), integer_to_list(B),
          try erlang:Op(A, B) of X -> integer_to_list(X) catch error:E -> atom_to_list(E) end])
        || B <- Bs]
     end || A <- Vals, Op <- Ops],
    halt().`);
  for (const line of out.split('\n')) {
    if (line.startsWith('V ')) values = line.slice(2).split(' ').map(BigInt);
    if (line.startsWith('R ')) results.push(line.slice(2).split(' '));
  }
});

describe('integer arithmetic against erl', () => {
  it('every operator on every pair gives the same value or the same error', () => {
    expect(values.length).toBeGreaterThan(80);
    expect(results.length).toBeGreaterThan(40000);
    const bad: string[] = [];
    for (const [op, a, b, want] of results) {
      let got: string;
      try {
        got = String(FNS[op as (typeof OPS)[number]](I.normalize(BigInt(a!)), I.normalize(BigInt(b!))));
      } catch (e) {
        got = e instanceof I.BadArith ? 'badarith' : e instanceof I.IntegerLimit ? 'system_limit' : String(e);
      }
      if (got !== want) bad.push(`${a} ${op} ${b}: erl ${want}, beamjs ${got}`);
      if (bad.length > 10) break;
    }
    expect(bad).toEqual([]);
  });

  it('results stay numbers while they are safe integers', () => {
    expect(typeof I.add(2 ** 52, 2 ** 52 - 1)).toBe('number');
    expect(typeof I.add(2 ** 53, 2 ** 53)).toBe('bigint');
    expect(typeof I.sub(2n ** 60n, 2n ** 60n)).toBe('number');
  });

  it('integer terms: smalls are immediates, others bignums that read back exactly', () => {
    const mem = Memory.create();
    const ctx = { mem, atoms: AtomTable.format(mem) };
    const heap = Heap.allocate(mem, 1 << 16);
    for (const v of values) {
      const n = I.normalize(v);
      const before = heap.top;
      const t = I.makeInteger(ctx, heap, n);
      expect(heap.top - before).toBe(I.integerWords(n));
      expect(isSmall(t)).toBe(v >= -(2n ** 27n) && v < 2n ** 27n);
      expect(I.integerValue(ctx, t)).toBe(n);
    }
  });
});
