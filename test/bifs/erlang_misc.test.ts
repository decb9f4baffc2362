/**
 * bifs/erlang_misc.ts against erl: string:list_to_integer/1 and
 * list_to_float/1, io:printable_range/0, and fun_info/2, fun_info_mfa/1 and
 * fun_to_list/1, the pid/port/reference text conversions and
 * unique_integer's errors through the oracle table (funs made by erl and sent
 * over as external terms); then a compiled module run on erl and on a beamjs
 * VM, for what only a loaded module knows (a local fun's name, its env and
 * pid) and the properties of unique_integer and now/0 (their values are
 * the VM's own).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VM } from '../../vm/vm.js';
import { erlEval } from '../support/erl.js';
import { countByFunction, erlOutcomes, mismatches, type OracleCase } from './oracle.js';

const CASES = String.raw`
(fun() ->
  Strings = ["123abc", "-12", "+5x", "abc", "", "-", "+", "12.5e3x", "007", "1.5", "1.5e", "1.5e+", "1.5e+3",
             "1,5", "1.", ".5", "3e5", "12345678901234567890123x", [$1, $2 | foo], foo, [$1, 300], [$1, $a | $b],
             "1.0e999", "-1.0e-3z", "1.5E3", " 12", [$1, $2, -1], [16#10000], <<"12">>, "1.0e-400", "1.5e3.5",
             "-0", "-0.0", "+0.5e-0", [$1, $., $5 | x], [$1, foo], lists:duplicate(200, $7) ++ "x",
             lists:duplicate(70, $1) ++ "." ++ lists:duplicate(80, $2) ++ "e-40!", lists:duplicate(300, $9) ++ ".5",
             "1.5e+3" ++ [16#100], "٣", "9" ++ [16#663], 42, {}],
  X = 5, Y = {a, "b"},
  Local = [fun(A) -> A + X end, fun() -> Y end, fun(A, B) -> {A, B} end],
  Ext = [fun lists:map/2, fun erlang:self/0, fun 'Mod With Space':'f g'/3],
  PidTexts = ["<0.5.0>", "<0.5.1>", "<1.2.3>", "<0.32767.0>", "<0.32768.0>", "<0.5.8191>", "<0.5.8192>", "<0.5>",
              "<0.-5.0>", "< 0.5.0>", "<0.5.0> ", "<00.05.00>", "<0.4294967296.0>", "", "x", a, "<0.1.2", [$<, $0 | x]],
  PortTexts = ["#Port<0.5>", "#Port<0.0>", "#Port<1.5>", "#Port<0.268435455>", "#Port<0.268435456>", "#Port<0.5.6>",
               "#Port<0.>", "Port<0.5>", 5],
  RefTexts = ["#Ref<0.1.2.3>", "#Ref<0.1.2>", "#Ref<0.1.2.3.4>", "#Ref<0.0.0.0>", "#Ref<0.4294967295.2.3>",
              "#Ref<0.4294967296.2.3>", "#Ref<0.1.2.3.4.5>", "#Ref<1.1.2.3>", "#Ref<0.1>", "#Ref<0.3892174851.1289748482.15163>",
              "#ref<0.1.2.3>", {}],
  Items = [arity, env, index, new_index, uniq, new_uniq, module, pid, type, name, refs, bad, 3, "arity"],
  lists:append([
    [{string, list_to_integer, [S]} || S <- Strings],
    [{string, list_to_float, [S]} || S <- Strings],
    [{io, printable_range, []}],
    [{erlang, fun_info, [F, I]} || F <- Ext, I <- Items],
    %% A local fun's name needs its module loaded (erl_eval here): that is checked by the run below.
    [{erlang, fun_info, [F, I]} || F <- Local, I <- Items, I =/= name],
    [{erlang, fun_info, [T, I]} || T <- [3, a, {fun lists:map/2}, [], self()], I <- [arity, name]],
    [{erlang, fun_info_mfa, [F]} || F <- Ext ++ [3, a, "f"]],
    [{erlang, fun_to_list, [F]} || F <- Ext ++ Local ++ [3, a, "f"]],
    [{erlang, list_to_pid, [S]} || S <- PidTexts],
    [{erlang, pid_to_list, [list_to_pid(S)]} || S <- PidTexts, is_pid(catch list_to_pid(S))],
    [{erlang, list_to_port, [S]} || S <- PortTexts],
    [{erlang, port_to_list, [list_to_port(S)]} || S <- PortTexts, is_port(catch list_to_port(S))],
    [{erlang, list_to_ref, [S]} || S <- RefTexts],
    [{erlang, ref_to_list, [list_to_ref(S)]} || S <- RefTexts, is_reference(catch list_to_ref(S))],
    %% (Other nodes' identifiers show the node's number in erl's own node table: not comparable.)
    [{erlang, F, [T]} || F <- [pid_to_list, port_to_list, ref_to_list], T <- [a, 1, "<0.1.0>", {}, self(), make_ref()]],
    [{erlang, unique_integer, [O]} || O <- [[foo], x, [positive | x], [monotonic, 1], ["positive"]]]
  ])
end)()`;

let cases: OracleCase[];

beforeAll(() => {
  cases = erlOutcomes(CASES);
});

describe('misc natives against erl', () => {
  it('has cases for every native', () => {
    const counts = countByFunction(cases);
    for (const k of ['string:list_to_integer/1', 'string:list_to_float/1', 'io:printable_range/0', 'erlang:fun_info/2',
      'erlang:fun_info_mfa/1', 'erlang:fun_to_list/1']) {
      expect(counts.get(k) ?? 0, k).toBeGreaterThan(0);
    }
  });

  it('gives erl’s result or exception for every call', () => {
    expect(mismatches(cases).slice(0, 30)).toEqual([]);
  });
});

// ---------------------------------------------------------------- funs of a loaded module

const MODULE = String.raw`
-module(beamjs_fun_info_probe).
-export([start/0, mk/1]).

mk(N) -> fun(A) -> {A, N} end.

start() ->
    Self = self(),
    X = length(atom_to_list(?MODULE)),
    Funs = [fun() -> ok end, fun(A) -> A + X end, fun(A, B) -> {A, B, X, Self} end, mk(X), mk([x, X]),
            fun start/0, fun ?MODULE:mk/1, fun lists:map/2],
    Items = [arity, env, index, new_index, uniq, new_uniq, module, pid, type, name],
    Anon = fun(P) when P =:= Self -> self; (T) -> T end,
    %% The module's MD5 is the loader's to get right (module_info(md5)); here: new_uniq is that MD5.
    Md5 = ?MODULE:module_info(md5),
    Fix = fun({pid, P}) -> {pid, Anon(P)};
             ({env, E}) -> {env, [Anon(V) || V <- E]};
             ({new_uniq, U}) when is_binary(U) -> {new_uniq, U =:= Md5};
             (T) -> T
          end,
    [begin
         Info = [Fix(erlang:fun_info(F, I)) || I <- Items],
         All = [Fix(T) || T <- erlang:fun_info(F)],
         io:format("~s~n", [binary:encode_hex(term_to_binary({Info, All, erlang:fun_info_mfa(F), erlang:fun_to_list(F)}))])
     end || F <- Funs],
    M1 = erlang:unique_integer([monotonic]), M2 = erlang:unique_integer([monotonic]),
    P1 = erlang:unique_integer([positive, monotonic]), P2 = erlang:unique_integer([monotonic, positive]),
    U = [erlang:unique_integer() || _ <- lists:seq(1, 50)] ++ [erlang:unique_integer([positive]) || _ <- lists:seq(1, 50)],
    io:format("~p~n", [{M1 < M2, M1 >= -(1 bsl 59), 0 < P1, P1 < P2, lists:all(fun is_integer/1, U), length(lists:usort(U)),
                        lists:all(fun(V) -> V > 0 end, lists:nthtail(50, U))}]),
    Now = [erlang:now() || _ <- lists:seq(1, 100)],
    {Mega, Sec, Micro} = os:timestamp(),
    NowSec = fun({A, B, C}) -> A * 1000000 + B + C / 1000000 end,
    io:format("~p~n", [{length(lists:usort(Now)), lists:sort(Now) =:= Now, abs(NowSec(hd(Now)) - NowSec({Mega, Sec, Micro})) < 2,
                        lists:all(fun({A, B, C}) -> A >= 0 andalso B >= 0 andalso B < 1000000 andalso C >= 0 andalso C < 1000000 end, Now)}]),
    ok.
`;

describe('natives in a compiled module, as erl', () => {
  it('fun_info gives the same info for local and external funs; unique_integer and now/0 the same properties', { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamjs-fun-info-'));
    writeFileSync(join(dir, 'beamjs_fun_info_probe.erl'), MODULE);
    execFileSync('erlc', ['-o', dir, join(dir, 'beamjs_fun_info_probe.erl')]);
    const want = erlEval(`code:add_patha("${dir}"), beamjs_fun_info_probe:start(), halt().`);
    const chunks: Uint8Array[] = [];
    const vm = new VM({ codePath: [dir], stdout: (b) => chunks.push(b.slice()) });
    const { status } = vm.runMain('beamjs_fun_info_probe', 'start', []);
    const got = Buffer.concat(chunks).toString('latin1');
    expect(want.trim().split('\n').length).toBe(10);
    expect(got.split('\n')).toEqual(want.split('\n'));
    expect(status).toBe(0);
  });
});
