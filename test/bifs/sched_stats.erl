%% What statistics/1 and system_info/1 say about the schedulers, printed so
%% that a run on beamjs and one on erl +S 1 (one scheduler, as beamjs has until
%% worker threads run the VM) give the same text: exact values where they are
%% determined (queue lengths with busy processes), shapes where they are not.
-module(sched_stats).
-export([start/0]).

start() ->
    [io:format("~p: ~p~n", [I, erlang:system_info(I)])
     || I <- [schedulers, schedulers_online, smp_support, threads, thread_pool_size]],
    io:format("logical_processors: ~p~n", [erlang:system_info(logical_processors) >= 1]),
    io:format("logical_processors_available: ~p~n", [is_integer(erlang:system_info(logical_processors_available))]),
    %% Measured first and printed afterwards, so that the I/O server is not among the runnable processes.
    timer:sleep(20),
    Idle = queues(),
    %% Three processes that never wait, one of them low priority: all queued behind this one.
    Busy = [spawn(fun spin/0), spawn(fun spin/0), spawn(fun() -> process_flag(priority, low), spin() end)],
    erlang:yield(),
    Running = queues(),
    [exit(P, kill) || P <- Busy],
    timer:sleep(20),
    Killed = queues(),
    [io:format("~s~n~s", [When, [io_lib:format("  ~p: ~p~n", [I, V]) || {I, V} <- Vs]])
     || {When, Vs} <- [{"idle", Idle}, {"busy", Running}, {"killed", Killed}]],
    {R1, _} = statistics(reductions),
    lists:foldl(fun(X, A) -> X + A end, 0, lists:seq(1, 10000)),
    {R2, Since} = statistics(reductions),
    io:format("reductions: ~p ~p~n", [R2 > R1, Since >= 0 andalso Since =< R2]),
    {reductions, Own} = process_info(self(), reductions),
    io:format("own reductions: ~p~n", [Own > 10000 andalso Own =< R2]),
    {E1, E2} = statistics(exact_reductions),
    io:format("exact_reductions: ~p~n", [is_integer(E1) andalso is_integer(E2)]),
    {W1, W2} = statistics(wall_clock),
    {T1, T2} = statistics(runtime),
    io:format("wall_clock, runtime: ~p~n", [lists:all(fun is_integer/1, [W1, W2, T1, T2])]),
    wall_time(),
    [io:format("~p: ~p~n", [I, try statistics(I) catch C:R -> {C, R} end]) || I <- [run_queue_length, {run_queue}, "run_queue"]],
    io:format("flag: ~p~n", [try erlang:system_flag(scheduler_wall_time, maybe) catch C:R -> {C, R} end]).

queues() ->
    [{I, statistics(I)}
     || I <- [run_queue, run_queue_lengths, run_queue_lengths_all, total_run_queue_lengths,
              total_run_queue_lengths_all, active_tasks, active_tasks_all, total_active_tasks,
              total_active_tasks_all]].

spin() -> spin().

wall_time() ->
    io:format("scheduler_wall_time off: ~p~n", [statistics(scheduler_wall_time)]),
    io:format("enable: ~p~n", [erlang:system_flag(scheduler_wall_time, true)]),
    io:format("enable again: ~p~n", [erlang:system_flag(scheduler_wall_time, true)]),
    lists:foldl(fun(X, A) -> X + A end, 0, lists:seq(1, 100000)),
    Dirty = erlang:system_info(dirty_cpu_schedulers),
    DirtyIo = erlang:system_info(dirty_io_schedulers),
    N = erlang:system_info(schedulers),
    L = statistics(scheduler_wall_time),
    All = statistics(scheduler_wall_time_all),
    io:format("ids: ~p ~p~n", [lists:sort([Id || {Id, _, _} <- L]) =:= lists:seq(1, N + Dirty),
                                lists:sort([Id || {Id, _, _} <- All]) =:= lists:seq(1, N + Dirty + DirtyIo)]),
    {1, A1, T1} = lists:keyfind(1, 1, L),
    io:format("scheduler 1 active: ~p~n", [A1 > 0 andalso A1 =< T1]),
    io:format("disable: ~p~n", [erlang:system_flag(scheduler_wall_time, false)]),
    io:format("still on: ~p~n", [is_list(statistics(scheduler_wall_time))]),
    io:format("disable: ~p~n", [erlang:system_flag(scheduler_wall_time, false)]),
    io:format("off: ~p~n", [statistics(scheduler_wall_time)]),
    io:format("disable when off: ~p~n", [erlang:system_flag(scheduler_wall_time, false)]),
    Self = self(),
    P = spawn(fun() -> erlang:system_flag(scheduler_wall_time, true), Self ! on, receive stop -> ok end end),
    receive on -> ok end,
    io:format("on by another: ~p~n", [is_list(statistics(scheduler_wall_time))]),
    Ref = monitor(process, P),
    P ! stop,
    receive {'DOWN', Ref, _, _, _} -> ok end,
    io:format("off when it exits: ~p~n", [statistics(scheduler_wall_time)]).
