%% Ping-pong: two processes send a message back and forth N times (each
%% message a small tuple). Message send, receive and process switching.
-module(bench_pingpong).
-export([main/1]).
-include("bench.hrl").

main(Args) ->
    N = arg_int(Args),
    metric("schedulers_online", erlang:system_info(schedulers_online), ""),
    run_bench("pingpong", fun() -> once(N) end).

once(N) ->
    Self = self(),
    Pong = spawn(fun() -> pong(0) end),
    Ping = spawn(fun() -> ping(N, Pong, Self) end),
    Sum = receive {Ping, S} -> S end,
    Pong ! stop,
    Sum.

ping(0, _Pong, Parent) -> Parent ! {self(), 0};
ping(N, Pong, Parent) -> ping(N, Pong, Parent, 0).

ping(0, _Pong, Parent, Acc) -> Parent ! {self(), Acc};
ping(N, Pong, Parent, Acc) ->
    Pong ! {ping, self(), N},
    receive {pong, V} -> ping(N - 1, Pong, Parent, (Acc + V) rem 1000000007) end.

pong(Count) ->
    receive
        {ping, From, N} -> From ! {pong, N * 3 + Count}, pong(Count + 1);
        stop -> ok
    end.
