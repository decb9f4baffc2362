/**
 * Tuple, list and type-test BIFs (bifs/erlang_data.ts) against erl, with
 * '--' on long lists (the multiset path) as well as short ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../bifs/erlang_data.js';
import { countByFunction, erlOutcomes, mismatches, type OracleCase } from './oracle.js';

const CASES = String.raw`
(fun() ->
  rand:seed(exsss, {3, 1, 4}),
  R = fun(N) -> rand:uniform(N) end,
  Fun0 = fun() -> ok end,
  Fun2 = fun(X, Y) -> {X, Y} end,
  Any = [0, -1, 1 bsl 70, -(1 bsl 70), 1.0, -0.0, a, true, false, [], [a], [a | b], "abc", {}, {a}, {a, b, c},
         <<>>, <<1, 2>>, <<1:3>>, <<1, 2, 3:5>>, list_to_binary(lists:seq(1, 100)), #{}, #{a => 1}, self(),
         make_ref(), hd(erlang:ports()), Fun0, Fun2, fun lists:map/2, fun erlang:'+'/2],
  Tuples = [{}, {a}, {a, b, c}, list_to_tuple(lists:seq(1, 100))],
  Idx = [0, 1, 2, 3, 4, 100, 101, -1, 1 bsl 64, 1.0, a],
  Mixed = [1, 1.0, 2, a, {a, 1}, {a, 1.0}, "x", <<"x">>, 0.0, -0.0, [1], [1.0], 1 bsl 80, 2.0],
  Long = [lists:nth(R(length(Mixed)), Mixed) || _ <- lists:seq(1, 400)] ++ [R(50) || _ <- lists:seq(1, 400)],
  Long2 = [lists:nth(R(length(Mixed)), Mixed) || _ <- lists:seq(1, 150)] ++ [R(50) || _ <- lists:seq(1, 300)],
  Subs = [{[1, 2, 3, 2, 1], [2]}, {[1, 2, 3, 2, 1], [2, 2, 2]}, {[1], [1.0]}, {[1.0], [1]}, {[0.0], [-0.0]},
          {[-0.0], [0.0]}, {[{0.0}], [{-0.0}]}, {[], [a]}, {[a], []}, {[a | b], [a]}, {[a], [a | b]}, {a, []},
          {[], a}, {Long, Long2}, {Long2, Long}, {Long, lists:reverse(Long)}, {Long, Mixed}, {Mixed, Long},
          {lists:seq(1, 1000), lists:seq(1000, 1, -2)}, {Long, [x]}, {[x], Long}],
  Apps = [{[], a}, {[], []}, {[1], 2}, {[1, 2], [3]}, {[1 | 2], [3]}, {a, []}, {a, [1]}, {"ab", <<"c">>},
          {lists:seq(1, 100), [x]}],
  lists:append([
    [{erlang, element, [N, T]} || N <- Idx, T <- Tuples ++ [a, [a]]],
    [{erlang, setelement, [N, T, x]} || N <- Idx, T <- Tuples ++ [a]],
    [{erlang, tuple_size, [T]} || T <- Any],
    [{erlang, size, [T]} || T <- Any],
    [{erlang, byte_size, [T]} || T <- Any],
    [{erlang, bit_size, [T]} || T <- Any],
    [{erlang, make_tuple, [N, x]} || N <- [0, 1, 5, -1, 1 bsl 64, a, 2.0]],
    [{erlang, make_tuple, [N, x, L]} || N <- [0, 3], L <- [[], [{1, a}], [{1, a}, {1, b}, {3, c}], [{0, a}], [{4, a}],
                                        [{1, a, b}], [a], [{1, a} | b], a, [{a, 1}]]],
    [{erlang, append_element, [T, x]} || T <- Tuples ++ [a, [a]]],
    [{erlang, delete_element, [N, T]} || N <- Idx, T <- Tuples ++ [a]],
    [{erlang, insert_element, [N, T, x]} || N <- Idx, T <- Tuples ++ [a]],
    [{erlang, length, [L]} || L <- Any ++ [lists:seq(1, 1000)]],
    [{erlang, hd, [L]} || L <- Any],
    [{erlang, tl, [L]} || L <- Any],
    [{erlang, '++', [A, B]} || {A, B} <- Apps],
    [{erlang, append, [A, B]} || {A, B} <- Apps],
    [{erlang, '--', [A, B]} || {A, B} <- Subs],
    [{erlang, subtract, [A, B]} || {A, B} <- Subs],
    [{erlang, F, [A, B]} || F <- [max, min], A <- Mixed ++ [a, b, []], B <- Mixed ++ [a, b, []]],
    [{erlang, F, [T]} || F <- [is_atom, is_binary, is_bitstring, is_boolean, is_float, is_function, is_integer,
                              is_list, is_number, is_pid, is_port, is_reference, is_tuple], T <- Any],
    [{erlang, is_function, [F, A]} || F <- Any, A <- [0, 2, 3, -1, 1 bsl 70, -(1 bsl 70), a, 1.0]],
    [{erlang, is_record, [T, Tag]} || T <- [{a}, {a, 1}, {b, 1}, {}, a, [a]], Tag <- [a, b, 1, "a"]],
    [{erlang, is_record, [T, Tag, S]} || T <- [{a}, {a, 1}, {b, 1}, {}, a], Tag <- [a, 1],
                                         S <- [0, 1, 2, -2, 1 bsl 70, a, 2.0]]
  ])
end)()`;

let cases: OracleCase[];

beforeAll(() => {
  cases = erlOutcomes(CASES);
});

describe('tuple, list and type-test BIFs against erl', () => {
  it('has cases for every BIF', () => {
    const counts = countByFunction(cases);
    for (const k of ['element/2', 'setelement/3', 'tuple_size/1', 'size/1', 'byte_size/1', 'bit_size/1', 'make_tuple/2',
      'make_tuple/3', 'append_element/2', 'delete_element/2', 'insert_element/3', 'length/1', 'hd/1', 'tl/1', '++/2',
      '--/2', 'max/2', 'min/2', 'is_atom/1', 'is_binary/1', 'is_bitstring/1', 'is_boolean/1', 'is_float/1',
      'is_function/1', 'is_function/2', 'is_integer/1', 'is_list/1', 'is_number/1', 'is_pid/1', 'is_port/1',
      'is_reference/1', 'is_tuple/1', 'is_record/2', 'is_record/3']) {
      expect(counts.get(`erlang:${k}`) ?? 0, k).toBeGreaterThan(3);
    }
  });

  it('gives erl’s result or exception for every call', () => {
    expect(mismatches(cases).slice(0, 30)).toEqual([]);
  });
});
