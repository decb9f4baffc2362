/**
 * Maps on the heap (vm/term/maps.ts) against the real erl.
 *
 * One erl run builds maps in many ways — repeated maps:put/3 from #{} to
 * 200+ keys, maps:from_list/1 (1000 entries, duplicates, sizes around 32),
 * maps:remove/2 and maps:take/2 from 100 keys down to 0, maps:update/3,
 * maps:merge/2 of small and large maps (also of a map and one derived from
 * it, sharing subtrees), maps:from_keys/2, M#{K => V, ...} and M#{K := V,
 * ...} compiled by erlc (put_map_assoc / put_map_exact) — and prints, in hex
 * ETF, the inputs and after every step term_to_binary of the map (entries in
 * the VM's order), of maps:to_list/1, and for a hashmap its HAMT shape
 * (erts_internal:map_hashmap_children/1, walked). We replay the same steps on
 * heap maps and must get the same bytes and the same shape.
 *
 * Keys are of every kind: small and big integers, floats with 0.0 and -0.0
 * (=:= in OTP 25: which of the two keys a map keeps is checked too), atoms,
 * binaries and bitstrings, tuples, lists, small and large maps, pids, refs,
 * ports. A large map's shape depends on the atom-table index of its atom
 * keys, so the script creates fresh atoms and prints each one's index, and
 * we create ours at the same indices (filling the gaps with other atoms).
 *
 * Also against erl: make_internal_hash(T, 0) of terms (erts_debug's
 * internal_hash door), erts_internal:map_next/3 (the first chunk exactly,
 * the iteration order, and which entry each of hundreds of paths leads to),
 * and erlang:display/1 of large maps. The heap hash is also checked against
 * loader/eterm_hash.ts on thousands of terms at several salts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeEtf, encodeEtf } from '../../../loader/etf.js';
import {
  Atom,
  Bitstring,
  EMap,
  ExportFun,
  ImproperList,
  LocalFun,
  Pid,
  Port,
  Ref,
  Tuple,
  type ETerm,
} from '../../../loader/eterm.js';
import { internalHash, mapHashSalt } from '../../../loader/eterm_hash.js';
import { compareMapKeys as compareETermKeys } from '../../../loader/eterm_order.js';
import { Memory } from '../../../vm/memory.js';
import { Process } from '../../../vm/process.js';
import { AtomTable } from '../../../vm/term/atoms.js';
import { fromETerm, sizeOfETerm, toETerm, vmHashEnv } from '../../../vm/term/build.js';
import { displayText } from '../../../vm/term/display.js';
import { termToBinary } from '../../../vm/term/etf.js';
import { intValue, mkList } from '../../../vm/term/make.js';
import {
  firstMissingKey,
  mapFromArrays,
  mapFromKeys,
  mapFromList,
  mapGet,
  mapKeyHash,
  mapMerge,
  mapNext,
  mapPut,
  mapPutAssoc,
  mapPutExact,
  mapRemove,
  mapSize,
  mapTake,
  mapToList,
  mapUpdate,
  mkEmptyMap,
  termInternalHash,
} from '../../../vm/term/maps.js';
import {
  MAP_KIND_FLAT,
  MAP_KIND_HAMT_NODE,
  NIL,
  THE_NON_VALUE,
  isList,
  makeLocalPid,
  makeSmall,
  mapHeaderKind,
  mapHeaderVal,
  ptrVal,
  type Term,
} from '../../../vm/term/tags.js';
import { erlEval } from '../../support/erl.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const dec = (s: string): ETerm => decodeEtf(hex(s));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

// ---------------------------------------------------------------- the erl script

const SCRIPT = String.raw`
Hex = fun(B) -> binary:encode_hex(B) end,
T2H = fun(T) -> Hex(term_to_binary(T)) end,
Out = fun(Parts) -> io:put_chars([lists:join("\t", Parts), "\n"]) end,
rand:seed(exsss, {2025, 5, 17}),
R = fun(N) -> rand:uniform(N) - 1 end,
Seq = fun(N) -> lists:seq(1, N) end,
Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
Shuffle = fun(L) -> [X || {_, X} <- lists:sort([{rand:uniform(), X} || X <- L])] end,

%% Fresh atoms, with the index each got in erl's atom table.
MkAtom = fun(Name) ->
    N0 = erlang:system_info(atom_count),
    A = list_to_atom(Name),
    case erlang:system_info(atom_count) =:= N0 + 1 of
        true -> Out(["A", T2H(A), integer_to_list(N0)]), [A];
        false -> []
    end end,
Atoms = lists:append([MkAtom("mtk_" ++ integer_to_list(I)) || I <- Seq(150)])
        ++ lists:append([MkAtom([16#3b1, $_ | integer_to_list(I)]) || I <- Seq(30)]),

Pids = [self() | [spawn(fun() -> receive stop -> ok end end) || _ <- Seq(30)]],
Refs = [make_ref() || _ <- Seq(30)],
Ports = [open_port({spawn, "true"}, []) || _ <- Seq(5)],
RandFloat = fun() -> case R(4) of
    0 -> Pick([0.0, -0.0, 1.0, -1.0, 0.5, 2.0]);
    1 -> rand:uniform() * 1000 - 500;
    2 -> float(R(2000) - 1000);
    3 -> (rand:uniform() - 0.5) * math:pow(2, R(200)) end end,
RandInt = fun() -> case R(6) of
    0 -> R(1000) - 500;
    1 -> R(1 bsl 40) - (1 bsl 39);
    2 -> (1 bsl 59) - R(100);
    3 -> -(1 bsl 59) - R(100) + 50;
    4 -> (1 bsl (60 + R(200))) * Pick([1, -1]) + R(1000);
    5 -> R(1 bsl 28) - (1 bsl 27) end end,
RandBits = fun() -> N = 1 + R(40), <<B:N/bits, _/bits>> = rand:bytes(6), B end,
Key = fun K(D) -> case R(if D > 1 -> 8; true -> 12 end) of
    0 -> RandInt(); 1 -> RandFloat(); 2 -> Pick(Atoms); 3 -> rand:bytes(R(20));
    4 -> RandBits(); 5 -> Pick(Pids); 6 -> Pick(Refs); 7 -> Pick(Ports);
    8 -> list_to_tuple([K(D + 1) || _ <- Seq(R(4))]);
    9 -> [K(D + 1) || _ <- Seq(R(5))];
    10 -> maps:from_list([{K(D + 1), K(D + 1)} || _ <- Seq(R(4))]);
    11 -> maps:from_list([{I, K(2)} || I <- Seq(33 + R(8))]) end end,
Val = fun() -> case R(3) of 0 -> R(100); 1 -> Key(2); 2 -> Pick(Atoms) end end,
Dump = fun Dp(X) -> case erts_internal:term_type(X) of
    list -> {leaf, hd(X)};
    flatmap -> flat;
    T -> {T, [Dp(C) || C <- lists:reverse(erts_internal:map_hashmap_children(X))]} end end,
Res = fun(M, WithDump, Extra) ->
    Out(["R", T2H(M), T2H(maps:to_list(M)), case WithDump of true -> T2H(Dump(M)); false -> "-" end, Extra]) end,
Case = fun(Name, Input) -> Out(["CASE", Name, T2H(Input)]) end,

%% maps:put/3, one key at a time, from #{}.
Puts = fun(Name, KVs) ->
    Case(Name, {puts, KVs}),
    lists:foldl(fun({K, V}, {M, I}) -> M2 = maps:put(K, V, M), Res(M2, I rem 7 =:= 0, "-"), {M2, I + 1} end,
                {#{}, 1}, KVs) end,
Puts("puts_ints", [{I, I} || I <- Seq(200)]),
Puts("puts_atoms", [{A, R(9)} || A <- Atoms]),
Puts("puts_binaries", [{rand:bytes(R(12)), I} || I <- Seq(120)]),
MixedKeys = [Key(0) || _ <- Seq(210)] ++ [0.0, 1, 1.0, -1, -1.0],
Puts("puts_mixed", [{K, Val()} || K <- MixedKeys] ++ [{Pick(MixedKeys), Val()} || _ <- Seq(40)]
                   ++ [{-0.0, neg}, {0.0, pos}, {-0.0, neg2}]),
Puts("puts_zero_flat", [{0.0, a}, {1, b}, {-0.0, c}, {a, d}, {0.0, e}]),

%% maps:from_list/1.
FromList = fun(Name, L) -> Case(Name, {from_list, L}), Res(maps:from_list(L), true, "-") end,
FromList("from_list_1000", [{Key(0), Val()} || _ <- Seq(1000)] ++ [{-0.0, x}, {0.0, y}, {-0.0, z}]),
[FromList("from_list_" ++ integer_to_list(N), [{Key(1), R(5)} || _ <- Seq(N)] ++ [{0.0, 1}, {-0.0, 2}])
 || N <- [0, 1, 2, 10, 29, 30, 31, 32, 33, 40, 100]],
[FromList("from_list_dups_" ++ integer_to_list(N), [{R(N), I} || I <- Seq(N + 20)])
 || N <- [20, 32, 33, 34, 60]],
FromList("from_list_big_ints", [{I * 7919, I} || I <- Seq(5000)]),

%% maps:from_keys/2.
[begin Case("from_keys_" ++ integer_to_list(N), {from_keys, Ks, V}), Res(maps:from_keys(Ks, V), true, "-") end
 || N <- [0, 3, 32, 33, 200], Ks <- [[Key(1) || _ <- Seq(N)] ++ [0.0, -0.0]], V <- [Val()]],

%% maps:remove/2 and maps:take/2 down to #{}, with absent keys in between.
Removes = fun(Name, L0, Op) ->
    Ks0 = [K || {K, _} <- L0],
    Ks = Shuffle(Ks0) ++ [Key(1), 12345],
    Seqs = lists:append([[K, Key(1)] || K <- Ks]),
    Case(Name, {Op, L0, Seqs}),
    M0 = maps:from_list(L0),
    Res(M0, true, "-"),
    lists:foldl(fun(K, {M, I}) ->
        case Op of
            removes -> M2 = maps:remove(K, M), Res(M2, I rem 5 =:= 0, "-"), {M2, I + 1};
            takes -> case maps:take(K, M) of
                         error -> Res(M, false, T2H(error)), {M, I + 1};
                         {V, M2} -> Res(M2, I rem 5 =:= 0, T2H({ok, V})), {M2, I + 1}
                     end
        end end, {M0, 1}, Seqs) end,
Removes("removes_100", [{Key(0), Val()} || _ <- Seq(100)], removes),
Removes("removes_ints", [{I, I} || I <- Seq(100)], removes),
Removes("takes_70", [{Key(0), Val()} || _ <- Seq(70)] ++ [{0.0, zero}], takes),

%% maps:update/3 (and badkey).
Updates = fun(Name, L0, KVs) ->
    Case(Name, {updates, L0, KVs}),
    M0 = maps:from_list(L0),
    Res(M0, false, "-"),
    lists:foldl(fun({K, V}, M) ->
        try maps:update(K, V, M) of M2 -> Res(M2, false, "ok"), M2
        catch error:{badkey, _} -> Res(M, false, "badkey"), M end end, M0, KVs) end,
UL = [{Key(0), Val()} || _ <- Seq(60)] ++ [{0.0, zero}],
Updates("updates_big", UL, [{Pick([-0.0, Key(1) | [K || {K, _} <- UL]]), Val()} || _ <- Seq(80)]),
US = [{Key(1), Val()} || _ <- Seq(10)] ++ [{0.0, zero}],
Updates("updates_small", US, [{Pick([-0.0, Key(1) | [K || {K, _} <- US]]), Val()} || _ <- Seq(30)]),

%% maps:merge/2, both ways round.
Merge = fun(Name, L1, Second) ->
    Case(Name, {merge, L1, Second}),
    M1 = maps:from_list(L1),
    M2 = case Second of
             {list, L2} -> maps:from_list(L2);
             {derived, KVs} -> lists:foldl(fun({K, V}, M) -> maps:put(K, V, M) end, M1, KVs);
             {derived_removes, Ks} -> lists:foldl(fun maps:remove/2, M1, Ks)
         end,
    Res(maps:merge(M1, M2), true, "-"),
    Res(maps:merge(M2, M1), true, "-") end,
Ls = fun(N) -> [{Key(1), Val()} || _ <- Seq(N)] end,
Merge("merge_small_small", Ls(10), {list, Ls(12)}),
Merge("merge_small_small_over", Ls(20), {list, Ls(20)}),
SmallShared = Ls(20),
Merge("merge_small_small_shared", SmallShared, {list, lists:sublist(SmallShared, 10) ++ Ls(5)}),
Merge("merge_small_large", Ls(10), {list, Ls(200)}),
Merge("merge_empty_large", [], {list, Ls(50)}),
BigL = Ls(300),
Merge("merge_large_large", BigL, {list, lists:sublist(BigL, 150) ++ Ls(200)}),
Merge("merge_large_derived", BigL, {derived, [{Pick([K || {K, _} <- BigL]), Val()} || _ <- Seq(20)] ++ Ls(20)}),
Merge("merge_large_derived_removes", BigL, {derived_removes, [K || {K, _} <- lists:sublist(BigL, 100)]}),
Merge("merge_zero", [{0.0, a} | Ls(40)], {list, [{-0.0, b} | Ls(3)]}),
Merge("merge_zero_small", [{0.0, a} | Ls(4)], {list, [{-0.0, b} | Ls(3)]}),

%% M#{K => V, ...} and M#{K := V, ...} compiled (put_map_assoc / put_map_exact).
LitKey = fun() -> case R(7) of
    0 -> RandInt(); 1 -> Pick([0.0, 1.0, 2.5, 1.0e300]); 2 -> Pick(Atoms); 3 -> rand:bytes(R(6));
    4 -> {R(5), Pick(Atoms)}; 5 -> [R(5), R(300)]; 6 -> R(40) end end,
KeySets = [lists:usort([LitKey() || _ <- Seq(N)]) || N <- [1, 2, 3, 10, 31, 40]],
Vars = fun(N) -> lists:join(", ", ["V" ++ integer_to_list(I) || I <- Seq(N)]) end,
Pairs = fun(Ks, Op) -> lists:join(", ", [io_lib:format("~w ~s V~w", [K, Op, I])
                                         || {K, I} <- lists:zip(Ks, Seq(length(Ks)))]) end,
FunSrc = fun(Name, Ks, Op) -> lists:flatten(io_lib:format("~s(M, ~s) -> M#{~ts}.", [Name, Vars(length(Ks)), Pairs(Ks, Op)])) end,
Names = [{"a" ++ integer_to_list(I), "e" ++ integer_to_list(I), Ks} || {I, Ks} <- lists:zip(Seq(length(KeySets)), KeySets)],
Src = ["-module(mtk_put).", "-compile(export_all).", "-compile(nowarn_export_all)."]
      ++ lists:append([[FunSrc(A, Ks, "=>"), FunSrc(E, Ks, ":=")] || {A, E, Ks} <- Names]),
Forms = [begin {ok, Tk, _} = erl_scan:string(S), {ok, Fm} = erl_parse:parse_form(Tk), Fm end || S <- Src],
{ok, mtk_put, ModBin} = compile:forms(Forms, [binary]),
{module, mtk_put} = code:load_binary(mtk_put, "mtk_put.erl", ModBin),
[begin
     Base = case BaseKind of
                empty -> [];
                small -> [{K, old} || K <- lists:sublist(Ks, 2)] ++ [{LitKey(), old} || _ <- Seq(4)];
                flat31 -> [{K, old} || K <- lists:sublist(Ks, 5)] ++ [{I + 1000, old} || I <- Seq(26)];
                full -> [{K, old} || K <- Ks] ++ [{I + 2000, old} || I <- Seq(4)];
                big -> [{K, old} || K <- lists:sublist(Ks, 7)] ++ [{I + 3000, old} || I <- Seq(60)]
            end,
     Vs = [case R(3) of 0 -> old; 1 -> R(9); 2 -> {new, R(9)} end || _ <- Ks],
     Case("assoc_" ++ A ++ "_" ++ atom_to_list(BaseKind), {assoc, Ks, Base, Vs}),
     Res(apply(mtk_put, list_to_atom(A), [maps:from_list(Base) | Vs]), true, "-"),
     Case("exact_" ++ E ++ "_" ++ atom_to_list(BaseKind), {exact, Ks, Base, Vs}),
     try apply(mtk_put, list_to_atom(E), [maps:from_list(Base) | Vs]) of
         M -> Res(M, true, "ok")
     catch error:Reason -> Out(["R", "-", "-", "-", T2H(Reason)])
     end
 end || {A, E, Ks} <- Names, BaseKind <- [empty, small, flat31, full, big]],

%% erts_internal:map_next/3: the first chunk, the order, and where each path leads.
FirstAt = fun(P, M) -> case catch erts_internal:map_next(P, M, iterator) of
    {K, _, _} -> {ok, K}; none -> none; {'EXIT', {badarg, _}} -> badarg end end,
Walk = fun W(I, Acc) -> case maps:next(I) of none -> lists:reverse(Acc); {K, _, I2} -> W(I2, [K | Acc]) end end,
Paths = lists:seq(0, 300) ++ [16#fff, 16#1000, 16#ffff, 16#10000, 16#fffff, 16#100000, 1 bsl 27, (1 bsl 28) + 3,
         1 bsl 40, (1 bsl 59) - 1, 1 bsl 59, (1 bsl 60) + 5, 1 bsl 64, (1 bsl 100) + 1,
         -1, -2, -16, -17, -(1 bsl 30), -(1 bsl 59), -(1 bsl 59) - 1, -(1 bsl 70), a, 1.0, [1]],
[begin
     erlang:yield(), I0 = erts_internal:map_next(0, M, iterator),
     erlang:yield(), L0 = erts_internal:map_next(0, M, []),
     Out(["NEXT", T2H(M), T2H(I0), T2H(L0), T2H(Walk(maps:iterator(M), [])),
          T2H([{P, FirstAt(P, M)} || P <- Paths])])
 end || M <- [#{}, #{a => 1}, maps:from_list(Ls(5)), maps:from_list(Ls(32)), maps:from_list(Ls(33)),
              maps:from_list(Ls(200)), maps:from_list([{I, I} || I <- Seq(3000)]), maps:from_list(Ls(2000))]],

%% make_internal_hash(T, 0), through erts_debug's door for erts' own test suites.
logger:set_primary_config(level, error),
erts_debug:set_internal_state(available_internal_state, true),
IHash = fun(T) -> Out(["H", T2H(T), integer_to_list(erts_debug:get_internal_state({internal_hash, T}))]) end,
[IHash(Key(0)) || _ <- Seq(2500)],
[IHash(T) || T <- [0, -1, 1 bsl 27, -(1 bsl 27) - 1, (1 bsl 59) - 1, -(1 bsl 59), 1 bsl 59, -(1 bsl 59) - 1,
                   1 bsl 64, -(1 bsl 64), 0.0, -0.0, [], {}, #{}, <<>>, "abc", "abcdefgh", [1, 2, 300, 4 | 5],
                   [Pick(Atoms) | Pick(Atoms)], [hd(Atoms)], [[]], self(), hd(Ports), hd(Refs)]],
halt().
`;

/** Run twice with the same seed: once printing the maps' ETF, once erlang:display/1 (the two outputs do not interleave cleanly). */
const displayScript = (show: string): string => String.raw`
rand:seed(exsss, {7, 8, 9}),
R = fun(N) -> rand:uniform(N) - 1 end,
Seq = fun(N) -> lists:seq(1, N) end,
Show = ${show},
Show(maps:from_list([{I, I} || I <- Seq(40)])),
Show(lists:foldl(fun(I, M) -> maps:put({I, R(3)}, <<I>>, M) end, #{}, Seq(150))),
Show(maps:from_list([{rand:bytes(R(9)), [R(5)]} || _ <- Seq(300)])),
halt().
`;

