/**
 * Map entry order, the internal hash and the term order against the real
 * erl (OTP 25).
 *
 * One erl run builds a few thousand terms and maps and prints, in hex ETF:
 * each map with maps:keys/1 (a list, so its order survives the trip) and the
 * io_lib:format("~w") text of the map; term_to_binary(M, [deterministic]);
 * comparisons of term pairs (<, ==, =:=) and lists:sort/1 of a term pool;
 * and make_internal_hash(T, 0) of terms, which erts shows its own test
 * suites through erts_debug:get_internal_state({internal_hash, T}) once
 * available_internal_state is switched on. We decode the maps, shuffle
 * their keys and must find erl's orders again.
 *
 * The hash of an atom depends on its index in erl's atom table, so the
 * script creates fresh atoms and prints the index each got (atom_count
 * before and after); keys use no other atoms. Keys that collide in all 32
 * hash bits, or in their low 16..28 bits, are searched for here with our
 * own hash and handed to the script: erl's order for them exercises the
 * deep levels and the rehash from level 8 on.
 */
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeEtf, encodeEtf } from '../../loader/etf.js';
import { Atom, Bitstring, EMap, ExportFun, ImproperList, Tuple, type ETerm } from '../../loader/eterm.js';
import {
  FLATMAP_LIMIT,
  VmDependentHash,
  canonicalMap,
  canonicalize,
  internalHash,
  mapHash,
  mapIterationOrder,
  mapOrder,
  type HashEnv,
} from '../../loader/eterm_hash.js';
import { compareMapKeys, compareTerms } from '../../loader/eterm_order.js';
import { writeTerm } from '../../vm/text/write.js';
import { erlEval } from '../support/erl.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const dec = (s: string): ETerm => decodeEtf(hex(s));

/** A small deterministic PRNG (xorshift32) for shuffles. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function shuffled<T>(xs: T[], rand: () => number): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

// ---------------------------------------------------------------- engineered collisions

interface Collisions {
  /** Pairs of small integers whose salt-0 hashes are equal in all 32 bits. */
  full: [bigint, bigint][];
  /** Pairs of 8-byte binaries likewise. */
  fullBin: [number, number][];
  /** Pairs of integers sharing the low 16, 20, 24 or 28 bits of their hash. */
  low: bigint[][];
}

function findCollisions(): Collisions {
  const N = 400_000;
  const hashes = Array.from({ length: N }, (_, i) => internalHash(BigInt(i)));
  const pairsBy = (mask: number, max: number): bigint[][] => {
    const first = new Map<number, number>();
    const out: bigint[][] = [];
    for (let i = 0; i < N && out.length < max; i++) {
      const h = (hashes[i]! & mask) >>> 0;
      const j = first.get(h);
      if (j === undefined) first.set(h, i);
      else out.push([BigInt(j), BigInt(i)]);
    }
    return out;
  };
  const full = pairsBy(0xffffffff, 12) as [bigint, bigint][];
  const low = [0xffff, 0xfffff, 0xffffff, 0xfffffff].flatMap((mask) => pairsBy(mask, 15));
  const seen = new Map<number, number>();
  const fullBin: [number, number][] = [];
  const b = new Uint8Array(8);
  const view = new DataView(b.buffer);
  view.setUint32(4, 0x5a5a5a5a);
  for (let i = 0; i < N && fullBin.length < 6; i++) {
    view.setUint32(0, i);
    const h = internalHash(new Bitstring(b));
    const other = seen.get(h);
    if (other !== undefined) fullBin.push([other, i]);
    else seen.set(h, i);
  }
  return { full, fullBin, low };
}

// ---------------------------------------------------------------- the erl script

