/**
 * The operator BIFs (bifs/erlang_arith.ts) against erl: every operator on
 * every pair of a table of numbers (small, at the 28- and 60-bit edges,
 * bignums, floats including -0.0 and the extremes) and non-numbers, plus
 * random large integers mixed with floats (OTP's big_to_double rounding).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../bifs/erlang_arith.js';
import '../../bifs/erlang_convert.js';
import { countByFunction, erlOutcomes, mismatches, type OracleCase } from './oracle.js';

const CASES = String.raw`
(fun() ->
  rand:seed(exsss, {1, 2, 3}),
  Nums = [0, 1, -1, 7, -7, 134217727, 134217728, -134217728, -134217729, 1 bsl 27 + 5,
          1 bsl 59, -(1 bsl 59), (1 bsl 59) - 1, 1 bsl 60, (1 bsl 64) - 1, 1 bsl 64, -(1 bsl 64),
          1 bsl 100, -(1 bsl 100) + 3, (1 bsl 1023) * 3, 1 bsl 1024, 12345678901234567,
          1.0, -1.0, 0.0, -0.0, 0.5, 2.5, 1.0e308, -1.0e308, 5.0e-324, 3.14, 1.0e15, 9007199254740993.0],
  Bad = [a, [], "x", <<1>>, {1}],
  Ops2 = ['+', '-', '*', '/', 'div', 'rem', 'band', 'bor', 'bxor'],
  Shifts = [0, 1, 3, 27, 28, 31, 32, 59, 60, 63, 64, 65, 100, 1000, -1, -3, -31, -32, -64, -100, -1000,
            1 bsl 40, -(1 bsl 40), 1 bsl 100, -(1 bsl 100), 1.0, a],
  ShiftVals = [0, 1, -1, 5, -5, 134217727, -134217728, 1 bsl 40, -(1 bsl 40), 1 bsl 100, -(1 bsl 100) - 1, 2.0, x],
  Cmp = ['==', '/=', '=:=', '=/=', '<', '>', '=<', '>='],
  CmpTerms = [0, 1, 1.0, -0.0, 0.0, 1 bsl 64, 18446744073709551616.0, a, b, [], [a], {a}, {a, b}, <<>>, <<1>>, "ab", #{}, #{a => 1}],
  Bools = [true, false, 1, a],
  RandBig = fun() -> B = 60 + rand:uniform(1100), X = rand:uniform(1 bsl B) + (1 bsl (B - 1)),
                     case rand:uniform(2) of 1 -> X; 2 -> -X end end,
  Bigs = [RandBig() || _ <- lists:seq(1, 300)],
  [{erlang, Op, [A, B]} || Op <- Ops2, A <- Nums ++ Bad, B <- Nums ++ Bad,
                           not (lists:member(A, Bad) andalso lists:member(B, Bad))]
  ++ [{erlang, Op, [A, B]} || Op <- ['bsl', 'bsr'], A <- ShiftVals, B <- Shifts]
  ++ [{erlang, Op, [A]} || Op <- ['-', '+', 'bnot'], A <- Nums ++ Bad]
  ++ [{erlang, Op, [A, B]} || Op <- Cmp, A <- CmpTerms, B <- CmpTerms]
  ++ [{erlang, Op, [A, B]} || Op <- ['and', 'or', 'xor'], A <- Bools, B <- Bools]
  ++ [{erlang, 'not', [A]} || A <- Bools]
  ++ [{erlang, '+', [X, 0.0]} || X <- Bigs]
  ++ [{erlang, '*', [X, 1.5]} || X <- Bigs]
  ++ [{erlang, '/', [X, 3]} || X <- Bigs]
  ++ [{erlang, '/', [X, Y]} || {X, Y} <- lists:zip(Bigs, lists:reverse(Bigs))]
  ++ [{erlang, '*', [X, Y]} || {X, Y} <- lists:zip(Bigs, lists:reverse(Bigs))]
  ++ [{erlang, 'div', [X, Y]} || {X, Y} <- lists:zip(Bigs, lists:reverse(Bigs))]
  ++ [{erlang, 'rem', [X, Y]} || {X, Y} <- lists:zip(Bigs, lists:reverse(Bigs))]
  ++ [{erlang, float, [X]} || X <- Bigs]
end)()`;

let cases: OracleCase[];

beforeAll(() => {
  cases = erlOutcomes(CASES);
});

describe('operators as BIFs against erl', () => {
  it('covers every operator', () => {
    const counts = countByFunction(cases);
    for (const k of ['+/2', '-/2', '*/2', '//2', 'div/2', 'rem/2', 'band/2', 'bor/2', 'bxor/2', 'bsl/2', 'bsr/2',
      '-/1', '+/1', 'bnot/1', '==/2', '/=/2', '=:=/2', '=/=/2', '</2', '>/2', '=</2', '>=/2', 'and/2', 'or/2',
      'xor/2', 'not/1']) {
      expect(counts.get(`erlang:${k}`) ?? 0, k).toBeGreaterThan(0);
    }
    expect(cases.length).toBeGreaterThan(10000);
  });

  it('gives erl’s result or exception for every call', () => {
    expect(mismatches(cases).slice(0, 30)).toEqual([]);
  });
});