// ---------------------------------------------------------------- reading erl's answer

interface Step {
  map: string | null;
  list: string | null;
  dump: string | null;
  extra: string | null;
}
interface Case {
  name: string;
  input: ETerm;
  steps: Step[];
}
interface NextCase {
  map: string;
  first: string;
  firstList: string;
  order: ETerm[];
  paths: ETerm[];
}

let atomIndex: Array<[Atom, number]>;
let cases: Case[];
let nexts: NextCase[];
let hashes: Array<{ term: ETerm; hash: number }>;
let displays: Array<{ map: ETerm; text: string }>;

let p: Process;
/** Atoms that got the same index here as in erl. */
let aligned: Set<Atom>;

const orNull = (s: string | undefined): string | null => (s === undefined || s === '-' ? null : s);

beforeAll(() => {
  const out = erlEval(SCRIPT, { timeoutMs: 300_000 });
  atomIndex = [];
  cases = [];
  nexts = [];
  hashes = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    switch (f[0]) {
      case 'A':
        atomIndex.push([dec(f[1]!) as Atom, Number(f[2])]);
        break;
      case 'CASE':
        cases.push({ name: f[1]!, input: dec(f[2]!), steps: [] });
        break;
      case 'R':
        cases[cases.length - 1]!.steps.push({ map: orNull(f[1]), list: orNull(f[2]), dump: orNull(f[3]), extra: orNull(f[4]) });
        break;
      case 'NEXT':
        nexts.push({ map: f[1]!, first: f[2]!, firstList: f[3]!, order: dec(f[4]!) as ETerm[], paths: dec(f[5]!) as ETerm[] });
        break;
      case 'H':
        hashes.push({ term: dec(f[1]!), hash: Number(f[2]) });
        break;
      default:
        throw new Error(`unexpected line from erl: ${line.slice(0, 200)}`);
    }
  }
  const lines = (out: string): string[] => out.split(/\r?\n/).filter((l) => l !== '');
  const etfLines = lines(erlEval(displayScript('fun(M) -> io:put_chars([binary:encode_hex(term_to_binary(M)), "\\n"]) end')));
  const texts = lines(erlEval(displayScript('fun(M) -> erlang:display(M) end')));
  displays = etfLines.map((l, i) => ({ map: dec(l), text: texts[i]! }));

  // A VM whose atoms sit at erl's indices: fill the gaps with atoms of our own.
  const mem = Memory.create();
  const atoms = AtomTable.format(mem);
  aligned = new Set();
  for (const [a, ix] of [...atomIndex].sort((x, y) => x[1] - y[1])) {
    if (atoms.count > ix) continue;
    while (atoms.count < ix) atoms.intern(`$mtk_fill_${atoms.count}`);
    atoms.intern(a.name);
    aligned.add(a);
  }
  p = new Process(mem, atoms, makeLocalPid(1, 0));
}, 300_000);

