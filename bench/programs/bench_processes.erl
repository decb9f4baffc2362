%% Processes (issue 5): three figures, each the median of ?ITERS tries.
%%
%%   spawn_us        time to spawn one process that waits in receive
%%                   (N of them spawned in a row; the clean-up is not timed)
%%   idle_bytes      memory of one idle process: the sum of
%%                   process_info(P, memory) over the N waiting processes / N
%%   vm_idle_bytes   erlang:memory(processes) grown by spawning them / N,
%%                   where the VM has erlang:memory/1 (n/a otherwise)
%%   roundtrip_us    one message round trip between two processes
%%                   (ping-pong of a small tuple, ?TRIPS times)
%%
%% The RESULT time is the median time of one whole try.
-module(bench_processes).
-export([main/1]).
-include("bench.hrl").

-define(TRIPS, 20000).

main(Args) ->
    N = arg_int(Args),
    Tries = [time_us(fun() -> try_once(N) end) || _ <- lists:seq(1, iters())],
    Figures = [F || {_, {_, F}} <- Tries],
    Pick = fun(I) -> median([element(I, F) || F <- Figures]) end,
    metric("spawn_us", Pick(1), "us/process"),
    metric("idle_bytes", Pick(2), "bytes/process"),
    metric("vm_idle_bytes", case [element(3, F) || F <- Figures] of
                                [na | _] -> na;
                                Vs -> median(Vs)
                            end, "bytes/process"),
    metric("roundtrip_us", Pick(4), "us"),
    Times = [T || {T, _} <- Tries],
    %% The checksum is what both VMs must agree on: counts, not times.
    Sums = lists:usort([S || {_, {S, _}} <- Tries]),
    case Sums of
        [Sum] -> io:format("RESULT processes ~w ~w ~w~n", [median(Times), Sum, lists:min(Times)]);
        _ -> erlang:error({checksum_differs_between_iterations, Sums})
    end.

try_once(N) ->
    Mem0 = vm_process_memory(),
    T0 = erlang:monotonic_time(nanosecond),
    Pids = spawn_waiting(N, []),
    T1 = erlang:monotonic_time(nanosecond),
    Mem1 = vm_process_memory(),
    Bytes = lists:foldl(fun(P, Acc) -> {memory, M} = process_info(P, memory), Acc + M end, 0, Pids),
    Alive = length([P || P <- Pids, is_process_alive(P)]),
    %% Clean up before the round trips: every process told to go, and each
    %% end seen (in any order; a receive by reference would be quadratic).
    [erlang:monitor(process, P) || P <- Pids],
    [P ! go_away || P <- Pids],
    wait_down(N),
    {RtNs, Pongs} = roundtrips(?TRIPS),
    SpawnUs = (T1 - T0) / 1000 / N,
    VmBytes = case {Mem0, Mem1} of
                  {na, _} -> na;
                  {_, na} -> na;
                  _ -> (Mem1 - Mem0) div N
              end,
    {Alive * 7 + Pongs, {SpawnUs, Bytes div N, VmBytes, RtNs / 1000 / ?TRIPS}}.

wait_down(0) -> ok;
wait_down(K) -> receive {'DOWN', _, process, _, normal} -> wait_down(K - 1) end.

spawn_waiting(0, Acc) -> Acc;
spawn_waiting(K, Acc) ->
    spawn_waiting(K - 1, [spawn(fun() -> receive go_away -> ok end end) | Acc]).

vm_process_memory() ->
    try erlang:memory(processes) catch error:_ -> na end.

roundtrips(Trips) ->
    Echo = spawn(fun echo/0),
    T0 = erlang:monotonic_time(nanosecond),
    Count = ping(Trips, Echo, 0),
    T1 = erlang:monotonic_time(nanosecond),
    Echo ! stop,
    {T1 - T0, Count}.

ping(0, _Echo, Count) -> Count;
ping(K, Echo, Count) ->
    Echo ! {self(), K},
    receive {K, pong} -> ping(K - 1, Echo, Count + 1) end.

echo() ->
    receive
        {From, K} -> From ! {K, pong}, echo();
        stop -> ok
    end.
