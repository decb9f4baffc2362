/**
 * bifs/lists.ts against erl: keyfind/keymember/keysearch, member and
 * reverse/2 over generated keys (integers around the 28-, 53- and 60-bit
 * boundaries, equal floats, atoms, binaries, tuples, maps, pids, refs),
 * positions (0, negative, beyond the arity, 2^40, 2^59) and lists (of
 * tuples of every arity, with non-tuples, improper, not lists at all).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../bifs/lists.js';
import { erlCases, runCases, vmHarness, type ErlCase } from './harness.js';

let cases: ErlCase[] = [];

beforeAll(() => {
  cases = erlCases(`
    rand:seed(exsss, {11, 22, 33}),
    Pool = [0, 1, -1, 2, 1.0, -1.0, 2.0, 0.0, -0.0, 134217727, 134217728, -134217728, -134217729,
            134217728.0, 1 bsl 40, float(1 bsl 40), (1 bsl 53) + 1, 1 bsl 53, 9007199254740992.0,
            (1 bsl 59) - 1, 1 bsl 59, -(1 bsl 59), -(1 bsl 59) - 1, 1 bsl 60, (1 bsl 60) + 1,
            float(1 bsl 59), float(1 bsl 60), 1 bsl 100, float(1 bsl 100),
            a, b, ok, [], [a], "ab", [1.0], <<>>, <<"ab">>, <<1:3>>, {}, {a}, {1, 2}, {1.0, 2},
            #{}, #{a => 1}, #{a => 1.0}, self(), make_ref(), fun erlang:abs/1],
    Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
    Elem = fun() -> case rand:uniform(6) of
                      1 -> Pick(Pool);
                      _ -> list_to_tuple([Pick(Pool) || _ <- lists:seq(1, rand:uniform(4) - 1)])
                    end end,
    List = fun() -> Items = [Elem() || _ <- lists:seq(1, rand:uniform(8) - 1)],
                    case rand:uniform(10) of
                      1 -> Items ++ Pick([a, <<"t">>, {x}, 3]);
                      2 -> Pick([a, 3, <<>>, {}]);
                      _ -> Items
                    end end,
    Pos = fun() -> case rand:uniform(8) of
                     1 -> Pick([0, -1, 1 bsl 40, (1 bsl 59) - 1, 1 bsl 59, 1 bsl 64, 1.0, a, -(1 bsl 59)]);
                     _ -> rand:uniform(3)
                   end end,
    Key = [{lists, F, [Pick(Pool), Pos(), List()]} || F <- [keyfind, keymember, keysearch], _ <- lists:seq(1, 700)],
    %% Keys taken from the list itself, so that hits are common.
    Hits = [begin L = [list_to_tuple([Pick(Pool) || _ <- lists:seq(1, 3)]) || _ <- lists:seq(1, 4)],
                  {lists, keyfind, [element(2, Pick(L)), 2, L ++ Pick([[], [x | y]])]} end || _ <- lists:seq(1, 600)],
    Member = [{lists, member, [Pick(Pool), List()]} || _ <- lists:seq(1, 600)]
          ++ [begin L = List(), E = case is_list(L) andalso L =/= [] andalso rand:uniform(2) =:= 1 of
                                        true -> try hd(L) catch _:_ -> a end;
                                        false -> Pick(Pool) end,
                    {lists, member, [E, [Pick(Pool) | L]]} end || _ <- lists:seq(1, 400)],
    Reverse = [{lists, reverse, [List(), Pick([[], [x], a, <<"t">>, [1 | 2], {}])]} || _ <- lists:seq(1, 500)],
    Key ++ Hits ++ Member ++ Reverse ++
      [{lists, reverse, [lists:seq(1, 5000), []]}, {lists, member, [5000, lists:seq(1, 5000)]},
       {lists, keyfind, [5000, 1, [{I} || I <- lists:seq(1, 5000)]]}]`);
});

describe('lists BIFs against erl', () => {
  it('agree on every generated call', () => {
    console.log('COUNT lists', cases.length, ''); expect(cases.length).toBeGreaterThan(4000);
    expect(runCases(vmHarness(), cases)).toEqual([]);
  });
});