const mk = (t: ETerm): Term => fromETerm(p, p.heapFor(sizeOfETerm(t, p)), t);
const t2h = (t: Term): string => toHex(termToBinary(p, t));
const etfHex = (t: ETerm): string => toHex(encodeEtf(t));

/** The HAMT shape as the script's Dump gives it. */
function dumpOf(t: Term): ETerm {
  const w = p.mem.i32;
  if (isList(t)) return new Tuple([Atom.of('leaf'), toETerm(p, w[ptrVal(t)]!)]);
  const at = ptrVal(t);
  const hdr = w[at]!;
  const kind = mapHeaderKind(hdr);
  if (kind === MAP_KIND_FLAT) return Atom.of('flat');
  const node = kind === MAP_KIND_HAMT_NODE;
  const first = node ? at + 1 : at + 2;
  const n = bitCount(mapHeaderVal(hdr));
  const kids: ETerm[] = [];
  for (let i = 0; i < n; i++) kids.push(dumpOf(w[first + i]!));
  return new Tuple([Atom.of(node ? 'hashmap_node' : 'hashmap'), kids]);
}
function bitCount(x: number): number {
  let n = 0;
  for (; x !== 0; x &= x - 1) n++;
  return n;
}

/** Compares a heap map with one step of erl's output; returns a problem or null. */
function checkStep(name: string, i: number, m: Term, step: Step): string | null {
  const where = `${name} step ${i}`;
  if (step.map === null) return `${where}: erl failed, we did not`;
  if (t2h(m) !== step.map) return `${where}: term_to_binary differs`;
  if (t2h(mapToList(p, m)) !== step.list) return `${where}: maps:to_list differs`;
  if (step.dump !== null && etfHex(dumpOf(m)) !== step.dump) return `${where}: HAMT shape differs`;
  return null;
}

