%% A normal and a low priority process that never wait: how many loop turns
%% the low one got while the normal one made 400,000. The real VM gives the
%% low one about one turn in eight (RESCHEDULE_LOW). Counting to a number of
%% turns rather than for a time keeps the result independent of the load.
-module(priority).
-export([start/0]).

start() ->
    T = ets:new(t, [public, set]),
    Self = self(),
    process_flag(priority, high),
    Spin = fun(Name, Prio) -> spawn(fun() -> process_flag(priority, Prio), loop(T, Name, Self) end) end,
    Ps = [Spin(normal, normal), Spin(low, low)],
    receive done -> ok end,
    [exit(P, kill) || P <- Ps],
    [{low, L}, {normal, N}] = lists:sort(ets:tab2list(T)),
    io:format("~p~n", [N / L]).

loop(T, Name, Parent) ->
    case ets:update_counter(T, Name, 1, {Name, 0}) of
        400000 when Name =:= normal -> Parent ! done;
        _ -> ok
    end,
    loop(T, Name, Parent).
