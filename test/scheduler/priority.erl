%% A normal and a low priority process that never wait, for half a second:
%% how many loop turns each got. The real VM gives the low one about one
%% turn in eight (RESCHEDULE_LOW).
-module(priority).
-export([start/0]).

start() ->
    T = ets:new(t, [public, set]),
    Spin = fun(Name, Prio) -> spawn(fun() -> process_flag(priority, Prio), loop(T, Name) end) end,
    Ps = [Spin(normal, normal), Spin(low, low)],
    process_flag(priority, high),
    timer:sleep(500),
    [exit(P, kill) || P <- Ps],
    [{low, L}, {normal, N}] = lists:sort(ets:tab2list(T)),
    io:format("~p~n", [N / L]).

loop(T, Name) ->
    ets:update_counter(T, Name, 1, {Name, 0}),
    loop(T, Name).