function erlScript(c: Collisions): string {
  const fullInts = c.full.map(([a, b]) => `[${a},${b}]`).join(',');
  const fullBins = c.fullBin.map(([a, b]) => `[${a},${b}]`).join(',');
  const lowGroups = c.low.map((g) => `[${g.join(',')}]`).join(',');
  return String.raw`
Hex = fun(B) -> binary:encode_hex(B) end,
T2H = fun(T) -> Hex(term_to_binary(T)) end,
Out = fun(Parts) -> io:put_chars([lists:join(" ", Parts), "\n"]) end,
rand:seed(exsss, {25, 7, 1963}),
Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,

%% Fresh atoms, with the atom-table index each one gets.
MkAtom = fun(Name) ->
    N0 = erlang:system_info(atom_count),
    A = list_to_atom(Name),
    N1 = erlang:system_info(atom_count),
    Ix = if N1 =:= N0 + 1 -> N0; true -> -1 end,
    Out(["A", T2H(A), integer_to_list(Ix)]),
    {A, Ix}
  end,
AtomNames = [P ++ integer_to_list(I) || I <- lists:seq(1, 100), P <- ["mqk_", [16#e9, $_], [16#3b1, 16#3b2, $_]]]
            ++ [[16#1F600 | integer_to_list(I)] || I <- lists:seq(1, 20)]
            ++ [[16#FFFD | integer_to_list(I)] || I <- lists:seq(1, 20)],
Atoms = [A || {A, Ix} <- [MkAtom(N) || N <- AtomNames], Ix >= 0],

%% A module of our own, so that its funs' module atom has a known index.
{FunMod, FunModIx} = MkAtom("mqk_funmod"),
Src = ["-module(mqk_funmod).", "-export([mk/1]).",
       "mk(X) -> [fun() -> X end, fun(A) -> A + X end, fun(A, B) -> {A, B} end, fun() -> ok end]."],
Forms = [begin {ok, Tk, _} = erl_scan:string(S), {ok, Fm} = erl_parse:parse_form(Tk), Fm end || S <- Src],
{ok, FunMod, ModBin} = compile:forms(Forms, []),
{module, FunMod} = code:load_binary(FunMod, "mqk_funmod.erl", ModBin),
Out(["FUNMOD", integer_to_list(FunModIx)]),

Pids = [self() | [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, 60)]]
       ++ [binary_to_term(<<131, 88, 100, 13:16, "nonode@nohost", (rand:uniform(1 bsl 15) - 1):32,
                            (rand:uniform(1 bsl 13) - 1):32, 0:32>>) || _ <- lists:seq(1, 300)],
Ports = [open_port({spawn, "true"}, []) || _ <- lists:seq(1, 20)]
        ++ [binary_to_term(<<131, 89, 100, 13:16, "nonode@nohost", (rand:uniform(1 bsl 28) - 1):32, 0:32>>)
            || _ <- lists:seq(1, 300)],
Refs = [make_ref() || _ <- lists:seq(1, 300)],

RandFloat = fun() ->
    case rand:uniform(6) of
        1 -> rand:uniform() * 1000 - 500;
        2 -> float(rand:uniform(2000) - 1000);
        3 -> Pick([0.0, -0.0, 1.0, -1.0, 0.5, 1.0e300, -1.0e300, 5.0e-324, 2.2250738585072014e-308]);
        4 -> (rand:uniform() - 0.5) * math:pow(2, rand:uniform(200));
        5 -> float((1 bsl 53) + rand:uniform(1000) * 2);
        6 -> rand:uniform() * 1.0e-300
    end end,
RandInt = fun() ->
    case rand:uniform(7) of
        1 -> rand:uniform(1000) - 500;
        2 -> rand:uniform(1 bsl 40) - (1 bsl 39);
        3 -> (1 bsl 59) - rand:uniform(100);
        4 -> -(1 bsl 59) + rand:uniform(100) - 1;
        5 -> (1 bsl 59) + rand:uniform(1 bsl 70);
        6 -> -(1 bsl 59) - rand:uniform(1 bsl 66);
        7 -> (1 bsl (60 + rand:uniform(400))) * Pick([1, -1]) + rand:uniform(1000)
    end end,
RandBits = fun() -> N = rand:uniform(90), <<B:N/bits, _/bits>> = rand:bytes(12), B end,
RandKey = fun RK(D) ->
    case rand:uniform(if D > 2 -> 9; true -> 15 end) of
        1 -> RandInt();
        2 -> RandFloat();
        3 -> Pick(Atoms);
        4 -> rand:bytes(rand:uniform(30) - 1);
        5 -> RandBits();
        6 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(13) - 1)];
        7 -> Pick(Pids);
        8 -> Pick(Ports);
        9 -> Pick(Refs);
        10 -> list_to_tuple([RK(D + 1) || _ <- lists:seq(1, rand:uniform(4) - 1)]);
        11 -> [RK(D + 1) || _ <- lists:seq(1, rand:uniform(4))];
        12 -> [RK(D + 1) | RK(D + 1)];
        13 -> maps:from_list([{RK(D + 1), RK(D + 1)} || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        14 -> maps:from_list([{I, RK(3)} || I <- lists:seq(1, 33 + rand:uniform(10))]);
        15 -> Pick(FunMod:mk(RK(D + 1)))
    end end,
Single = fun(Kind) ->
    case Kind of
        int -> RandInt(); float -> RandFloat(); atom -> Pick(Atoms);
        binary -> rand:bytes(rand:uniform(30) - 1); bits -> RandBits();
        string -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(13) - 1)];
        pid -> Pick(Pids); port -> Pick(Ports); ref -> Pick(Refs);
        tuple -> {RandKey(2), RandKey(2)}; list -> [RandKey(2), RandKey(2) | RandKey(2)];
        map -> maps:from_list([{RandKey(2), RandKey(2)} || _ <- lists:seq(1, rand:uniform(4))]);
        bigmap -> maps:from_list([{I, RandKey(2)} || I <- lists:seq(1, 33 + rand:uniform(5))]);
        'fun' -> Pick(FunMod:mk(RandKey(2)))
    end end,

EmitMap = fun(Name, M, Text) ->
    Txt = case Text of true -> Hex(unicode:characters_to_binary(io_lib:format("~w", [M]))); false -> "-" end,
    Out(["M", Name, T2H(M), T2H(maps:keys(M)), Txt])
  end,
MapOf = fun(Keys) -> maps:from_list([{K, rand:uniform(3)} || K <- Keys]) end,

%% Hashmaps: one kind of key each, then mixed, of many sizes.
Kinds = [int, float, atom, binary, bits, string, pid, port, ref, tuple, list, map, bigmap, 'fun'],
[EmitMap("kind_" ++ atom_to_list(K) ++ "_" ++ integer_to_list(S),
         MapOf([Single(K) || _ <- lists:seq(1, S)]), true)
 || K <- Kinds, S <- [40, 120]],
[EmitMap("mixed_" ++ integer_to_list(I), MapOf([RandKey(0) || _ <- lists:seq(1, 33 + rand:uniform(40))]), true)
 || I <- lists:seq(1, 150)],
[EmitMap("mixed_mid_" ++ integer_to_list(I), MapOf([RandKey(0) || _ <- lists:seq(1, 100 + rand:uniform(400))]), true)
 || I <- lists:seq(1, 30)],
[EmitMap("mixed_big_" ++ integer_to_list(I), MapOf([RandKey(0) || _ <- lists:seq(1, 1000 + rand:uniform(1000))]), false)
 || I <- lists:seq(1, 6)],
[EmitMap("edge_" ++ integer_to_list(S), MapOf([1, 1.0, -1, -1.0, 0, 0.0, 1 bsl 59, float(1 bsl 59), (1 bsl 59) - 1]
                                              ++ [RandKey(1) || _ <- lists:seq(1, S)]), true)
 || S <- [24, 40, 100]],

%% Engineered collisions (found by the test with its own hash).
FullInts = [${fullInts}],
FullBins = [[<<A:32, 16#5a5a5a5a:32>>, <<B:32, 16#5a5a5a5a:32>>] || [A, B] <- [${fullBins}]],
LowGroups = [${lowGroups}],
[EmitMap("full_" ++ integer_to_list(I), MapOf(P ++ [rand:uniform(1 bsl 20) || _ <- lists:seq(1, 40)]), true)
 || {I, P} <- lists:zip(lists:seq(1, length(FullInts)), FullInts)],
EmitMap("full_all", MapOf(lists:append(FullInts) ++ lists:append(FullBins)), true),
[EmitMap("fullbin_" ++ integer_to_list(I), MapOf(P ++ [rand:bytes(8) || _ <- lists:seq(1, 40)]), true)
 || {I, P} <- lists:zip(lists:seq(1, length(FullBins)), FullBins)],
EmitMap("low_all", MapOf(lists:append(LowGroups)), true),
[EmitMap("low_" ++ integer_to_list(I), MapOf(G ++ [rand:uniform(1 bsl 30) || _ <- lists:seq(1, 33)]), true)
 || {I, G} <- lists:zip(lists:seq(1, length(LowGroups)), LowGroups)],

%% Very deep keys and very large maps.
Deep = fun Dp(0, Acc) -> Acc; Dp(N, Acc) -> Dp(N - 1, [Acc]) end,
DeepT = fun DT(0, Acc) -> Acc; DT(N, Acc) -> DT(N - 1, {N, Acc}) end,
EmitMap("deep", MapOf([Deep(100000, Pick(Atoms)), Deep(99999, 7), DeepT(100000, []), DeepT(100000, 1.5)]
                      ++ lists:seq(1, 40)), false),
EmitMap("huge_ints", MapOf([rand:uniform(1 bsl 62) - (1 bsl 61) || _ <- lists:seq(1, 100000)]), false),
HugeMixed = maps:from_list([{RandKey(3), 0} || _ <- lists:seq(1, 80000)]),
EmitMap("huge_mixed", maps:merge(HugeMixed, maps:from_list([{-(1 bsl 61) - 7 * I - 10000, 1} || I <- lists:seq(1, 100000 - map_size(HugeMixed))])), false),

%% Small maps: keys in map-key order.
[Out(["K", T2H(MapOf([RandKey(0) || _ <- lists:seq(1, rand:uniform(32))])), "-"]) || _ <- lists:seq(1, 300)],
[Out(["K", T2H(MapOf(Ks ++ [RandInt() || _ <- lists:seq(1, 10)] ++ [RandFloat() || _ <- lists:seq(1, 10)])), "-"])
 || Ks <- [[1, 1.0], [0, 0.0, -0.0], [1 bsl 59, float(1 bsl 59), 1 bsl 70, float(1 bsl 70)], [-1, -1.0, 2.5, 2]]],

%% term_to_binary(M, [deterministic]).
[Out(["D", T2H(M), Hex(term_to_binary(M, [deterministic]))])
 || M <- [MapOf([RandKey(0) || _ <- lists:seq(1, S)]) || S <- [5, 20, 32, 33, 60, 200]]
          ++ [MapOf([1, 1.0, 2, 2.0, -0.0, a, <<>>] ++ lists:seq(10, 60))]],

%% A pool of terms of every kind, for the term order.
Node = fun(N) -> <<100, (byte_size(N)):16, N/binary>> end,
RPid = fun(N, Id, Ser, Cr) -> binary_to_term(<<131, 88, (Node(N))/binary, Id:32, Ser:32, Cr:32>>) end,
RPort = fun(N, Id, Cr) -> binary_to_term(<<131, 120, (Node(N))/binary, Id:64, Cr:32>>) end,
RRef = fun(N, Cr, Ws) -> binary_to_term(<<131, 90, (length(Ws)):16, (Node(N))/binary, Cr:32, << <<W:32>> || W <- Ws >>/binary>>) end,
Strip = fun(E) -> <<131, R/binary>> = term_to_binary(E), R end,
MkFun = fun(Mod, OldIx, OldUniq, Ix, Arity, Env) ->
    Body = <<Arity, (binary:copy(<<7>>, 16))/binary, Ix:32, (length(Env)):32,
             (Node(atom_to_binary(Mod)))/binary, 98, OldIx:32/signed, 98, OldUniq:32/signed,
             (Strip(self()))/binary, << <<(Strip(E))/binary>> || E <- Env >>/binary>>,
    binary_to_term(<<131, 112, (4 + byte_size(Body)):32, Body/binary>>)
  end,
{FModA, _} = MkAtom("mqk_fa"), {FModB, _} = MkAtom("mqk_fb"),
Nodes = [<<"a@h">>, <<"b@h">>, <<"nonode@nohost">>, <<"zz@h">>],
Pool0 = [0, 1, -1, 2, 1.0, -1.0, 2.0, 0.0, -0.0, 0.5, -0.5, 1.5,
         (1 bsl 53) - 1, 1 bsl 53, (1 bsl 53) + 1, float(1 bsl 53), float((1 bsl 53) + 2),
         (1 bsl 59) - 1, 1 bsl 59, -(1 bsl 59), -(1 bsl 59) - 1, float(1 bsl 59), -float(1 bsl 59),
         1 bsl 64, (1 bsl 64) + 1, float(1 bsl 64), 1 bsl 1000, float(1 bsl 1000), -(1 bsl 1000),
         1.0e300, -1.0e300, 5.0e-324, -5.0e-324,
         10 bsl 1020, 1.7976931348623157e308, (1 bsl 1024) - (1 bsl 970), (1 bsl 1024) - (1 bsl 970) + 1,
         '', a, b, aa, 'A', zzz, list_to_atom([255]), list_to_atom([256]), list_to_atom([16#FFFD]),
         list_to_atom([16#1F600]), list_to_atom([16#E000]), list_to_atom([16#FFFF]), list_to_atom([16#10000]),
         list_to_atom([$a, 16#1F600]), list_to_atom([$a, 16#FFFD]),
         [], [[]], [a], [a, b], [a | b], [a, b | c], "abc", "abd", "ab", [1 | 2], [1, 2], [1 | 2.0], [1, 2 | 3],
         [1.0, 2], [[1 | 2] | 3], [a | {}], [a | <<>>],
         {}, {a}, {a, b}, {b, a}, {1, 2}, {1.0, 2}, {{}}, {[]},
         #{}, #{a => 1}, #{a => 1.0}, #{a => 2}, #{b => 1}, #{1 => a}, #{1.0 => a}, #{1 => a, 2 => b},
         #{1 => a, 1.0 => a}, #{1 => a, 1.0 => b}, #{1 => b, 1.0 => a}, #{2 => a, 1.0 => a},
         maps:from_list([{I, I} || I <- lists:seq(1, 40)]), maps:from_list([{I, I} || I <- lists:seq(2, 41)]),
         maps:from_list([{I, float(I)} || I <- lists:seq(1, 40)]), maps:from_list([{float(I), I} || I <- lists:seq(1, 40)]),
         maps:from_list([{I, I} || I <- lists:seq(1, 39)] ++ [{a, 1}]),
         <<>>, <<0>>, <<1>>, <<0, 0>>, <<255>>, <<1:1>>, <<0:1>>, <<2:2>>, <<128>>, <<128, 0:1>>, <<1, 2, 3>>,
         <<1, 2, 3:2>>, <<1, 2, 4:3>>, <<1, 2>>,
         self(), hd(Pids), lists:nth(30, Pids), lists:nth(70, Pids), lists:nth(90, Pids),
         hd(Ports), lists:nth(5, Ports), lists:nth(30, Ports), lists:nth(50, Ports),
         hd(Refs), lists:nth(2, Refs), lists:nth(3, Refs),
         fun lists:map/2, fun lists:map/3, fun lists:filter/2, fun erlang:abs/1, fun a:b/0, fun mqk_zz:b/0]
        ++ FunMod:mk(1) ++ FunMod:mk(2.0) ++ FunMod:mk(a)
        ++ [RPid(N, Id, Ser, Cr) || N <- Nodes, {Id, Ser} <- [{1, 0}, {2, 0}, {1, 1}, {0, 2}, {16#7fff, 1}],
                                    Cr <- [1, 2, 16#ffffffff], N =/= <<"nonode@nohost">>]
        ++ [RPid(<<"nonode@nohost">>, Id, Ser, 0) || {Id, Ser} <- [{1, 0}, {2, 0}, {1, 1}, {0, 2}, {16#7fff, 1}]]
        ++ [RPid(<<"a@h">>, Id, Ser, 3) || {Id, Ser} <- [{1 bsl 20, 0}, {16#ffffffff, 0}, {0, 16#ffffffff}, {5, 1 bsl 31}]]
        ++ [RPort(N, Id, Cr) || N <- Nodes, Id <- [1, 2, 1 bsl 40], Cr <- [1, 2], N =/= <<"nonode@nohost">>]
        ++ [RRef(N, Cr, Ws) || N <- [<<"a@h">>, <<"b@h">>], Cr <- [1, 2],
                               Ws <- [[1, 2, 3], [1, 2, 4], [2, 2, 3], [1, 2, 3, 0], [1, 2, 3, 1], [5], [5, 0], [5, 1],
                                      [0, 0, 16#80000000], [0, 0, 16#7fffffff], [0, 0, 16#ffffffff], [0, 0, 1],
                                      [16#ffffffff, 0, 0], [1, 0, 0], [0, 16#80000001, 0], [0, 1, 0]]]
        ++ [RRef(<<"nonode@nohost">>, 0, Ws) || Ws <- [[1, 2, 3], [0, 0, 16#80000000], [0, 0, 16#7fffffff], [0, 0, 1]]]
        ++ [MkFun(M, OI, OU, Ix, Ar, Env) || M <- [FModA, FModB], {OI, OU} <- [{0, 0}, {1, 0}, {0, 1}, {0, -1},
                                            {-1, 0}, {0, 16#7fffffff}, {0, -16#80000000}, {16#7fffffff, 0}],
                                           {Ix, Ar, Env} <- [{0, 0, []}, {3, 1, [a]}, {0, 0, [1]}]],
Pool = Pool0 ++ [RandKey(0) || _ <- lists:seq(1, 150)] ++ [Deep(100000, 1), Deep(100000, 2), DeepT(100000, 1), DeepT(100000, 1.0)],
Out(["POOL", T2H(Pool)]),
%% Crafted funs compare with wrapping 32-bit differences: no total order to sort by.
SortPool = [X || X <- Pool, not (is_function(X) andalso lists:member(element(2, erlang:fun_info(X, module)), [FModA, FModB]))],
Out(["SORTPOOL", T2H(SortPool)]),
Out(["SORTED", T2H(lists:sort(SortPool))]),
PT = list_to_tuple(Pool),
Np = tuple_size(PT),
Cmp = fun(I, J) ->
    A = element(I, PT), B = element(J, PT),
    B2I = fun(true) -> "1"; (false) -> "0" end,
    Out(["P", integer_to_list(I - 1), integer_to_list(J - 1), B2I(A < B), B2I(A == B), B2I(A =:= B)])
  end,
[Cmp(I, J) || I <- lists:seq(1, length(Pool0)), J <- lists:seq(1, length(Pool0))],
[Cmp(rand:uniform(Np), rand:uniform(Np)) || _ <- lists:seq(1, 20000)],
[Cmp(I, J) || I <- lists:seq(Np - 3, Np), J <- lists:seq(Np - 3, Np)],

%% make_internal_hash(T, 0) itself, through a test-suite-only door of erts.
logger:set_primary_config(level, error),
erts_debug:set_internal_state(available_internal_state, true),
IHash = fun(T) -> Out(["H", T2H(T), integer_to_list(erts_debug:get_internal_state({internal_hash, T}))]) end,
[IHash(RandKey(0)) || _ <- lists:seq(1, 3000)],
[IHash(rand:bytes(N)) || N <- lists:seq(0, 50)],
[IHash(B) || N <- lists:seq(1, 40), <<B:N/bits, _/bits>> <- [rand:bytes(6)]],
[IHash(T) || T <- [0, -1, 1 bsl 59 - 1, -(1 bsl 59), 1 bsl 59, -(1 bsl 59) - 1, 1 bsl 64, -(1 bsl 64), (1 bsl 128) - 1,
                   0.0, -0.0, 1.0, -1.0, 5.0e-324, 1.7976931348623157e308, [], {}, #{}, <<>>, "", [[]], [0 | 255],
                   [256], "abcd", "abcde", [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 300, 4, 5 | 6], [Pick(Atoms) | Pick(Atoms)], {[], []},
                   self(), hd(Ports), hd(Refs)]],
[IHash(T) || T <- Atoms],
[IHash(MkFun(FModA, OI, OU, Ix, Ar, Env)) || {OI, OU, Ix, Ar, Env} <- [{0, 0, 0, 0, []}, {5, 0, 0, 0, []}, {0, 5, 0, 0, []},
                                                                   {0, 0, 5, 0, []}, {0, 0, 0, 3, []}, {7, -9, 1 bsl 31, 0, [1, Pick(Atoms)]}]],
[IHash(maps:from_list([{RandKey(2), RandKey(2)} || _ <- lists:seq(1, S)])) || S <- [1, 2, 10, 32, 33, 40, 100, 500], _ <- [1, 2]],
halt().
`;
}

