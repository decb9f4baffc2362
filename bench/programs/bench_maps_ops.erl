%% Maps with N integer keys (large, hashed maps): maps:put of new keys,
%% maps:get / find / is_key lookups, updates of existing keys, removal of
%% half of the keys, and a fold.
-module(bench_maps_ops).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 12).

main(Args) ->
    N = arg_int(Args),
    Keys = scrambled_keys(N),
    run_bench("maps_ops", fun() -> reps(?REPS, Keys, 0) end).

reps(0, _Keys, Sum) -> Sum;
reps(K, Keys, _Sum) -> reps(K - 1, Keys, once(Keys)).

once(Keys) ->
    M1 = lists:foldl(fun(K, M) -> maps:put(K, K * 2, M) end, #{}, Keys),
    S1 = lists:foldl(fun(K, S) -> S + maps:get(K, M1) end, 0, Keys),
    M2 = lists:foldl(fun(K, M) -> maps:put(K, maps:get(K, M) + 1, M) end, M1, Keys),
    S2 = lists:foldl(fun(K, S) ->
                             {ok, V} = maps:find(K, M2),
                             S + V + maps:get(-K, M2, 0)
                     end, 0, Keys),
    M3 = lists:foldl(fun(K, M) when K rem 2 =:= 0 -> maps:remove(K, M);
                        (_K, M) -> M
                     end, M2, Keys),
    S3 = length([K || K <- Keys, maps:is_key(K, M3)]),
    S4 = maps:fold(fun(K, V, S) -> (S + K * V) rem 1000000007 end, 0, M3),
    (S1 + S2 + S3 * 1000 + S4 + map_size(M3)) rem 1000000007.

%% The keys 1..N visited in a fixed scrambled order.
scrambled_keys(N) ->
    [K || {_, K} <- lists:sort([{(K * 7919) rem 10007, K} || K <- lists:seq(1, N)])].
