%% lists:sort/1 on N pseudo-random integers, on the same as floats, on
%% {Key, Index} tuples (term comparison), and on an already sorted and a
%% reversed list (OTP's merge sort takes its fast paths there).
-module(bench_sort).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 3).

main(Args) ->
    N = arg_int(Args),
    Ints = lcg_list(N, 4242, []),
    Floats = [X / 7 || X <- Ints],
    Tuples = lists:zip([X rem 1000 || X <- Ints], lists:seq(1, N)),
    Sorted = lists:seq(1, N),
    Reversed = lists:reverse(Sorted),
    run_bench("sort", fun() -> reps(?REPS, {Ints, Floats, Tuples, Sorted, Reversed}, 0) end).

reps(0, _Inputs, Sum) -> Sum;
reps(K, Inputs, _) -> reps(K - 1, Inputs, once(Inputs)).

once({Ints, Floats, Tuples, Sorted, Reversed}) ->
    S1 = lists:sort(Ints),
    S2 = lists:sort(Floats),
    S3 = lists:sort(Tuples),
    S4 = lists:sort(Sorted),
    S5 = lists:sort(Reversed),
    hash_ints(every(100, S1, [])
              ++ [trunc(F * 1000) || F <- every(100, S2, [])]
              ++ [K * 1000003 + I || {K, I} <- every(100, S3, [])]
              ++ [lists:sum(S4), hd(S5), length(S5)]).

%% Every Kth element (the sorts are checked through a sample).
every(_K, [], Acc) -> lists:reverse(Acc);
every(K, [H | _] = L, Acc) -> every(K, safe_nthtail(K, L), [H | Acc]).

safe_nthtail(_, []) -> [];
safe_nthtail(0, L) -> L;
safe_nthtail(K, [_ | T]) -> safe_nthtail(K - 1, T).

lcg_list(0, _Seed, Acc) -> Acc;
lcg_list(N, Seed, Acc) ->
    Next = (Seed * 1103515245 + 12345) band 16#7fffffff,
    lcg_list(N - 1, Next, [Next rem 1000000 | Acc]).
