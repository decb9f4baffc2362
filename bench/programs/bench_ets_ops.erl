%% ETS: a set table with N keys (insert, lookup, update_counter, member,
%% delete) and an ordered_set walked with ets:first / ets:next.
-module(bench_ets_ops).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 12).

main(Args) ->
    N = arg_int(Args),
    Keys = [(K * 7919) rem 100003 || K <- lists:seq(1, N)],
    run_bench("ets_ops", fun() -> reps(?REPS, Keys, 0) end).

reps(0, _Keys, Sum) -> Sum;
reps(K, Keys, _Sum) -> reps(K - 1, Keys, once(Keys)).

once(Keys) ->
    Set = ets:new(bench_set, [set]),
    lists:foreach(fun(K) -> true = ets:insert(Set, {K, K * 3, [K]}) end, Keys),
    S1 = lists:foldl(fun(K, S) -> [{K, V, _}] = ets:lookup(Set, K), S + V end, 0, Keys),
    S2 = lists:foldl(fun(K, S) -> S + ets:update_counter(Set, K, {2, 1}) end, 0, Keys),
    lists:foreach(fun(K) when K rem 2 =:= 0 -> ets:delete(Set, K); (_) -> true end, Keys),
    S3 = length([K || K <- Keys, ets:member(Set, K)]),
    Size = ets:info(Set, size),
    true = ets:delete(Set),
    Ord = ets:new(bench_ordered, [ordered_set]),
    true = ets:insert(Ord, [{K, K} || K <- Keys]),
    S4 = walk(Ord, ets:first(Ord), 0),
    true = ets:delete(Ord),
    (S1 + S2 + S3 * 1000 + Size + S4) rem 1000000007.

walk(_Tab, '$end_of_table', Acc) -> Acc;
walk(Tab, K, Acc) -> walk(Tab, ets:next(Tab, K), (Acc * 31 + K) rem 1000000007).
