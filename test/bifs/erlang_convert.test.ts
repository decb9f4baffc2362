/**
 * The conversion BIFs (bifs/erlang_convert.ts) against erl: tables of
 * arguments with edge cases and wrong types; erl applies each call, the test
 * runs ours on the same arguments (decoded from erl's term_to_binary) and
 * compares results as external-format bytes, or the exception. Calls with a
 * bitstring argument run a second time with it as an unaligned sub-binary.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../bifs/erlang_arith.js';
import '../../bifs/erlang_convert.js';
import { countByFunction, erlOutcomes, hasBitstringArg, mismatches, unaligned, type OracleCase } from './oracle.js';

const CASES = String.raw`
(fun() ->
  rand:seed(exsss, {7, 8, 9}),
  Bad = [1, 1.5, a, "abc", <<"abc">>, {x}, [a|b], #{}],
  Long = lists:duplicate(255, $a),
  Atoms = ['', a, 'hello world', 'ÿé', '\x{100}', '\x{10FFFF}x', list_to_atom(Long), list_to_atom(lists:duplicate(255, 16#1F600))],
  AtomLists = ["", "abc", [255], [256], [16#10FFFF], [16#D800], [16#DFFF], [16#110000], [-1], [a], [$a|b], "a" ++ <<"b">>,
               Long, Long ++ "a", Long ++ [foo], Long ++ foo, [foo | Long], lists:duplicate(256, 16#10FFFF), Long ++ b,
               <<"a">>, a, 1],
  AtomBins = [<<>>, <<"abc">>, <<255>>, <<195,169>>, <<237,160,128>>, <<192,128>>, <<240,159,152,128>>, <<239,187,191,97>>,
              <<1:3>>, <<"a", 1:1>>, list_to_binary(Long), list_to_binary(Long ++ "a"),
              << <<240,159,152,128>> || _ <- lists:seq(1, 255) >>, << <<240,159,152,128>> || _ <- lists:seq(1, 256) >>,
              <<(list_to_binary(lists:duplicate(300, $a)))/binary, 255>>, <<255, (list_to_binary(lists:duplicate(300, $a)))/binary>>,
              <<(list_to_binary(Long))/binary, 255>>, <<(list_to_binary(Long))/binary, 195>>, <<(list_to_binary(Long))/binary, 195, 169>>,
              <<(list_to_binary(lists:duplicate(254, $a)))/binary, 195>>,
              abc, "abc"],
  Encs = [latin1, utf8, unicode, foo, 1],
  Ints = [0, 1, -1, 9, 10, 35, 36, -35, 255, 134217727, 134217728, -134217729, 1 bsl 53, 1 bsl 64, -(1 bsl 64) - 1,
          1 bsl 200, -(1 bsl 333) + 12345],
  Bases = [2, 3, 7, 8, 10, 16, 32, 36, 1, 37, 0, -2, a, 10.0, 1 bsl 64],
  IntTexts = ["", "0", "-0", "+0", "+", "-", "12", "+12", "-12", " 12", "12 ", "1_0", "ff", "FF", "fF", "z", "Z", "zz", "10",
              "9007199254740993", "-9007199254740993", "123456789012345678901234567890", "-zzzzzzzzzzzzzzzzzzzzzzzz",
              "11111111111111111111111111111111111111111111111111111111111111111111111", "1.0", [$1, 256], [$1 | $2],
              [$1, a], lists:duplicate(400, $7), [$- | lists:duplicate(200, $z)]],
  Floats = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, -2.5, 3.5, 0.49999999999999994, -0.49999999999999994, 123.456,
            1.0e15, 1.0e16, 1.0e300, -1.0e300, 5.0e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 4503599627370495.5,
            9007199254740993.0, 1.0e23, 123456789.123456789, 0.000123, -7.0e-10],
  FloatOpts = [[], [short], [compact], [{decimals, 0}], [{decimals, 2}], [{decimals, 4}, compact], [{decimals, 20}],
               [{decimals, 253}], [{decimals, 254}], [{decimals, -1}], [{decimals, a}], [{scientific, 0}], [{scientific, 3}],
               [{scientific, 20}], [{scientific, -1}], [{scientific, 250}], [{decimals, 3}, {scientific, 2}],
               [{scientific, 2}, {decimals, 3}], [{decimals, 2}, short], [short, {decimals, 2}], [compact, {decimals, 5}],
               [foo], [{decimals, 2} | x], x, [{decimals, 1 bsl 64}], [{decimals, 2.0}], [{decimals, 2, 3}]],
  FloatTexts = ["1.0", "-1.0", "+1.0", "1", "1.", ".5", "1e5", "1.0e5", "1.5E3", "1.5e+3", "1.5e-3", "1,5", " 1.5", "1.5 ",
                "0x1.5", "1.5e", "inf", "nan", "1.0e400", "-1.0e400", "1.0e-400", "2.4703282292062328e-324",
                "1.7976931348623157e308", "1.7976931348623159e308", "0.1", "-0.0", "00012.50000", "1.0e0", "1.0e-0",
                "123456789012345678901234567890.123456789", "1.0E+05", [$1, $., 256], [$1, $. | $2], "1.0e5.0", "--1.0", ""],
  Numbers = [0, 7, -7, 134217728, -(1 bsl 70), 1 bsl 1023, (1 bsl 1024) - 1, 1 bsl 1024, -(1 bsl 1024),
             (1 bsl 1024) - (1 bsl 970), (1 bsl 1024) - (1 bsl 971), 0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5,
             0.49999999999999994, -0.49999999999999994, 4503599627370495.5, -4503599627370495.5, 1.0e20, -1.0e20,
             1.7976931348623157e308, -1.7976931348623157e308, 5.0e-324, -5.0e-324, a, "1", <<1>>],
  Bins = [<<>>, <<1>>, <<1, 2, 3>>, <<1:3>>, <<1, 2, 3:3>>, list_to_binary(lists:seq(0, 255)), <<0:(70*8), 5:5>>],
  Positions = [0, 1, 2, 3, 4, -1, 256, 1 bsl 64, a],
  Iolists = [[], [1, 2], [[1], [[2, <<3>>]] | <<4>>], [<<1:3>>], [256], [-1], [a], [1 | 2], [<<1>> | <<2>>], [[] | []],
             <<1, 2>>, <<1:3>>, a, 1, "abc" ++ <<"def">>, [<<>>, [<<>>]], [lists:seq(1, 100), <<0:(100*8)>>]],
  BitLists = [[], [1, <<1:3>>], [<<1:3>>, 1, <<1:5>> | <<1:1>>], [<<1:1>>, [<<1:7>>], 255], [<<1:3>> | <<1:3>>], <<1:3>>,
              [a], [256], [1 | 2], [[<<1:1>>, <<0:1>>], <<1:1>>, 7], [<<0:(100*8+5)>>, <<1:3>>]],
  Tuples = [{}, {a}, {a, b, c}, list_to_tuple(lists:seq(1, 300)), [a], a],
  Lists = [[], [a], [a, b, c], lists:seq(1, 300), [a | b], a, {a}],
  lists:append([
    [{erlang, atom_to_list, [A]} || A <- Atoms ++ Bad],
    [{erlang, list_to_atom, [L]} || L <- AtomLists],
    [{erlang, list_to_existing_atom, [L]} || L <- AtomLists ++ ["nonexisting atom 48372", "erlang"]],
    [{erlang, atom_to_binary, [A]} || A <- Atoms ++ Bad],
    [{erlang, atom_to_binary, [A, E]} || A <- Atoms ++ ["a", 1], E <- Encs],
    [{erlang, binary_to_atom, [B]} || B <- AtomBins],
    [{erlang, binary_to_atom, [B, E]} || B <- AtomBins, E <- Encs],
    [{erlang, binary_to_existing_atom, [B]} || B <- AtomBins ++ [<<"nonexisting atom 48373">>]],
    [{erlang, binary_to_existing_atom, [B, E]} || B <- AtomBins ++ [<<"nonexisting atom 48374">>, <<"erlang">>], E <- Encs],
    [{erlang, integer_to_list, [I]} || I <- Ints ++ Bad],
    [{erlang, integer_to_list, [I, B]} || I <- Ints ++ [1.0, a], B <- Bases],
    [{erlang, integer_to_binary, [I]} || I <- Ints ++ Bad],
    [{erlang, integer_to_binary, [I, B]} || I <- Ints ++ [1.0, a], B <- Bases],
    [{erlang, list_to_integer, [T]} || T <- IntTexts ++ [a, <<"1">>]],
    [{erlang, list_to_integer, [T, B]} || T <- IntTexts, B <- Bases],
    [{erlang, binary_to_integer, [list_to_binary(T)]} || T <- IntTexts, io_lib:printable_latin1_list(T) orelse T =:= ""],
    [{erlang, binary_to_integer, [T]} || T <- [<<"12", 1:3>>, "12", 12, <<"-", 200>>]],
    [{erlang, binary_to_integer, [list_to_binary(T), B]} || T <- IntTexts, io_lib:printable_latin1_list(T) orelse T =:= "", B <- Bases],
    [{erlang, float_to_list, [F]} || F <- Floats ++ [1, a, 1 bsl 70]],
    [{erlang, float_to_list, [F, O]} || F <- Floats ++ [1], O <- FloatOpts],
    [{erlang, float_to_binary, [F]} || F <- Floats ++ [1, a]],
    [{erlang, float_to_binary, [F, O]} || F <- [0.0, -0.0, 1.5, 123.456, 1.0e300], O <- FloatOpts],
    [{erlang, list_to_float, [T]} || T <- FloatTexts ++ [a, 1.0, <<"1.0">>]],
    [{erlang, binary_to_float, [list_to_binary(T)]} || T <- FloatTexts, io_lib:printable_latin1_list(T) orelse T =:= ""],
    [{erlang, binary_to_float, [T]} || T <- [<<"1.0", 1:3>>, "1.0", 1.0]],
    [{erlang, F, [N]} || F <- [float, trunc, round, ceil, floor, abs], N <- Numbers],
    [{erlang, tuple_to_list, [T]} || T <- Tuples],
    [{erlang, list_to_tuple, [L]} || L <- Lists],
    [{erlang, binary_to_list, [B]} || B <- Bins ++ Bad],
    [{erlang, binary_to_list, [B, S, E]} || B <- Bins ++ [a], S <- Positions, E <- Positions],
    [{erlang, list_to_binary, [L]} || L <- Iolists],
    [{erlang, iolist_to_binary, [L]} || L <- Iolists],
    [{erlang, iolist_size, [L]} || L <- Iolists],
    [{erlang, bitstring_to_list, [B]} || B <- Bins ++ Bad],
    [{erlang, list_to_bitstring, [L]} || L <- BitLists ++ Iolists],
    [{erlang, split_binary, [B, P]} || B <- Bins ++ [a], P <- Positions],
    [{erlang, binary_part, [B, {S, L}]} || B <- Bins, S <- [0, 1, 2, 3, -1, a], L <- [0, 1, 2, 3, -1, -2, -3, 1 bsl 64]],
    [{erlang, binary_part, [B, SL]} || B <- [<<1,2,3>>, a], SL <- [{0, 1}, {0, 1, 2}, [0, 1], x]],
    [{erlang, binary_part, [B, S, L]} || B <- Bins ++ [a], S <- [0, 1, 3, -1, 1.0], L <- [0, 2, -1, -2, 300]]
  ])
end)()`;

let cases: OracleCase[];

beforeAll(() => {
  cases = erlOutcomes(CASES);
});

describe('conversion BIFs against erl', () => {
  it('has cases for every BIF', () => {
    const counts = countByFunction(cases);
    for (const k of ['atom_to_list/1', 'list_to_atom/1', 'list_to_existing_atom/1', 'atom_to_binary/1', 'atom_to_binary/2',
      'binary_to_atom/1', 'binary_to_atom/2', 'binary_to_existing_atom/1', 'binary_to_existing_atom/2',
      'integer_to_list/1', 'integer_to_list/2', 'integer_to_binary/1', 'integer_to_binary/2', 'list_to_integer/1',
      'list_to_integer/2', 'binary_to_integer/1', 'binary_to_integer/2', 'float_to_list/1', 'float_to_list/2',
      'float_to_binary/1', 'float_to_binary/2', 'list_to_float/1', 'binary_to_float/1', 'float/1', 'trunc/1', 'round/1',
      'ceil/1', 'floor/1', 'abs/1', 'tuple_to_list/1', 'list_to_tuple/1', 'binary_to_list/1', 'binary_to_list/3',
      'list_to_binary/1', 'iolist_to_binary/1', 'iolist_size/1', 'bitstring_to_list/1', 'list_to_bitstring/1',
      'split_binary/2', 'binary_part/2', 'binary_part/3']) {
      expect(counts.get(`erlang:${k}`) ?? 0, k).toBeGreaterThan(3);
    }
  });

  it('gives erl’s result or exception for every call', () => {
    expect(mismatches(cases).slice(0, 30)).toEqual([]);
  });

  it('gives the same with bitstring arguments as unaligned sub-binaries', () => {
    const withBits = cases.filter(hasBitstringArg);
    expect(withBits.length).toBeGreaterThan(100);
    expect(mismatches(withBits, (p, args) => args.map((a) => unaligned(p, a))).slice(0, 30)).toEqual([]);
  });
});