function caseInput(name: string): Case[] {
  return cases.filter((c) => c.name.startsWith(name));
}

const pairs = (l: ETerm): Array<[ETerm, ETerm]> => (l as ETerm[]).map((x) => (x as Tuple).elements as [ETerm, ETerm]);
const fromPairs = (l: ETerm): Term => {
  const ps = pairs(l);
  return mapFromArrays(
    p,
    ps.map((x) => mk(x[0])),
    ps.map((x) => mk(x[1])),
  );
};
const tag = (t: ETerm): string => ((t as Tuple).elements[0] as Atom).name;
const arg = (t: ETerm, i: number): ETerm => (t as Tuple).elements[i]!;

// ---------------------------------------------------------------- tests

describe('setup', () => {
  it('has erl atoms at the same indices, and every case', () => {
    expect(aligned.size).toBeGreaterThan(170);
    expect(cases.length).toBeGreaterThan(100);
    expect(nexts.length).toBe(8);
    expect(hashes.length).toBeGreaterThan(2500);
  });
});

describe('maps built like erl builds them', () => {
  it('maps:put/3 from #{} one key at a time (to 200+ keys): same bytes, to_list order and HAMT shape at every step', () => {
    const bad: string[] = [];
    let steps = 0;
    for (const c of caseInput('puts_')) {
      let m = mkEmptyMap(p);
      pairs(arg(c.input, 1)).forEach(([k, v], i) => {
        m = mapPut(p, m, mk(k), mk(v));
        const e = checkStep(c.name, i, m, c.steps[i]!);
        if (e) bad.push(e);
        steps++;
      });
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(steps).toBeGreaterThan(750);
  });

  it('maps:from_list/1 (last entry wins, 1000 entries, sizes around 32) and maps:from_keys/2', () => {
    const bad: string[] = [];
    for (const c of caseInput('from_list_')) {
      const list = mk(arg(c.input, 1));
      const e = checkStep(c.name, 0, mapFromList(p, list)!, c.steps[0]!);
      if (e) bad.push(e);
      // From arrays too: the same map.
      const e2 = checkStep(c.name + ' (arrays)', 0, fromPairs(arg(c.input, 1)), c.steps[0]!);
      if (e2) bad.push(e2);
    }
    for (const c of caseInput('from_keys_')) {
      const e = checkStep(c.name, 0, mapFromKeys(p, mk(arg(c.input, 1)), mk(arg(c.input, 2)))!, c.steps[0]!);
      if (e) bad.push(e);
    }
    expect(bad).toEqual([]);
    expect(caseInput('from_list_').length).toBe(18);
  });

  it('maps:remove/2 and maps:take/2 from 100 keys to none (flatmap again at 32)', () => {
    const bad: string[] = [];
    let steps = 0;
    for (const c of [...caseInput('removes_'), ...caseInput('takes_')]) {
      const op = tag(c.input);
      let m = fromPairs(arg(c.input, 1));
      const e0 = checkStep(c.name, 0, m, c.steps[0]!);
      if (e0) bad.push(e0);
      (arg(c.input, 2) as ETerm[]).forEach((k, i) => {
        const step = c.steps[i + 1]!;
        if (op === 'removes') {
          m = mapRemove(p, m, mk(k));
        } else {
          const r = mapTake(p, m, mk(k));
          const got = r === undefined ? Atom.of('error') : new Tuple([Atom.of('ok'), toETerm(p, r.value)]);
          if (etfHex(got) !== step.extra) bad.push(`${c.name} step ${i + 1}: take result differs`);
          if (r !== undefined) m = r.map;
        }
        const e = checkStep(c.name, i + 1, m, step);
        if (e) bad.push(e);
        steps++;
      });
      expect(mapSize(p, m)).toBe(0);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(steps).toBeGreaterThan(450);
  });

  it('maps:update/3: replaces existing keys only (badkey otherwise), keeping the key erl keeps', () => {
    const bad: string[] = [];
    let badkeys = 0;
    for (const c of caseInput('updates_')) {
      let m = fromPairs(arg(c.input, 1));
      pairs(arg(c.input, 2)).forEach(([k, v], i) => {
        const step = c.steps[i + 1]!;
        const r = mapUpdate(p, m, mk(k), mk(v));
        if ((r === undefined ? 'badkey' : 'ok') !== step.extra) bad.push(`${c.name} step ${i + 1}: ${step.extra} in erl`);
        if (r !== undefined) m = r;
        else badkeys++;
        const e = checkStep(c.name, i + 1, m, step);
        if (e) bad.push(e);
      });
    }
    expect(bad).toEqual([]);
    expect(badkeys).toBeGreaterThan(5);
  });

  it('maps:merge/2 of small and large maps, both ways round, also sharing subtrees', () => {
    const bad: string[] = [];
    for (const c of caseInput('merge_')) {
      const m1 = fromPairs(arg(c.input, 1));
      const second = arg(c.input, 2);
      let m2: Term;
      switch (tag(second)) {
        case 'list':
          m2 = fromPairs(arg(second, 1));
          break;
        case 'derived':
          m2 = m1;
          for (const [k, v] of pairs(arg(second, 1))) m2 = mapPut(p, m2, mk(k), mk(v));
          break;
        default:
          m2 = m1;
          for (const k of arg(second, 1) as ETerm[]) m2 = mapRemove(p, m2, mk(k));
      }
      const e1 = checkStep(c.name, 0, mapMerge(p, m1, m2), c.steps[0]!);
      const e2 = checkStep(c.name + ' (swapped)', 1, mapMerge(p, m2, m1), c.steps[1]!);
      if (e1) bad.push(e1);
      if (e2) bad.push(e2);
    }
    expect(bad).toEqual([]);
    expect(caseInput('merge_').length).toBe(10);
  });

  it('M#{K => V, ...} (put_map_assoc) and M#{K := V, ...} (put_map_exact) as erlc compiles them', () => {
    const bad: string[] = [];
    let badkeys = 0;
    for (const c of [...caseInput('assoc_'), ...caseInput('exact_')]) {
      const [, ksE, baseE, vsE] = (c.input as Tuple).elements;
      // The loader hands the instruction its keys in map-key order.
      const order = (ksE as ETerm[]).map((_, i) => i).sort((a, b) => compareETermKeys((ksE as ETerm[])[a]!, (ksE as ETerm[])[b]!));
      const keys = order.map((i) => mk((ksE as ETerm[])[i]!));
      const values = order.map((i) => mk((vsE as ETerm[])[i]!));
      const base = fromPairs(baseE!);
      const step = c.steps[0]!;
      if (tag(c.input) === 'assoc') {
        const e = checkStep(c.name, 0, mapPutAssoc(p, base, keys, values), step);
        if (e) bad.push(e);
        continue;
      }
      const r = mapPutExact(p, base, keys, values);
      if (r === THE_NON_VALUE) {
        badkeys++;
        const missing = firstMissingKey(p, base, keys)!;
        const reason = etfHex(new Tuple([Atom.of('badkey'), toETerm(p, missing)]));
        if (step.map !== null || step.extra !== reason) bad.push(`${c.name}: erl ${step.extra}, ours ${reason}`);
      } else {
        const e = checkStep(c.name, 0, r, step);
        if (e) bad.push(e);
      }
    }
    expect(bad).toEqual([]);
    expect(badkeys).toBeGreaterThan(10);
    expect(caseInput('assoc_').length).toBe(30);
  });

  it('mapGet finds every key with =:= (1 and 1.0 apart) and misses absent ones', () => {
    const c = caseInput('puts_mixed')[0]!;
    let m = mkEmptyMap(p);
    const kvs = pairs(arg(c.input, 1));
    for (const [k, v] of kvs) m = mapPut(p, m, mk(k), mk(v));
    // What erl's final map holds, read back from its bytes.
    const want = dec(c.steps[c.steps.length - 1]!.map!) as EMap;
    for (let i = 0; i < want.keys.length; i++) {
      const v = mapGet(p, m, mk(want.keys[i]!));
      expect(v).toBeDefined();
      expect(etfHex(toETerm(p, v!))).toBe(etfHex(want.values[i]!));
    }
    // Keys erl's map does not have.
    const absent = [1n << 200n, 3.25, new Tuple([Atom.of('mtk_no')]), new Bitstring(new Uint8Array([1, 2, 3]), 23)];
    for (const k of absent) {
      if (want.keys.some((x) => compareETermKeys(x, k) === 0)) continue;
      expect(mapGet(p, m, mk(k))).toBeUndefined();
    }
  });
});

describe('erts_internal:map_next/3', () => {
  it('gives the first chunk (path 0) exactly, both as an iterator and as a list', () => {
    const iterator = p.atoms.intern('iterator');
    for (const n of nexts) {
      const m = mk(dec(n.map));
      expect(t2h(mapNext(p, makeSmall(0), m, iterator))).toBe(n.first);
      expect(t2h(mapNext(p, makeSmall(0), m, NIL))).toBe(n.firstList);
    }
  });

  it('walks the map in maps:next/1 order in chunks of any size, and to_list order with a list', () => {
    const iterator = p.atoms.intern('iterator');
    const none = p.atoms.intern('none');
    for (const n of nexts) {
      const m = mk(dec(n.map));
      for (const budget of [1, 7, 1000]) {
        const keys: ETerm[] = [];
        let it = mapNext(p, makeSmall(0), m, iterator, budget);
        while (it !== none) {
          const w = p.mem.i32;
          // {K, V, Next}: Next is the next tuple, `none` or [Path | Map].
          let t = it;
          for (;;) {
            keys.push(toETerm(p, w[ptrVal(t) + 1]!));
            const next = p.mem.i32[ptrVal(t) + 3]!;
            if (next === none) {
              it = none;
              break;
            }
            if (isList(next)) {
              it = mapNext(p, p.mem.i32[ptrVal(next)]!, m, iterator, budget);
              break;
            }
            t = next;
          }
        }
        expect(etfHex(keys)).toBe(etfHex(n.order));
        // maps:to_list/1's loop over the list form.
        let acc = mapNext(p, makeSmall(0), m, NIL, budget);
        for (;;) {
          if (!isList(acc)) break;
          const head = p.mem.i32[ptrVal(acc)]!;
          if (intValue(p, head) === undefined) break; // a {K, V}: the list is complete
          const rest = p.mem.i32[ptrVal(acc) + 1]!;
          acc = mapNext(p, head, p.mem.i32[ptrVal(rest)]!, p.mem.i32[ptrVal(rest) + 1]!, budget);
        }
        expect(t2h(acc)).toBe(t2h(mapToList(p, m)));
      }
    }
  });

  it('leads to the same entry as erl from each of 300+ paths (badarg where erl says so)', () => {
    const iterator = p.atoms.intern('iterator');
    const bad: string[] = [];
    let checked = 0;
    for (const n of nexts) {
      const m = mk(dec(n.map));
      for (const pr of n.paths) {
        const [path, want] = (pr as Tuple).elements;
        const r = mapNext(p, mk(path!), m, iterator);
        let got: ETerm;
        if (r === THE_NON_VALUE) got = Atom.of('badarg');
        else if (r === p.atoms.intern('none')) got = Atom.of('none');
        else got = new Tuple([Atom.of('ok'), toETerm(p, p.mem.i32[ptrVal(r) + 1]!)]);
        if (etfHex(got) !== etfHex(want!)) bad.push(`map of ${mapSize(p, m)}, path ${String(path)}`);
        checked++;
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(2500);
  });
});

describe('the internal hash on heap terms', () => {
  it('is make_internal_hash(T, 0) of erl on every kind of term', () => {
    const bad: string[] = [];
    for (const { term, hash } of hashes) {
      const ours = termInternalHash(p, mk(term));
      if (ours !== hash) bad.push(`${etfHex(term).slice(0, 80)}: erl ${hash}, ours ${ours}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it("agrees with loader/eterm_hash.ts's mapHash (vmHashEnv) at four salts on thousands of terms", () => {
    const terms = [...hashes.map((h) => h.term), ...randomTerms(2000)];
    const env = vmHashEnv(p);
    let bad = 0;
    for (const t of terms) {
      const heap = mk(t);
      for (let d = 0; d < 4; d++) {
        if (mapKeyHash(p, heap, d) !== internalHash(t, mapHashSalt(d), env)) bad++;
      }
    }
    expect(bad).toBe(0);
    expect(terms.length).toBeGreaterThan(4500);
  });
});

describe('erlang:display/1 of large maps', () => {
  it('shows the same HAMT as erl', () => {
    expect(displays.length).toBe(3);
    for (const d of displays) {
      // Built here by maps:put/3 one entry at a time, and from all entries at once.
      const m = d.map as EMap;
      let byPut = mkEmptyMap(p);
      for (let i = 0; i < m.size; i++) byPut = mapPut(p, byPut, mk(m.keys[i]!), mk(m.values[i]!));
      const byArrays = mapFromArrays(p, m.keys.map(mk), m.values.map(mk));
      expect(displayText(p, byPut)).toBe(d.text);
      expect(displayText(p, byArrays)).toBe(d.text);
    }
  });
});

describe('deep and large', () => {
  it('a map with keys as deep as 100000 levels and a map of 100000 keys', () => {
    // Checked against the JS model's own hash and order (the loader's tests check those against erl).
    let deep: ETerm = 1n;
    for (let i = 0; i < 100_000; i++) deep = new Tuple([deep]);
    const keys: ETerm[] = [deep, ...Array.from({ length: 40 }, (_, i) => BigInt(i))];
    const m = mapFromArrays(
      p,
      keys.map(mk),
      keys.map(() => makeSmall(1)),
    );
    expect(t2h(m)).toBe(t2h(mk(new EMap(keys, keys.map(() => 1n)))));
    const big = Array.from({ length: 100_000 }, (_, i) => BigInt(i * 31));
    const keyTerms = big.map((k) => makeSmall(Number(k)));
    const bm = mapFromArrays(
      p,
      keyTerms,
      keyTerms,
    );
    expect(t2h(bm)).toBe(t2h(mk(new EMap(big, big))));
    const list = mkList(p, keyTerms.slice(0, 50));
    expect(mapSize(p, mapFromKeys(p, list, NIL)!)).toBe(50);
  });
});

// ---------------------------------------------------------------- random terms for the JS-model comparison

function randomTerms(n: number): ETerm[] {
  let x = 0x2545f491;
  const rnd = (k: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % k;
  };
  const nodes = [Atom.of('a@h'), Atom.of('other@host'), Atom.of('nonode@nohost')];
  const atom = (): Atom => Atom.of(`r${rnd(50)}`);
  const leaf = (): ETerm => {
    switch (rnd(16)) {
      case 0:
        return BigInt(rnd(1000)) - 500n;
      case 1:
        return (1n << BigInt(rnd(130))) * (rnd(2) ? 1n : -1n) + BigInt(rnd(100));
      case 2:
        return [0, -0, 0.5, -1.5, 1e300, 5e-324][rnd(6)]!;
      case 3:
        return atom();
      case 4:
        return new Bitstring(Uint8Array.from({ length: rnd(80) }, () => rnd(256)));
      case 5: {
        const bits = 1 + rnd(60);
        const bytes = Uint8Array.from({ length: (bits + 7) >>> 3 }, () => rnd(256));
        if (bits & 7) bytes[bytes.length - 1]! &= (0xff << (8 - (bits & 7))) & 0xff;
        return new Bitstring(bytes, bits);
      }
      case 6:
        return new Pid(nodes[rnd(3)]!, rnd(1 << 16), rnd(1 << 14), rnd(3));
      case 7:
        return new Port(nodes[rnd(3)]!, BigInt(rnd(1 << 30)) * BigInt(1 + rnd(3)), rnd(2));
      case 8:
        return new Ref(nodes[rnd(3)]!, Array.from({ length: 1 + rnd(5) }, () => rnd(2 ** 31) * 2 + rnd(2)), rnd(2));
      case 9:
        return new ExportFun(atom(), atom(), rnd(256));
      case 10:
        return Array.from({ length: rnd(12) }, () => BigInt(rnd(300)));
      case 11:
        return new Pid(Atom.of('nonode@nohost'), rnd(1 << 15), rnd(1 << 13), 0);
      default:
        return BigInt(rnd(1 << 30));
    }
  };
  const gen = (d: number): ETerm => {
    if (d > 3 || rnd(3) === 0) return leaf();
    switch (rnd(6)) {
      case 0:
        return new Tuple(Array.from({ length: rnd(4) }, () => gen(d + 1)));
      case 1:
        return Array.from({ length: 1 + rnd(4) }, () => gen(d + 1));
      case 2:
        return new ImproperList([gen(d + 1), gen(d + 1)], gen(d + 1));
      case 3: {
        const size = rnd(2) ? rnd(5) : 33 + rnd(10);
        const keys: ETerm[] = [];
        while (keys.length < size) {
          const k = size > 5 ? BigInt(rnd(1e6)) : gen(d + 1);
          if (!keys.some((y) => compareETermKeys(y, k) === 0)) keys.push(k);
        }
        return new EMap(
          keys,
          keys.map(() => gen(d + 2)),
        );
      }
      case 4:
        return new LocalFun(atom(), rnd(4), new Uint8Array(16).fill(rnd(256)), rnd(100), rnd(100), rnd(2 ** 31), new Pid(Atom.of('nonode@nohost'), 3, 0, 0), [
          gen(d + 1),
        ]);
      default:
        return gen(d + 1);
    }
  };
  return Array.from({ length: n }, () => gen(0));
}
