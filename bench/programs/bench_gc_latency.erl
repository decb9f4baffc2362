%% Garbage collection pauses seen by other processes (issue 7): one process
%% builds a large heap (N small tuples in a list, ~100 MB on the real VM for
%% N = 3,000,000) and then collects it fully five times, while two other
%% processes exchange messages and time each round trip. Figures:
%%
%%   heap_mb        total_heap_size of the big process, in MB (words times
%%                  the VM's word size)
%%   gc_max_ms      the longest of the five erlang:garbage_collect() calls
%%   rt_p50_us, rt_p99_us, rt_max_us
%%                  round trips between the two other processes during the
%%                  whole run (target: p99 under 1 ms)
%%   roundtrips     how many round trips were made meanwhile
-module(bench_gc_latency).
-export([main/1]).
-include("bench.hrl").

main(Args) ->
    N = arg_int(Args),
    Self = self(),
    Pong = spawn(fun pong/0),
    Ping = spawn(fun() -> ping(Pong, []) end),
    Big = spawn(fun() -> big(N, Self) end),
    {HeapWords, GcMaxUs, Sum} = receive {Big, R} -> R end,
    Ping ! {stop, Self},
    Lat = receive {latencies, L} -> lists:sort(L) end,
    Pong ! stop,
    Count = length(Lat),
    Pct = fun(P) -> lists:nth(max(1, min(Count, round(Count * P))), Lat) end,
    metric("heap_mb", HeapWords * erlang:system_info(wordsize) / 1048576, "MB"),
    metric("gc_max_ms", GcMaxUs / 1000, "ms"),
    metric("rt_p50_us", Pct(0.5), "us"),
    metric("rt_p99_us", Pct(0.99), "us"),
    metric("rt_max_us", lists:last(Lat), "us"),
    metric("roundtrips", Count, "round trips"),
    io:format("RESULT gc_latency ~w ~w ~w~n", [GcMaxUs, Sum, GcMaxUs]).

big(N, Parent) ->
    Live = [{I} || I <- lists:seq(1, N)],
    Times = [gc_once() || _ <- lists:seq(1, 5)],
    {total_heap_size, Words} = process_info(self(), total_heap_size),
    Sum = lists:foldl(fun({I}, A) -> (A + I) rem 1000000007 end, 0, Live),
    Parent ! {self(), {Words, lists:max(Times), Sum}}.

gc_once() ->
    receive after 20 -> ok end,
    T0 = erlang:monotonic_time(microsecond),
    true = erlang:garbage_collect(),
    erlang:monotonic_time(microsecond) - T0.

ping(Pong, Acc) ->
    receive
        {stop, From} -> From ! {latencies, Acc}
    after 0 ->
        T0 = erlang:monotonic_time(microsecond),
        Pong ! {self(), ping},
        receive pong -> ok end,
        ping(Pong, [erlang:monotonic_time(microsecond) - T0 | Acc])
    end.

pong() ->
    receive
        {From, ping} -> From ! pong, pong();
        stop -> ok
    end.
