/**
 * Term order on heap words against the real VM: erl builds a pool of terms of
 * every kind and prints, for every pair, the results of <, == and =:=; the
 * same pairs are compared in shared memory.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { erlEval } from '../../support/erl.js';
import { Memory } from '../../../vm/memory.js';
import { AtomTable } from '../../../vm/term/atoms.js';
import { Heap } from '../../../vm/term/heap.js';
import { binaryToTerm } from '../../../vm/term/etf.js';
import { compare, equal, exactEqual } from '../../../vm/term/compare.js';
import type { Term } from '../../../vm/term/tags.js';

let pool: Uint8Array[] = [];
let verdicts = '';

beforeAll(() => {
  const out = erlEval(`
    rand:seed(exsss, {7, 8, 9}),
    Node = <<100, 0, 7, "foo@bar">>,
    Remote = binary_to_term(<<131, 88, Node/binary, 5:32, 1:32, 2:32>>),
    Scalars = [0, 1, -1, 2, 134217727, 134217728, -134217729, 1 bsl 40, -(1 bsl 40), 1 bsl 53, (1 bsl 53) + 1,
               1 bsl 100, -(1 bsl 100), 0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 9007199254740992.0, 9007199254740994.0,
               1.0e30, -1.0e30, 1.2676506002282294e30, 1.7976931348623157e308,
               a, b, 'B', '', ok, 'ünïcödé', list_to_atom([16#3b1]), zzz,
               make_ref(), make_ref(), self(), Remote, hd(erlang:ports()), fun lists:map/2, fun lists:map/3,
               fun erlang:'+'/2, fun(X) -> X end, fun(X, Y) -> {X, Y} end,
               <<>>, <<1>>, <<1, 2>>, <<1:1>>, <<1, 2:3>>, <<255>>, <<0, 0>>, list_to_binary(lists:seq(1, 100))],
    Compound = [[], [1], [1, 2], [1 | 2], [a, b], "abc", "abd", [1.0], [[]],
                {}, {1}, {1, 2}, {2, 1}, {1.0, 2}, {a, {b, c}},
                #{}, #{a => 1}, #{a => 2}, #{b => 1}, #{1 => a}, #{1.0 => a}, #{a => 1, b => 2},
                maps:from_list([{I, I} || I <- lists:seq(1, 40)]), maps:from_list([{I, I} || I <- lists:seq(2, 41)]),
                maps:from_list([{I, I * 1.0} || I <- lists:seq(1, 40)])],
    Random = [case rand:uniform(4) of 1 -> {rand:uniform(3), lists:nth(rand:uniform(5), Scalars)};
                                       2 -> [lists:nth(rand:uniform(20), Scalars) | rand:uniform(2)];
                                       3 -> #{rand:uniform(3) => rand:uniform(2)};
                                       4 -> float(rand:uniform(5)) end || _ <- lists:seq(1, 60)],
    Pool = Scalars ++ Compound ++ Random,
    [io:format("T ~s~n", [binary:encode_hex(term_to_binary(T))]) || T <- Pool],
    io:format("P ~s~n", [[[case A < B of true -> $<; false -> case A == B of true -> case A =:= B of true -> $=; false -> $~ end; false -> $> end end
                          || B <- Pool] || A <- Pool]]),
    halt().`);
  for (const line of out.split('\n')) {
    if (line.startsWith('T ')) pool.push(Buffer.from(line.slice(2), 'hex'));
    if (line.startsWith('P ')) verdicts = line.slice(2);
  }
});

describe('compare on heap terms against erl', () => {
  it('<, == and =:= agree on every pair of the pool', () => {
    const mem = Memory.create();
    const ctx = { mem, atoms: AtomTable.format(mem) };
    const heap = Heap.allocate(mem, 1 << 20);
    const terms: Term[] = pool.map((b) => binaryToTerm(ctx, heap, b));
    const n = terms.length;
    expect(n).toBeGreaterThan(120);
    expect(verdicts.length).toBe(n * n);
    const bad: string[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const want = verdicts[i * n + j]!;
        const c = compare(ctx, terms[i]!, terms[j]!);
        const got = c < 0 ? '<' : c > 0 ? '>' : exactEqual(ctx, terms[i]!, terms[j]!) ? '=' : '~';
        if (got !== want) bad.push(`pool[${i}] vs pool[${j}]: erl ${want}, beamjs ${got}`);
        if ((want === '=' || want === '~') !== equal(ctx, terms[i]!, terms[j]!)) bad.push(`== on ${i},${j}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });
});
