%% Takeuchi's function: deep non-tail recursion with three arguments,
%% small-integer comparisons and decrements.
-module(bench_tak).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 6).

%% N gives tak(N, 2N/3, N/3), so N = 24 is tak(24, 16, 8).
main(Args) ->
    N = arg_int(Args),
    X = N, Y = N * 2 div 3, Z = N div 3,
    run_bench("tak", fun() -> reps(?REPS, X, Y, Z, 0) end).

reps(0, _X, _Y, _Z, Acc) -> Acc;
reps(K, X, Y, Z, Acc) -> reps(K - 1, X, Y, Z, Acc + tak(X, Y, Z)).

tak(X, Y, Z) when Y < X ->
    tak(tak(X - 1, Y, Z), tak(Y - 1, Z, X), tak(Z - 1, X, Y));
tak(_X, _Y, Z) ->
    Z.
