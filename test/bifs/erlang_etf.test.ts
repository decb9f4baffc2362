/**
 * term_to_binary, term_to_iovec, binary_to_term and external_size
 * (bifs/erlang_etf.ts) against erl, on terms of every kind and every option,
 * good and bad, and on broken external terms.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../bifs/erlang_etf.js';
import { countByFunction, erlOutcomes, mismatches, unaligned, type OracleCase } from './oracle.js';

const TERMS = String.raw`
  Big = list_to_binary([X rem 256 || X <- lists:seq(1, 300)]),
  <<_:8, Sub100:100/binary, _/binary>> = Big,
  Terms = [0, 255, 256, -1, 1 bsl 27, 1 bsl 31, -(1 bsl 31), 1 bsl 64, -(1 bsl 300), 0.0, -0.0, 1.5, 1.0e300,
           a, '', 'hello world', 'é', '\x{1F600}', [], "abc", lists:seq(1, 300), [a | b], [1, 2 | 3], {}, {a, 1},
           list_to_tuple(lists:seq(1, 300)), <<>>, <<1, 2, 3>>, <<1:3>>, <<1, 2:5>>, Big, Sub100, {Big, Big},
           [Big | Big], #{}, #{a => 1, b => [2]}, maps:from_list([{I, I * 2} || I <- lists:seq(1, 40)]),
           #{Big => Big, <<1>> => 2}, self(), make_ref(), hd(erlang:ports()), fun lists:map/2, fun erlang:'+'/2,
           lists:duplicate(100, {a, "b", 3.0}), {[{}], [[]], #{[] => {}}}],
`;

const CASES = String.raw`
(fun() ->
  ${TERMS}
  Opts = [[], [compressed], [{compressed, 0}], [{compressed, 1}], [{compressed, 9}], [{minor_version, 0}],
          [{minor_version, 1}], [{minor_version, 2}], [deterministic], [compressed, {minor_version, 2}, deterministic],
          [compressed, {compressed, 0}], [{minor_version, 0}, {minor_version, 2}], [{compressed, 10}], [{compressed, -1}],
          [{minor_version, 3}], [foo], [compressed | a], a, [{compressed, 1, 2}], [{minor_version, 1.0}], [local]],
  Encoded = [term_to_binary(T, O) || T <- Terms, O <- [[], [compressed], [{minor_version, 0}]]],
  Broken = [<<>>, <<131>>, <<130, 97, 1>>, <<131, 97>>, <<131, 97, 1, 2, 3>>, <<131, 99, 0:(31*8)>>, <<131, 255>>,
            <<131, 100, 0, 3, "ab">>, <<131, 108, 0, 0, 0, 2, 97, 1, 106>>, <<131, 104, 1>>, <<131, 116, 0, 0, 0, 1, 97, 1, 97, 1>>,
            <<131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2>>, <<131, 80, 0, 0, 0, 2, 1, 2, 3>>,
            <<(term_to_binary(lists:seq(1, 100), [compressed]))/binary, 7, 7>>, <<131, 97, 1, 1:3>>,
            <<131, 100, 0, 7, "nonatom">>, <<131, 119, 2, 255, 255>>, <<131, 77, 0, 0, 0, 1, 0, 255>>,
            <<131, 70, 127, 240, 0, 0, 0, 0, 0, 0>>, <<131, 110, 1, 0, 5>>, <<131, 107, 0, 2, 1>>],
  Fresh = <<131, 100, 0, 17, "brand new atom 91">>,
  lists:append([
    [{erlang, term_to_binary, [T]} || T <- Terms],
    [{erlang, term_to_binary, [T, O]} || T <- Terms, O <- Opts],
    [{erlang, external_size, [T]} || T <- Terms],
    [{erlang, external_size, [T, O]} || T <- Terms, O <- Opts ++ [[{minor_version, 1}, {minor_version, 0}]]],
    [{erlang, term_to_iovec, [T]} || T <- Terms],
    [{erlang, term_to_iovec, [T, O]} || T <- Terms, O <- Opts],
    [{erlang, binary_to_term, [B]} || B <- Encoded ++ Broken ++ [a, "x"]],
    [{erlang, binary_to_term, [B, O]} || B <- Encoded ++ Broken,
                                         O <- [[], [used], [safe], [safe, used], [foo], [used | x], x]],
    [{erlang, binary_to_term, [Fresh, O]} || O <- [[safe], [used, safe]]],
    [{erlang, binary_to_term, [Fresh]}]
  ])
end)()`;

// Unaligned bitstrings: the real VM copies them into the iovec instead of referencing them.
const UNALIGNED = String.raw`
(fun() ->
  Big = list_to_binary([X rem 256 || X <- lists:seq(1, 300)]),
  Shift = fun(B) -> N = bit_size(B), <<_:3, X:N/bits, _/bits>> = <<5:3, B/bits, 0:5>>, X end,
  [{erlang, term_to_iovec, [Shift(B)]} || B <- [<<>>, <<1>>, Big, binary:part(Big, 0, 65), <<Big/binary, 3:3>>]]
end)()`;

let cases: OracleCase[];
let unalignedCases: OracleCase[];

beforeAll(() => {
  cases = erlOutcomes(CASES);
  unalignedCases = erlOutcomes(UNALIGNED);
});

describe('external term format BIFs against erl', () => {
  it('has cases for every BIF', () => {
    const counts = countByFunction(cases);
    for (const k of ['term_to_binary/1', 'term_to_binary/2', 'external_size/1', 'external_size/2', 'term_to_iovec/1',
      'term_to_iovec/2', 'binary_to_term/1', 'binary_to_term/2']) {
      expect(counts.get(`erlang:${k}`) ?? 0, k).toBeGreaterThan(20);
    }
  });

  it('gives erl’s result or exception for every call', () => {
    expect(mismatches(cases).slice(0, 30)).toEqual([]);
  });

  it('copies unaligned bitstrings into term_to_iovec’s own binaries', () => {
    expect(unalignedCases.length).toBe(5);
    expect(mismatches(unalignedCases, (p, args) => args.map((a) => unaligned(p, a)))).toEqual([]);
  });
});
