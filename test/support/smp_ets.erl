%% ETS, counters and atomics from processes on several schedulers (issues 6
%% and 9): every process updates the same keys of one public table and the
%% same counter array; the totals must come out exact.
-module(smp_ets).
-export([main/1]).

main([ProcsS, RoundsS]) ->
    Procs = list_to_integer(ProcsS),
    Rounds = list_to_integer(RoundsS),
    T = ets:new(shared, [public, set, {write_concurrency, true}]),
    Keys = [a, b, c, d],
    [ets:insert(T, {K, 0}) || K <- Keys],
    C = counters:new(2, [write_concurrency]),
    A = atomics:new(1, []),
    Self = self(),
    Ps = [spawn(fun() -> worker(Self, T, C, A, Keys, I, Rounds) end) || I <- lists:seq(1, Procs)],
    [receive {done, P} -> ok end || P <- Ps],
    Counts = [{K, ets:lookup_element(T, K, 2)} || K <- Keys],
    Own = length(ets:match(T, {{own, '_', '_'}, '_'})),
    io:format("counters in the table: ~w~n", [Counts]),
    io:format("own rows: ~w (expected ~w)~n", [Own, Procs * Rounds]),
    io:format("counters: ~w ~w, atomics: ~w~n", [counters:get(C, 1), counters:get(C, 2), atomics:get(A, 1)]),
    io:format("expected each: ~w~n", [Procs * Rounds]).

worker(Parent, T, C, A, Keys, I, Rounds) ->
    lists:foreach(
      fun(R) ->
              [ets:update_counter(T, K, 1) || K <- Keys],
              ets:insert(T, {{own, I, R}, R}),
              counters:add(C, 1, 1),
              counters:sub(C, 2, 1),
              atomics:add(A, 1, 1)
      end, lists:seq(1, Rounds)),
    Parent ! {done, self()}.
