/**
 * bifs/binary.ts against erl. Subjects and patterns are drawn from a tiny
 * alphabet so that matches (overlapping, nested, at the same position) are
 * frequent; subjects of 0..300 bytes cover heap binaries and off-heap ones.
 * Options include valid and invalid scopes (negative lengths, past the
 * end), every split flag and garbage. Compiled patterns are written
 * {'$cp', P} in the call: erl compiles P with its compile_pattern and we
 * with ours. referenced_byte_size/1 is checked on parts ({'$part', B, Pos,
 * Len}) so that the copy-or-sub-binary rule is visible.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesOf } from '../../bifs/binary.js';
import { lookupBif } from '../../bifs/registry.js';
import type { Process } from '../../vm/process.js';
import { isBinary, isTuple, listToArray, mkBinary, mkSubBinary, tupleArity, tupleElement } from '../../vm/term/make.js';
import type { Term } from '../../vm/term/tags.js';
import { erlEval } from '../support/erl.js';
import { erlCases, runCases, termOf, vmHarness, type ErlCase } from './harness.js';

let cases: ErlCase[] = [];

const ERL_PREP = `fun(A) -> [case X of
                               {'$cp', P} -> binary:compile_pattern(P);
                               {'$part', B, Pos, Len} -> binary:part(B, Pos, Len);
                               _ -> X
                             end || X <- A] end`;

/** Our side of ERL_PREP. */
function prep(p: Process, args: Term[]): Term[] {
  return args.map((x) => {
    if (!isTuple(p, x) || tupleArity(p, x) < 2) return x;
    const tag = tupleElement(p, x, 1);
    if (tag === p.atoms.intern('$cp')) return lookupBif('binary', 'compile_pattern', 1)!.fn(p, [tupleElement(p, x, 2)]);
    if (tag === p.atoms.intern('$part')) {
      return lookupBif('binary', 'part', 3)!.fn(p, [tupleElement(p, x, 2), tupleElement(p, x, 3), tupleElement(p, x, 4)]);
    }
    return x;
  });
}

beforeAll(() => {
  cases = erlCases(
    `
    rand:seed(exsss, {5, 6, 7}),
    Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
    Str = fun(N) -> list_to_binary([Pick("abc") || _ <- lists:seq(1, N)]) end,
    Subject = fun() -> case rand:uniform(10) of
                         1 -> Str(65 + rand:uniform(235));
                         _ -> Str(rand:uniform(21) - 1)
                       end end,
    Pat = fun() -> Str(rand:uniform(3)) end,
    Pattern = fun() -> case rand:uniform(12) of
                         1 -> Pick([<<>>, [], [<<"a">>, <<>>], a, <<1:3>>, [<<"a">> | <<"b">>], "ab", {bm, <<"a">>}]);
                         N when N =< 5 -> Pat();
                         N when N =< 8 -> [Pat() || _ <- lists:seq(1, rand:uniform(4))];
                         N when N =< 10 -> {'$cp', Pat()};
                         _ -> {'$cp', [Pat() || _ <- lists:seq(1, rand:uniform(4))]}
                       end end,
    Scope = fun(S) -> Size = byte_size(S),
                      case rand:uniform(8) of
                        1 -> {scope, Pick([{-1, 1}, {0, Size + 1}, {Size + 1, 0}, {Size, -(Size + 1)}, {a, 1}, {0}, {1 bsl 64, 0}, {0, 1 bsl 70}])};
                        _ -> Start = rand:uniform(Size + 1) - 1,
                             case rand:uniform(2) of
                               1 -> {scope, {Start, rand:uniform(Size - Start + 1) - 1}};
                               2 -> {scope, {Start, -(rand:uniform(Start + 1) - 1)}}
                             end
                      end end,
    MatchOpts = fun(S) -> case rand:uniform(6) of
                            1 -> [];
                            2 -> Pick([[global], [foo], a, [{scope, {0, 0}} | x], [trim]]);
                            _ -> [Scope(S) || _ <- lists:seq(1, rand:uniform(2))]
                          end end,
    SplitOpts = fun(S) -> [Pick([global, trim, trim_all, global, Scope(S)]) || _ <- lists:seq(1, rand:uniform(4) - 1)]
                          ++ Pick([[], [], [], [], [bad]]) end,
    Search = lists:append([begin S = Subject(), P = Pattern(),
                                 [{binary, match, [S, P]}, {binary, match, [S, P, MatchOpts(S)]},
                                  {binary, matches, [S, P]}, {binary, matches, [S, P, MatchOpts(S)]},
                                  {binary, split, [S, P]}, {binary, split, [S, P, SplitOpts(S)]}]
                           end || _ <- lists:seq(1, 500)]),
    %% Several overlapping patterns over two letters: where leftmost-longest and non-overlap rules show.
    Ab = fun(N) -> list_to_binary([Pick("ab") || _ <- lists:seq(1, N)]) end,
    Dense = lists:append([begin S = Ab(rand:uniform(30)), P = [Ab(rand:uniform(4)) || _ <- lists:seq(1, 2 + rand:uniform(3))],
                                [{binary, match, [S, P]}, {binary, matches, [S, P]}, {binary, split, [S, P, [global]]}]
                          end || _ <- lists:seq(1, 700)]),
    BadSubject = [{binary, F, [X, <<"a">>]} || F <- [match, matches, split], X <- [<<1:3>>, "abc", a, 1]],
    Bins = [Subject() || _ <- lists:seq(1, 200)] ++ [<<>>, <<0>>, <<255, 0, 1>>, list_to_binary(lists:seq(0, 255))],
    Bad = [a, 1, -1, "ab", <<1:3>>, <<1, 2:4>>, {}, [<<"a">> | x]],
    Sz = fun(B) when is_binary(B) -> byte_size(B); (_) -> 0 end,
    Int = fun() -> Pick([0, 1, -1, 2, 5, 64, 65, 255, 256, 1 bsl 27, 1 bsl 40, 1 bsl 63, 1 bsl 64, 1 bsl 70, -(1 bsl 63), 1.0, a]) end,
    PosLen = fun(B) -> Size = byte_size(B),
                       case rand:uniform(5) of
                         1 -> {Int(), Int()};
                         _ -> Start = rand:uniform(Size + 2) - 2,
                              {Start, rand:uniform(2 * Size + 3) - Size - 2}
                       end end,
    Parts = lists:append([begin {P, L} = PosLen(B),
                                [{binary, part, [B, P, L]}, {binary, part, [B, {P, L}]},
                                 {binary, referenced_byte_size, [{'$part', B, P, L}]}]
                          end || B <- Bins, _ <- [1, 2]]),
    Simple = lists:append([[{binary, first, [B]}, {binary, last, [B]}, {binary, at, [B, Int()]},
                            {binary, at, [B, rand:uniform(Sz(B) + 1) - 1]},
                            {binary, copy, [B]}, {binary, copy, [B, Pick([0, 1, 2, 3, 7, -1, a, 1 bsl 70])]},
                            {binary, referenced_byte_size, [B]},
                            {binary, decode_unsigned, [B]}, {binary, decode_unsigned, [B, Pick([big, little, foo])]}]
                           || B <- Bins ++ Bad]),
    Lists = [{binary, list_to_bin, [L]} || L <- [[], [1, 2], [<<1>>, [2, <<3>>] | <<4>>], [256], [-1], <<1>>, a,
                                                 [<<1:3>>], [a], [1 | 2], [[[[]]]], [<<>>, [], <<"xyz">>]]],
    Prefix = [{binary, F, [L]} || F <- [longest_common_prefix, longest_common_suffix],
                                  L <- [[Subject() || _ <- lists:seq(1, rand:uniform(4))] || _ <- lists:seq(1, 150)]
                                       ++ [[], [<<"a">> | <<"b">>], [<<"ab">>, a], <<"ab">>, [<<1:3>>],
                                           [<<"abc">>, <<"abd">>, <<"ab">>], [<<"xbc">>, <<"ybc">>], [<<>>, <<"a">>]]],
    Unsigned = [{binary, encode_unsigned, [N]} || N <- [0, 1, 255, 256, 65535, 1 bsl 27, 1 bsl 32, (1 bsl 64) - 1, 1 bsl 64,
                                                         1 bsl 200 + 12345, -1, 1.0, a, <<1>>]]
            ++ [{binary, encode_unsigned, [rand:uniform(1 bsl rand:uniform(300)), Pick([big, little, little, foo])]}
                || _ <- lists:seq(1, 300)]
            ++ [{binary, decode_unsigned, [crypto:strong_rand_bytes(rand:uniform(40) - 1), Pick([big, little])]}
                || _ <- lists:seq(1, 200)],
    Compile = [{binary, compile_pattern, [X]} || X <- [<<>>, [], [<<"a">>, <<>>], a, <<1:3>>, [<<"a">> | <<"b">>]]],
    Search ++ Dense ++ BadSubject ++ Parts ++ Simple ++ Lists ++ Prefix ++ Unsigned ++ Compile
    ++ [{binary, copy, [<<"abc">>, 1000]}, {binary, copy, [list_to_binary(lists:seq(1, 100)), 33]}]`,
    ERL_PREP,
  );
});