// ---------------------------------------------------------------- reading erl's answer

interface MapCase {
  name: string;
  etf: Uint8Array;
  map: EMap;
  keys: ETerm[];
  text: string | null;
}

interface ErlData {
  atomIndex: Map<Atom, number>;
  funModIndex: number;
  maps: MapCase[];
  small: EMap[];
  deterministic: { map: EMap; detBytes: Uint8Array }[];
  pool: ETerm[];
  sortPool: ETerm[];
  sorted: ETerm[];
  hashes: { term: ETerm; hash: number }[];
  pairs: { i: number; j: number; lt: boolean; eq: boolean; exeq: boolean }[];
}

function parse(out: string): ErlData {
  const d: ErlData = {
    atomIndex: new Map(),
    funModIndex: -1,
    maps: [],
    small: [],
    deterministic: [],
    pool: [],
    sortPool: [],
    sorted: [],
    hashes: [],
    pairs: [],
  };
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const p = line.split(' ');
    switch (p[0]) {
      case 'A':
        if (Number(p[2]) >= 0) d.atomIndex.set(dec(p[1]!) as Atom, Number(p[2]));
        break;
      case 'FUNMOD':
        d.funModIndex = Number(p[1]);
        break;
      case 'M':
        d.maps.push({
          name: p[1]!,
          etf: hex(p[2]!),
          map: dec(p[2]!) as EMap,
          keys: dec(p[3]!) as ETerm[],
          text: p[4] === '-' ? null : Buffer.from(p[4]!, 'hex').toString('utf8'),
        });
        break;
      case 'K':
        d.small.push(dec(p[1]!) as EMap);
        break;
      case 'D':
        d.deterministic.push({ map: dec(p[1]!) as EMap, detBytes: hex(p[2]!) });
        break;
      case 'POOL':
        d.pool = dec(p[1]!) as ETerm[];
        break;
      case 'SORTPOOL':
        d.sortPool = dec(p[1]!) as ETerm[];
        break;
      case 'H':
        d.hashes.push({ term: dec(p[1]!), hash: Number(p[2]) });
        break;
      case 'SORTED':
        d.sorted = dec(p[1]!) as ETerm[];
        break;
      case 'P':
        d.pairs.push({ i: Number(p[1]), j: Number(p[2]), lt: p[3] === '1', eq: p[4] === '1', exeq: p[5] === '1' });
        break;
      default:
        throw new Error(`unexpected line from erl: ${line.slice(0, 200)}`);
    }
  }
  return d;
}

