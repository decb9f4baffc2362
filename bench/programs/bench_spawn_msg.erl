%% Processes and messages: spawn a ring of N processes, pass a token
%% (carrying a small list, so every hop copies a term) LAPS times around
%% the ring, then stop the ring and wait for every process to finish.
-module(bench_spawn_msg).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 5).
-define(LAPS, 20).

main(Args) ->
    N = arg_int(Args),
    run_bench("spawn_msg", fun() -> reps(?REPS, N, 0) end).

reps(0, _N, Sum) -> Sum;
reps(K, N, _Sum) -> reps(K - 1, N, ring(N)).

ring(N) ->
    Self = self(),
    First = lists:foldl(fun(_, Next) -> spawn(fun() -> node_loop(Next) end) end,
                        Self, lists:seq(1, N)),
    Payload = lists:seq(1, 10),
    Final = laps(?LAPS, First, {token, 0, Payload}),
    First ! stop,
    receive stop -> ok end,
    Final.

laps(0, _First, {token, V, Payload}) -> V + lists:sum(Payload);
laps(L, First, Token) ->
    First ! Token,
    receive {token, _, _} = Back -> laps(L - 1, First, Back) end.

node_loop(Next) ->
    receive
        {token, V, [H | T]} ->
            Next ! {token, V + 1, T ++ [H]},
            node_loop(Next);
        stop ->
            Next ! stop
    end.