describe('binary BIFs against erl', () => {
  it('agree on every generated call', () => {
    console.log('COUNT binary', cases.length, ''); expect(cases.length).toBeGreaterThan(5000);
    expect(runCases(vmHarness(), cases, prep)).toEqual([]);
  });

  it('agree when every binary argument is an unaligned sub-binary with the same bytes', () => {
    const sameBytes = cases.filter((c) => !c.call.includes(Buffer.from('referenced_byte_size')));
    expect(runCases(vmHarness(), sameBytes, (p, args) => prep(p, args.map((a) => unaligned(p, a))))).toEqual([]);
  });

  it('compile_pattern gives {bm, _} for one pattern and {ac, _} for several, as erl does', () => {
    const out = erlEval(`Ps = [<<"a">>, [<<"a">>], [<<"a">>, <<"b">>], [<<"a">>, <<"a">>], [<<"ab">>, <<"a">>, <<"b">>]],
      io:format("~s~n~w~n", [binary:encode_hex(term_to_binary(Ps)), [element(1, binary:compile_pattern(P)) || P <- Ps]]),
      halt().`).split('\n');
    const p = vmHarness().process();
    const pats = listToArray(p, termOf(p, Buffer.from(out[0]!, 'hex')))!;
    const compile = lookupBif('binary', 'compile_pattern', 1)!.fn;
    const ours = pats.map((pat) => p.atoms.name(tupleElement(p, compile(p, [pat]), 1)));
    expect(`[${ours.join(',')}]`).toBe(out[1]);
  });
});

/** A sub-binary starting 3 bits into a fresh binary, holding the same bytes as `t` (other terms unchanged). */
function unaligned(p: Process, t: Term): Term {
  if (!isBinary(p, t)) return t;
  const bytes = bytesOf(p, t);
  const n = bytes.length;
  const shifted = new Uint8Array(n + 1);
  for (let i = 0; i < n; i++) {
    shifted[i] = shifted[i]! | (bytes[i]! >>> 3);
    shifted[i + 1] = (bytes[i]! << 5) & 0xff;
  }
  return mkSubBinary(p, mkBinary(p, shifted), 3, n * 8);
}
