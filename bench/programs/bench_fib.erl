%% Naive doubly recursive Fibonacci: function calls, small-integer
%% arithmetic and comparisons, nothing else.
-module(bench_fib).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 36).

main(Args) ->
    N = arg_int(Args),
    run_bench("fib", fun() -> reps(?REPS, N, 0) end).

reps(0, _N, Acc) -> Acc;
reps(K, N, Acc) -> reps(K - 1, N, Acc + fib(N)).

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).
