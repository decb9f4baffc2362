%% Token ring: ?PROCS processes in a ring pass an integer token N hops;
%% each hop decrements it, and the process that sees 0 reports its number.
%% Pure message passing between already running processes.
-module(bench_ring).
-export([main/1]).
-include("bench.hrl").

-define(PROCS, 100).

main(Args) ->
    Hops = arg_int(Args),
    metric("schedulers_online", erlang:system_info(schedulers_online), ""),
    run_bench("ring", fun() -> once(Hops) end).

once(Hops) ->
    Self = self(),
    Pids = [spawn(fun() -> receive {next, Next} -> loop(I, Next, Self) end end)
            || I <- lists:seq(1, ?PROCS)],
    [First | Rest] = Pids,
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end,
                  lists:zip(Pids, Rest ++ [First])),
    First ! Hops,
    Winner = receive {done, W} -> W end,
    [P ! stop || P <- Pids],
    Winner * 1000003 + Hops.

loop(I, Next, Parent) ->
    receive
        0 -> Parent ! {done, I}, loop(I, Next, Parent);
        T when is_integer(T) -> Next ! T - 1, loop(I, Next, Parent);
        stop -> ok
    end.
