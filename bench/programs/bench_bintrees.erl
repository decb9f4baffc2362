%% Binary trees: allocation and garbage collection. Builds a long-lived
%% tree of depth N, then many short-lived trees of depths 4, 6, ... N
%% (more of the shallow ones), and walks each to count its nodes.
-module(bench_bintrees).
-export([main/1]).
-include("bench.hrl").

-define(MIN_DEPTH, 4).

main(Args) ->
    N = max(arg_int(Args), ?MIN_DEPTH + 2),
    run_bench("bintrees", fun() -> once(N) end).

once(Max) ->
    Stretch = check(make(Max + 1)),
    LongLived = make(Max),
    Sums = [depth_sum(D, 1 bsl (Max - D + ?MIN_DEPTH)) || D <- lists:seq(?MIN_DEPTH, Max, 2)],
    hash_ints([Stretch, check(LongLived) | Sums]).

depth_sum(D, Count) -> depth_sum(D, Count, 0).

depth_sum(_D, 0, Acc) -> Acc;
depth_sum(D, K, Acc) -> depth_sum(D, K - 1, Acc + check(make(D))).

make(0) -> {nil, nil};
make(D) -> {make(D - 1), make(D - 1)}.

check({nil, nil}) -> 1;
check({L, R}) -> 1 + check(L) + check(R).
