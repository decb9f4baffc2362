/**
 * The map BIFs (bifs/maps.ts) against the real erl.
 *
 * erl lists which functions of `maps` are BIFs (erlang:is_builtin/3: the
 * nif_error stubs of maps.beam) and runs every BIF on a few thousand
 * argument lists — maps small and large, with 0.0/-0.0 and 1/1.0 keys,
 * present and absent keys, non-maps, bad lists, bad iterator paths — and
 * prints each call's arguments and {ok, Result} or {error, Reason} in hex
 * ETF. We build the same arguments, call our BIF, and must print the same.
 *
 * A large map's shape depends on the atom-table index of its atom keys: the
 * script creates fresh atoms for keys and prints each one's index, and we
 * create ours at the same indices (as test/vm/term/maps.test.ts does).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../bifs/maps.js';
import { BIF_TABLE, lookupBif } from '../../bifs/registry.js';
import { decodeEtf, encodeEtf } from '../../loader/etf.js';
import { Atom, Tuple, type ETerm } from '../../loader/eterm.js';
import { ErlangException } from '../../vm/errors.js';
import { Memory } from '../../vm/memory.js';
import { Process } from '../../vm/process.js';
import { AtomTable } from '../../vm/term/atoms.js';
import { fromETerm, sizeOfETerm, toETerm } from '../../vm/term/build.js';
import { makeAtom, makeLocalPid, type Term } from '../../vm/term/tags.js';
import { erlEval } from '../support/erl.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const dec = (s: string): ETerm => decodeEtf(hex(s));
const etfHex = (t: ETerm): string => Buffer.from(encodeEtf(t)).toString('hex').toUpperCase();

const SCRIPT = String.raw`
Hex = fun(B) -> binary:encode_hex(B) end,
T2H = fun(T) -> Hex(term_to_binary(T)) end,
Out = fun(Parts) -> io:put_chars([lists:join("\t", Parts), "\n"]) end,
rand:seed(exsss, {11, 22, 33}),
R = fun(N) -> rand:uniform(N) - 1 end,
Seq = fun(N) -> lists:seq(1, N) end,
Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,

MkAtom = fun(Name) ->
    N0 = erlang:system_info(atom_count),
    A = list_to_atom(Name),
    case erlang:system_info(atom_count) =:= N0 + 1 of
        true -> Out(["A", T2H(A), integer_to_list(N0)]), [A];
        false -> []
    end end,
Atoms = lists:append([MkAtom("mbt_" ++ integer_to_list(I)) || I <- Seq(12)]),
{module, maps} = code:ensure_loaded(maps),
Builtins = [{F, A} || {F, A} <- maps:module_info(exports), erlang:is_builtin(maps, F, A)],
Out(["BUILTINS", T2H({Builtins, erlang:is_builtin(erts_internal, map_next, 3),
                     [erlang:is_builtin(erlang, F, A) || {F, A} <- [{map_size, 1}, {map_get, 2}, {is_map_key, 2}, {is_map, 1}]]})]),

Key = fun() -> case R(8) of
    0 -> R(50); 1 -> Pick([0.0, -0.0, 1.0, 1, 2.0, 2]); 2 -> rand:bytes(R(4)); 3 -> {R(3), R(3)};
    4 -> [R(3)]; 5 -> (1 bsl 64) + R(5); 6 -> R(1 bsl 40); 7 -> Pick([self(), make_ref(), []]) end end,
SmallKey = fun() -> case R(3) of 0 -> Key(); 1 -> Pick(Atoms); 2 -> {Pick(Atoms), R(3)} end end,
Small = fun(N) -> maps:from_list([{SmallKey(), R(9)} || _ <- Seq(N)]) end,
Big = fun(N) -> maps:from_list([{Key(), R(9)} || _ <- Seq(N)]) end,
Maps = [#{}, #{hd(Atoms) => 1}, #{0.0 => zero, 1 => one}, #{-0.0 => negzero}, Small(5), Small(20), Small(32),
        Big(33), Big(40), Big(200), maps:from_list([{I, I} || I <- Seq(100)])],
NonMaps = [notmap, 7, [], [a], {x}, <<"bin">>, 1.5],
KeysOf = fun(M) -> lists:sublist(maps:keys(M), 6) end,
Probe = fun(M) -> KeysOf(M) ++ [0.0, -0.0, 1, 1.0, lists:last(Atoms), {12345}, 1 bsl 70] end,
Call = fun(Mod, F, Args) ->
    erlang:yield(),
    Res = try {ok, apply(Mod, F, Args)} catch error:Reason -> {error, Reason} end,
    Out(["C", T2H({Mod, F, Args}), T2H(Res)]) end,

[Call(maps, F, [K, M]) || M <- Maps, K <- Probe(M), F <- [get, find, is_key, remove, take]],
[Call(erlang, F, [K, M]) || M <- Maps, K <- Probe(M), F <- [map_get, is_map_key]],
[Call(maps, put, [K, Pick([new, 1, 2.0])] ++ [M]) || M <- Maps, K <- Probe(M)],
[Call(maps, update, [K, Pick([new, 1, 2.0])] ++ [M]) || M <- Maps, K <- Probe(M)],
[Call(maps, F, [k, M]) || M <- NonMaps, F <- [get, find, is_key, remove, take]],
[Call(erlang, F, [k, M]) || M <- NonMaps, F <- [map_get, is_map_key]],
[Call(maps, F, [k, v, M]) || M <- NonMaps, F <- [put, update]],
[Call(maps, F, [M]) || M <- Maps ++ NonMaps, F <- [keys, values]],
[Call(erlang, F, [M]) || M <- Maps ++ NonMaps, F <- [map_size, is_map]],
[Call(maps, merge, [A, B]) || A <- Maps ++ [notmap], B <- Maps ++ [other]],
[Call(maps, merge, [A, maps:merge(A, B)]) || A <- [Big(100)], B <- [Small(3), Big(50)]],
[Call(maps, from_list, [L]) || L <- [[], [{a, 1}], [{a, 1}, {a, 2}], [{0.0, x}, {-0.0, y}], [{1, a}, {1.0, b}],
                                    [{K, V} || {K, V} <- maps:to_list(Big(60))] ++ [{K, dup} || K <- KeysOf(Big(60))],
                                    [{Key(), R(3)} || _ <- Seq(300)],
                                    notlist, [{a, 1} | tail], [{a, 1, 2}], [{a}], [a], [{a, 1}, b], {[{a, 1}]}]],
[Call(maps, from_keys, [Ks, V]) || Ks <- [[], [a, b, a], [0.0, -0.0], [Key() || _ <- Seq(50)], [a | b], notlist, {a}],
                                   V <- [1]],
Paths = [0, 1, 2, 3, 5, 6, 40, -1, a, 1.0, 1 bsl 64, -(1 bsl 64)],
[Call(erts_internal, map_next, [P, M, A]) || M <- lists:sublist(Maps, 7), P <- Paths, A <- [iterator, [], [x | y], foo]],
[Call(erts_internal, map_next, [P, M, A]) || M <- lists:nthtail(7, Maps), P <- [0, 16, 17, 255, a, -(1 bsl 64), 1.0],
                                             A <- [iterator, [], foo]],
[Call(erts_internal, map_next, [0, M, iterator]) || M <- NonMaps],
halt().
`;

let atomIndex: Array<[Atom, number]>;
let builtins: ETerm;
let calls: Array<{ mod: string; fn: string; args: ETerm[]; want: string }>;
let p: Process;

beforeAll(() => {
  const out = erlEval(SCRIPT, { timeoutMs: 300_000 });
  calls = [];
  atomIndex = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f[0] === 'A') atomIndex.push([dec(f[1]!) as Atom, Number(f[2])]);
    else if (f[0] === 'BUILTINS') builtins = dec(f[1]!);
    else if (f[0] === 'C') {
      const [mod, fn, args] = (dec(f[1]!) as Tuple).elements;
      calls.push({ mod: (mod as Atom).name, fn: (fn as Atom).name, args: args as ETerm[], want: f[2]! });
    } else throw new Error(`unexpected line from erl: ${line.slice(0, 200)}`);
  }
  // Our atoms at erl's indices, the gaps filled with atoms of our own.
  const mem = Memory.create();
  const atoms = AtomTable.format(mem);
  for (const [a, ix] of [...atomIndex].sort((x, y) => x[1] - y[1])) {
    while (atoms.count < ix) atoms.intern(`$mbt_fill_${atoms.count}`);
    if (atoms.intern(a.name) !== makeAtom(ix)) throw new Error(`atom ${a.name} did not get erl's index ${ix}`);
  }
  p = new Process(mem, atoms, makeLocalPid(1, 0));
}, 300_000);

const mk = (t: ETerm): Term => fromETerm(p, p.heapFor(sizeOfETerm(t, p)), t);

describe('the map BIFs', () => {
  it('are exactly the functions of maps that erl says are BIFs, and the erlang and erts_internal ones', () => {
    const [mapsBifs, mapNext, guards] = (builtins as Tuple).elements;
    const want = (mapsBifs as ETerm[]).map((t) => {
      const [f, a] = (t as Tuple).elements;
      return `maps:${(f as Atom).name}/${a}`;
    });
    const ours = BIF_TABLE.filter((e) => e.module === 'maps').map((e) => e.key);
    expect(ours.sort()).toEqual(want.sort());
    expect(mapNext).toBe(Atom.of('true'));
    expect(guards).toEqual([Atom.of('true'), Atom.of('true'), Atom.of('true'), Atom.of('true')]);
    for (const k of ['erlang:map_size/1', 'erlang:map_get/2', 'erlang:is_map_key/2', 'erlang:is_map/1', 'erts_internal:map_next/3']) {
      expect(BIF_TABLE.some((e) => e.key === k)).toBe(true);
    }
  });

  it('return what erl returns and fail with the reason erl fails with, on thousands of calls', () => {
    expect(calls.length).toBeGreaterThan(1500);
    const bad: string[] = [];
    let errors = 0;
    for (const c of calls) {
      const bif = lookupBif(c.mod, c.fn, c.args.length);
      if (bif === undefined) {
        bad.push(`${c.mod}:${c.fn}/${c.args.length} is missing`);
        continue;
      }
      const args = c.args.map(mk);
      let got: ETerm;
      try {
        got = new Tuple([Atom.of('ok'), toETerm(p, bif.fn(p, args))]);
      } catch (e) {
        if (!(e instanceof ErlangException)) throw e;
        expect(e.cls).toBe(p.atoms.intern('error'));
        got = new Tuple([Atom.of('error'), toETerm(p, e.reason)]);
        errors++;
      }
      if (etfHex(got) !== c.want) bad.push(`${c.mod}:${c.fn}/${c.args.length} #${calls.indexOf(c)}: differs`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(errors).toBeGreaterThan(300);
  });
});
