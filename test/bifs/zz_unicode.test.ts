/**
 * bifs/unicode.ts against erl: characters_to_binary/2, characters_to_list/2
 * and bin_is_7bit/1 over generated chardata in every encoding.
 *
 * The data mixes characters (ASCII, Latin-1, around the surrogates and
 * U+10FFFF, negative, 2^40, 2^59, 2^60, 2^100), binaries (valid UTF-8,
 * overlong forms, encoded surrogates, stray continuation bytes, sequences
 * cut at the end, bitstrings), strings cut at random bytes into several
 * binaries (so that a character spans binaries), nested lists, improper
 * tails and, rarely, garbage. For utf16/utf32 the binaries are encodings of
 * random text, cut and corrupted with lone surrogates and out-of-range
 * units; big binaries cross the 8192-byte chunks of unicode.erl's ml_map.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../bifs/unicode.js';
import { erlCases, runCases, vmHarness, type ErlCase } from './harness.js';

let cases: ErlCase[] = [];
let bigCases: ErlCase[] = [];

beforeAll(() => {
  cases = erlCases(`
    rand:seed(exsss, {3, 1, 4}),
    Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
    Cp = fun() -> case rand:uniform(12) of
                    1 -> rand:uniform(128) - 1;
                    2 -> 127 + rand:uniform(130);
                    3 -> 16#D7F0 + rand:uniform(32);
                    4 -> 16#DBF0 + rand:uniform(32);
                    5 -> 16#10FFF0 + rand:uniform(32);
                    6 -> Pick([-1, 1 bsl 40, (1 bsl 59) - 1, 1 bsl 59, 1 bsl 60, 1 bsl 100, 16#FFFE, 16#FFFF, 0, 16#E000]);
                    7 -> rand:uniform(16#10FFFF);
                    _ -> 96 + rand:uniform(30)
                  end end,
    ValidCp = fun() -> case rand:uniform(5) of
                         1 -> rand:uniform(128) - 1;
                         2 -> 127 + rand:uniform(130);
                         3 -> rand:uniform(16#D7FF);
                         4 -> 16#DFFF + rand:uniform(16#2000);
                         5 -> 16#FFFF + rand:uniform(16#100000)
                       end end,
    Text = fun() -> [ValidCp() || _ <- lists:seq(1, rand:uniform(6) - 1)] end,
    Utf8 = fun() -> unicode:characters_to_binary(Text()) end,
    BadUtf8 = [<<16#C0, 16#80>>, <<16#C1, 16#BF>>, <<16#E0, 16#80, 16#80>>, <<16#E0, 16#9F, 16#BF>>, <<16#ED, 16#A0, 16#80>>,
               <<16#ED, 16#BF, 16#BF>>, <<16#F0, 16#80, 16#80, 16#80>>, <<16#F0, 16#8F, 16#BF, 16#BF>>, <<16#F4, 16#90, 16#80, 16#80>>,
               <<16#F5, 16#80, 16#80, 16#80>>, <<16#F7, 16#BF>>, <<16#F8>>, <<16#FF>>, <<16#80>>, <<16#C3>>, <<16#E2, 16#82>>,
               <<16#F0, 16#9F, 16#98>>, <<16#E2, 16#28, 16#A1>>, <<16#F0, 16#28, 16#8C, 16#BC>>, <<16#C3, 16#28>>,
               <<16#E0>>, <<16#E0, 16#A0>>, <<16#E0, 16#20>>, <<16#F0, 16#90>>, <<16#F0, 16#20>>, <<16#F0, 16#90, 16#20>>],
    Cut = fun(B) -> N = rand:uniform(byte_size(B) + 1) - 1, <<X:N/binary, Y/binary>> = B, [X, Y] end,
    %% A binary cut into 1..4 pieces at random byte positions.
    Pieces = fun Pieces(B, 0) -> [B];
                 Pieces(B, K) -> [X, Y] = Cut(B), [X | Pieces(Y, K - 1)] end,
    Bin = fun() -> case rand:uniform(10) of
                     1 -> Pick(BadUtf8);
                     2 -> <<(Utf8())/binary, (Pick(BadUtf8))/binary, (Utf8())/binary>>;
                     3 -> hd(Cut(Utf8()));
                     4 -> list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(5))]);
                     5 -> Pick([<<>>, <<>>, <<"abc">>, <<1:3>>, <<"ab", 5:4>>]);
                     _ -> Utf8()
                   end end,
    ByteBin = fun ByteBin() -> case Bin() of B when is_binary(B) -> B; _ -> ByteBin() end end,
    Garbage = fun() -> case rand:uniform(30) of 1 -> Pick([a, 1.5, {x}, self()]); _ -> [] end end,
    Data = fun Data(D) ->
                 Items = [case rand:uniform(12) of
                            N when N =< 4 -> Cp();
                            N when N =< 7 -> Bin();
                            N when N =< 9, D > 0 -> Data(D - 1);
                            10 -> Pieces(<<(Utf8())/binary, (Utf8())/binary>>, rand:uniform(3));
                            11 -> Pieces(<<(Utf8())/binary, (Pick(BadUtf8))/binary>>, rand:uniform(3));
                            _ -> Garbage()
                          end || _ <- lists:seq(1, rand:uniform(6) - 1)],
                 case rand:uniform(10) of
                   1 -> Items ++ Bin();
                   2 -> Items ++ Pick([a, 5, 1 bsl 60, <<1:3>>]);
                   _ -> Items
                 end end,
    Top = fun() -> case rand:uniform(10) of
                     1 -> Bin();
                     2 -> [Bin()];
                     3 -> Pieces(<<(Utf8())/binary, (ByteBin())/binary>>, rand:uniform(4));
                     _ -> Data(3)
                   end end,
    Fns = [characters_to_binary, characters_to_list],
    CPath = [{unicode, Pick(Fns), [Top(), Pick([latin1, unicode, utf8, utf8])]} || _ <- lists:seq(1, 3000)],
    %% utf16/utf32: encoded text, corrupted and cut.
    Encs = [utf16, {utf16, big}, {utf16, little}, utf32, {utf32, big}, {utf32, little}],
    Norm = fun(utf16) -> {utf16, big}; (utf32) -> {utf32, big}; (E) -> E end,
    Bad = fun({utf16, big}) -> Pick([<<16#DC00:16>>, <<16#D800:16, 16#41:16>>, <<16#DBFF:16>>, <<16#D8>>, <<16#DC>>, <<0>>]);
             ({utf16, little}) -> Pick([<<16#DC00:16/little>>, <<16#D800:16/little, 16#41:16/little>>, <<16#DBFF:16/little>>,
                                         <<0, 16#D8>>, <<0, 16#DC>>, <<0>>, <<0, 16#D8, 0>>]);
             ({utf32, big}) -> Pick([<<16#D800:32>>, <<16#110000:32>>, <<16#FFFFFFFF:32>>, <<0>>, <<0, 16>>, <<0, 17>>,
                                      <<0, 0, 16#D8>>, <<0, 0, 16#E0>>, <<0, 1, 16#D8>>, <<1>>]);
             ({utf32, little}) -> Pick([<<16#D800:32/little>>, <<16#110000:32/little>>, <<0>>, <<0, 0>>, <<16#FE, 16#FF, 0>>,
                                         <<16#FF, 16#FF, 0>>, <<0, 16#D8, 0>>, <<0, 0, 17>>, <<0, 0, 16>>])
          end,
    EncBin = fun(E) -> B = unicode:characters_to_binary(Text(), unicode, E),
                       case rand:uniform(6) of
                         1 -> <<B/binary, (Bad(Norm(E)))/binary>>;
                         2 -> <<(Bad(Norm(E)))/binary, B/binary>>;
                         3 -> hd(Cut(B));
                         _ -> B
                       end end,
    EncData = fun EncData(E, D) ->
                    Items = [case rand:uniform(12) of
                               N when N =< 3 -> Cp();
                               N when N =< 7 -> EncBin(E);
                               N when N =< 9, D > 0 -> EncData(E, D - 1);
                               N when N =< 11 -> Pieces(<<(EncBin(E))/binary, (EncBin(E))/binary>>, rand:uniform(3));
                               _ -> Garbage()
                             end || _ <- lists:seq(1, rand:uniform(6) - 1)],
                    case rand:uniform(10) of
                      1 -> Items ++ EncBin(E);
                      2 -> Items ++ Pick([a, 5, <<1:3>>]);
                      _ -> Items
                    end end,
    ErlPath = [begin E = Pick(Encs),
                     D = case rand:uniform(6) of 1 -> EncBin(E); _ -> EncData(E, 3) end,
                     {unicode, Pick(Fns), [D, E]}
               end || _ <- lists:seq(1, 2500)],
    %% Big binaries: errors and characters across the 8192-byte chunks.
    A16 = binary:copy(<<0, 65>>, 4095),
    A32 = binary:copy(<<0, 0, 0, 65>>, 2047),
    Big = [{unicode, F, [D, E]} || F <- Fns,
                                   {D, E} <- [{<<A16/binary, 16#D8, 0, 16#DC, 0, 0, 66>>, utf16},
                                              {<<A16/binary, 0, 16#D8, 0, 16#DC>>, {utf16, little}},
                                              {<<A16/binary, A16/binary, 16#DC, 0, 0, 66>>, utf16},
                                              {[<<A16/binary, 0>>, <<66, 16#DC, 0>>], utf16},
                                              {[x, <<A16/binary, A16/binary, 16#DC, 0, 0, 66>>], utf16},
                                              {[<<A16/binary, A16/binary, A16/binary, 16#D8>>], utf16},
                                              {<<A32/binary, 0, 0, 1, 0, 0, 17, 0, 0>>, utf32},
                                              {<<A32/binary, 0, 0>>, utf32},
                                              {[65 | <<A16/binary, A16/binary, 16#D8>>], utf16},
                                              {[[<<A16/binary, A16/binary, 16#DC, 0>>], 67], utf16},
                                              {<<A16/binary, 16#DC, 0, A16/binary>>, utf16},
                                              {[<<A16/binary, 0, 66, 16#DC, 0, A16/binary>>, 67], utf16},
                                              {[<<A16/binary, A16/binary, 0, 66, 0, 67, 16#DC, 0, A16/binary>> | <<0, 68>>], utf16},
                                              {<<A32/binary, 0, 0, 16#D8, 0, A32/binary>>, utf32},
                                              {<<A32/binary, 0, 0, 0, 66, 0, 0, 16#D8, 0, A32/binary>>, utf32}]],
    Misc = [{unicode, F, [D, E]} || F <- Fns, D <- [[], <<>>, [[]], "abc", a, 5, [a], <<1:3>>],
                                    E <- [foo, {utf16, middle}, {utf8, big}, utf16, latin1, utf8, {utf32, little}]]
        ++ [{unicode, bin_is_7bit, [X]} || X <- [<<>>, <<"abc">>, <<127>>, <<128>>, <<"ab", 200, "c">>, <<1:3>>, <<65, 1:1>>,
                                                 "abc", a, 1]]
        ++ [{unicode, bin_is_7bit, [Bin()]} || _ <- lists:seq(1, 100)],
    CPath ++ ErlPath ++ Big ++ Misc`);
});

beforeAll(() => {
  // Inputs long enough that the real VM's BIFs trap (run out of reductions) several times on the way.
  bigCases = erlCases(`
    S = lists:seq(1, 1000),
    U = unicode:characters_to_binary(lists:seq(16#400, 16#4FF)),
    Ds = [[S || _ <- lists:seq(1, 60)] ++ [16#D800, 5],
          [[lists:seq(1, 30000)], [1, 2, 16#D800, 3], 4],
          [binary:copy(U, 300), [<<1, 2, 255>>, 7], 8],
          [[binary:copy(U, 200), [lists:seq(32, 2000)], <<16#E2, 16#82>>] || _ <- lists:seq(1, 20)] ++ [<<16#AC, 1>>, 300, [1 | <<16#E2>>]],
          [[binary:copy(U, 200), [lists:seq(32, 2000)], <<16#E2, 16#82>>, 5] || _ <- lists:seq(1, 3)],
          [[[[X]] || X <- lists:seq(1, 20000)], [[[16#DFFF]]], 1],
          [<<"x">> || _ <- lists:seq(1, 30000)] ++ [<<16#C3>>, [[<<16#28>>]]]],
    [{unicode, F, [D, E]} || D <- Ds, F <- [characters_to_binary, characters_to_list], E <- [utf8, latin1]]`);
});

describe('unicode BIFs against erl', () => {
  it('agree on every generated call', () => {
    console.log('COUNT unicode', cases.length, typeof bigCases === 'undefined' ? '' : bigCases.length); expect(cases.length).toBeGreaterThan(5500);
    expect(runCases(vmHarness(), cases)).toEqual([]);
  });

  it('agree on inputs long enough to make the real BIFs trap', () => {
    expect(bigCases.length).toBe(28);
    expect(runCases(vmHarness(), bigCases)).toEqual([]);
  });
});