/** A short text for failure messages (deep terms are cut). */
function show(t: ETerm): string {
  const s = writeTerm(t);
  return s.length > 200 ? s.slice(0, 200) + '...' : s;
}

/** Index of the first place two key sequences differ (as map keys), or -1. */
function firstDiff(a: ETerm[], b: ETerm[]): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (compareMapKeys(a[i]!, b[i]!) !== 0) return i;
  return -1;
}

let collisions: Collisions;
let data: ErlData;
let env: HashEnv;

beforeAll(() => {
  collisions = findCollisions();
  const out = erlEval(erlScript(collisions), { timeoutMs: 600_000 });
  if (process.env.MAP_ORDER_DUMP) writeFileSync(process.env.MAP_ORDER_DUMP, out);
  data = parse(out);
  env = {
    atomIndex: (a) => {
      const i = data.atomIndex.get(a);
      if (i === undefined) throw new Error(`test bug: no index for atom '${a.name}'`);
      return i;
    },
  };
}, 600_000);

describe('engineered collisions', () => {
  it('were found, and really collide in our hash', () => {
    expect(collisions.full.length).toBeGreaterThanOrEqual(3);
    expect(collisions.fullBin.length).toBeGreaterThanOrEqual(1);
    expect(collisions.low.length).toBeGreaterThanOrEqual(40);
    for (const [a, b] of collisions.full) {
      expect(internalHash(a)).toBe(internalHash(b));
      // From level 8 on another salt is used: there they part.
      expect(mapHash(a, 1)).not.toBe(mapHash(b, 1));
    }
  });
});

