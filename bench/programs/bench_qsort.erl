%% Quicksort on lists with list comprehensions and ++, over N pseudo-random
%% integers (a fixed linear congruential generator, so both VMs sort the same
%% input).
-module(bench_qsort).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 15).

main(Args) ->
    N = arg_int(Args),
    Input = lcg_list(N, 12345, []),
    run_bench("qsort", fun() -> reps(?REPS, Input, []) end).

reps(0, _Input, Last) -> hash_ints(Last);
reps(K, Input, _Last) -> reps(K - 1, Input, qsort(Input)).

qsort([]) -> [];
qsort([Pivot | T]) ->
    qsort([X || X <- T, X < Pivot]) ++ [Pivot | qsort([X || X <- T, X >= Pivot])].

lcg_list(0, _Seed, Acc) -> Acc;
lcg_list(N, Seed, Acc) ->
    Next = (Seed * 1103515245 + 12345) band 16#7fffffff,
    lcg_list(N - 1, Next, [Next rem 1000000 | Acc]).
