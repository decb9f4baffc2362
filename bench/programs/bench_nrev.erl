%% Naive reverse: quadratic list reversal with a hand-written append;
%% measures cons-cell allocation, list matching and body recursion (and the
%% garbage collector that has to clean up after it).
-module(bench_nrev).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 140).

main(Args) ->
    N = arg_int(Args),
    List = lists:seq(1, N),
    run_bench("nrev", fun() -> reps(?REPS, List, []) end).

reps(0, _List, Last) -> hash_ints(Last);
reps(K, List, _Last) -> reps(K - 1, List, nrev(List)).

nrev([]) -> [];
nrev([H | T]) -> app(nrev(T), [H]).

app([], L) -> L;
app([H | T], L) -> [H | app(T, L)].