describe('hashmap order (more than 32 keys) against maps:keys/1 and io_lib:format("~w")', () => {
  it('covers every kind of key and size', () => {
    expect(data.funModIndex).toBeGreaterThanOrEqual(0);
    expect(data.atomIndex.size).toBeGreaterThan(300);
    expect(data.maps.length).toBeGreaterThan(250);
    expect(data.maps.filter((m) => m.map.size > FLATMAP_LIMIT).length).toBeGreaterThan(230);
    expect(data.maps.filter((m) => m.map.size >= 100_000).length).toBe(2);
  });

  it('mapOrder of the shuffled keys is the order of maps:keys/1 and term_to_binary/1', () => {
    const rand = rng(12345);
    const bad: string[] = [];
    let keysChecked = 0;
    for (const c of data.maps) {
      const keys = shuffled(c.map.keys, rand);
      const got = mapOrder(keys, env).map((i) => keys[i]!);
      const at = firstDiff(got, c.keys);
      // Decoding gives the iteration order: the reverse of maps:keys/1 for a hashmap.
      const etfAt = firstDiff(c.keys.length > FLATMAP_LIMIT ? [...c.map.keys].reverse() : c.map.keys, c.keys);
      if (at >= 0 || etfAt >= 0) {
        bad.push(`${c.name} (${c.keys.length} keys): at ${at}: erl ${show(c.keys[at]!)}, ours ${show(got[at]!)}`);
      }
      keysChecked += keys.length;
    }
    expect(bad).toEqual([]);
    expect(keysChecked).toBeGreaterThan(150_000);
  });

  it('mapIterationOrder is its reverse, and canonicalize + writeTerm give io_lib:format("~w") exactly', () => {
    const bad: string[] = [];
    let texts = 0;
    for (const c of data.maps) {
      const it = mapIterationOrder(c.map.keys, env).map((i) => c.map.keys[i]!);
      const want = c.keys.length > FLATMAP_LIMIT ? c.keys.slice().reverse() : c.keys;
      if (firstDiff(it, want) >= 0) bad.push(`${c.name}: iteration order`);
      if (c.text === null) continue;
      texts++;
      const ours = writeTerm(canonicalize(c.map, env));
      if (ours !== c.text) {
        let i = 0;
        while (ours[i] === c.text[i]) i++;
        bad.push(`${c.name}: text differs at ${i}: erl ${c.text.slice(i, i + 60)} / ours ${ours.slice(i, i + 60)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(texts).toBeGreaterThan(280);
  });

  it('canonicalMap keeps each value with its key', () => {
    const c = data.maps.find((m) => m.name === 'mixed_1')!;
    const rand = rng(99);
    const idx = shuffled(
      c.map.keys.map((_, i) => i),
      rand,
    );
    const m = canonicalMap(
      idx.map((i) => c.map.keys[i]!),
      idx.map((i) => c.map.values[i]!),
      env,
    );
    const want = c.keys.slice().reverse();
    expect(firstDiff(m.keys, want)).toBe(-1);
    for (let i = 0; i < m.size; i++) {
      const j = c.map.keys.findIndex((k) => compareMapKeys(k, m.keys[i]!) === 0);
      expect(compareMapKeys(m.values[i]!, c.map.values[j]!)).toBe(0);
    }
  });

  it('encoding the canonical map gives term_to_binary/1 bytes (a hashmap is written in reverse)', () => {
    let n = 0;
    for (const c of data.maps) {
      const can = canonicalMap(c.map.keys, c.map.values, env);
      expect(Buffer.from(encodeEtf(can)).equals(Buffer.from(c.etf)), c.name).toBe(true);
      n++;
    }
    expect(n).toBeGreaterThan(280);
  });
});

describe('internalHash against make_internal_hash(T, 0)', () => {
  it('gives erl\'s value for every kind of term', () => {
    expect(data.hashes.length).toBeGreaterThan(3400);
    const bad: string[] = [];
    for (const { term, hash } of data.hashes) {
      const ours = internalHash(term, 0, env);
      if (ours !== hash) bad.push(`${show(term)}: erl ${hash}, ours ${ours}`);
      if (bad.length > 20) break;
    }
    expect(bad).toEqual([]);
  });
});

describe('flatmap order (up to 32 keys)', () => {
  it('keys come in map-key order: integers before floats, 1 and 1.0 distinct', () => {
    expect(data.small.length).toBeGreaterThan(300);
    const rand = rng(777);
    const bad: string[] = [];
    for (const m of data.small) {
      expect(m.size).toBeLessThanOrEqual(FLATMAP_LIMIT);
      const keys = shuffled(m.keys, rand);
      const got = mapOrder(keys).map((i) => keys[i]!);
      // A flatmap's ETF holds its keys in its own order.
      if (firstDiff(got, m.keys) >= 0) bad.push(show(m));
      if (firstDiff(mapIterationOrder(keys).map((i) => keys[i]!), m.keys) >= 0) bad.push('iteration: ' + show(m));
    }
    expect(bad).toEqual([]);
  });

  it('needs no atom index', () => {
    const keys = [Atom.of('b'), Atom.of('a'), 2n, 1.0, 1n];
    expect(mapOrder(keys).map((i) => keys[i])).toEqual([1n, 2n, 1.0, Atom.of('a'), Atom.of('b')]);
  });
});

describe('term_to_binary(M, [deterministic])', () => {
  it('writes entries sorted in map-key order, small and large maps alike', () => {
    expect(data.deterministic.length).toBe(7);
    for (const { map, detBytes } of data.deterministic) {
      expect(Buffer.from(encodeEtf(map, { deterministic: true })).equals(Buffer.from(detBytes))).toBe(true);
    }
  });
});

describe('term order against erl', () => {
  it('compareTerms agrees with <, == and compareMapKeys with =:= on every pair', () => {
    const pool = data.pool;
    expect(pool.length).toBeGreaterThan(450);
    expect(data.pairs.length).toBeGreaterThan(50_000);
    const bad: string[] = [];
    for (const { i, j, lt, eq, exeq } of data.pairs) {
      const a = pool[i]!;
      const b = pool[j]!;
      const c = compareTerms(a, b);
      const want = lt ? -1 : eq ? 0 : 1;
      if (c !== want) bad.push(`compareTerms(${show(a)}, ${show(b)}) = ${c}, erl says ${want}`);
      if ((compareMapKeys(a, b) === 0) !== exeq) bad.push(`compareMapKeys(${show(a)}, ${show(b)}) = 0 is ${!exeq}`);
      if (bad.length > 30) break;
    }
    expect(bad).toEqual([]);
  });

  it('sorting the pool gives lists:sort/1', () => {
    expect(data.sortPool.length).toBeGreaterThan(400);
    const ours = data.sortPool.slice().sort(compareTerms);
    expect(ours.length).toBe(data.sorted.length);
    for (let i = 0; i < ours.length; i++) {
      if (compareTerms(ours[i]!, data.sorted[i]!) !== 0) {
        expect.fail(`at ${i}: erl ${show(data.sorted[i]!)}, ours ${show(ours[i]!)}`);
      }
    }
  });
});

describe('JS-only properties', () => {
  it('depends on the VM only where OTP does', () => {
    expect(() => internalHash(Atom.of('ok'))).toThrow(VmDependentHash);
    expect(() => internalHash(new ExportFun(Atom.of('lists'), Atom.of('map'), 2))).toThrow(VmDependentHash);
    expect(() => internalHash(new Tuple([1n, Atom.of('x')]))).toThrow(VmDependentHash);
    expect(internalHash(new Tuple([1n, 2.5, new Bitstring(new Uint8Array([1, 2]))]))).toBeTypeOf('number');
    const keys = Array.from({ length: 40 }, (_, i) => (i === 7 ? Atom.of('k') : BigInt(i)));
    expect(() => mapOrder(keys)).toThrow(VmDependentHash);
  });

  it('handles 100000-deep terms without recursion', () => {
    const build = (last: bigint): ETerm[] => {
      let list: ETerm = [last];
      let tuple: ETerm = new Tuple([last]);
      let imp: ETerm = last;
      let map: ETerm = new EMap([last], [last]);
      for (let i = 0; i < 100_000; i++) {
        list = [list];
        tuple = new Tuple([BigInt(i), tuple]);
        imp = new ImproperList([BigInt(i)], imp);
        map = new EMap([BigInt(i), 1.0], [map, 1n]);
      }
      return [list, tuple, imp, map];
    };
    const a = build(1n);
    const b = build(1n);
    const c = build(2n);
    for (let i = 0; i < a.length; i++) {
      expect(compareTerms(a[i]!, b[i]!)).toBe(0);
      expect(compareMapKeys(a[i]!, c[i]!)).toBe(-1);
      expect(compareTerms(c[i]!, a[i]!)).toBe(1);
      expect(internalHash(a[i]!)).toBe(internalHash(b[i]!));
      expect(internalHash(a[i]!)).not.toBe(internalHash(c[i]!));
      expect(compareTerms(canonicalize(a[i]!), a[i]!)).toBe(0);
    }
  });

  it('an improper list with a list tail is the same list', () => {
    const a = new ImproperList([1n], [2n, 3n]);
    const b: ETerm = [1n, 2n, 3n];
    expect(compareTerms(a, b)).toBe(0);
    expect(internalHash(a)).toBe(internalHash(b));
    const fresh = [...data.atomIndex.keys()][0]!;
    const c = new ImproperList([1n, 2n], new ImproperList([300n], fresh));
    const d = new ImproperList([1n, 2n, 300n], fresh);
    expect(compareTerms(c, d)).toBe(0);
    expect(internalHash(c, 0, env)).toBe(internalHash(d, 0, env));
  });
});
