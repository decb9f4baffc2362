%% Two-process parallel CPU load: two independent processes each compute
%% naive fib(N) REPS times; the parent waits for both. With two schedulers
%% (and two free cores) this takes about half the time of one.
-module(bench_parallel).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 6).
-define(WORKERS, 2).

main(Args) ->
    N = arg_int(Args),
    metric("schedulers_online", erlang:system_info(schedulers_online), ""),
    run_bench("parallel", fun() -> once(N) end).

once(N) ->
    Self = self(),
    Pids = [spawn(fun() -> Self ! {self(), work(?REPS, N, W)} end)
            || W <- lists:seq(1, ?WORKERS)],
    hash_ints([receive {P, R} -> R end || P <- Pids]).

%% Worker W returns its own sum, so the checksum sees both.
work(0, _N, Acc) -> Acc;
work(K, N, Acc) -> work(K - 1, N, Acc + fib(N)).

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).
