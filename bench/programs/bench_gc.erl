%% Garbage collection (issue 7): a long-lived process with a large heap.
%%
%% A worker process builds a big live data set (a list of N small tuples
%% with a binary-free payload, and a map of N/10 keys) and keeps it while
%% it churns through short-lived garbage in ?STEPS steps; every few steps
%% it replaces a slice of the live data, so old data dies too. Figures:
%%
%%   churn_ms        the whole churn phase (also the RESULT time)
%%   max_step_ms     the longest single step: a pause anywhere in the
%%                   step (a collection of the big heap) shows up here;
%%                   measurable on every VM
%%   heap_words      total_heap_size of the worker at the end
%%   minor_gcs       process_info(garbage_collection) minor_gcs at the end
%%   long_gc_ms      the longest collection erlang:system_monitor reported
%%                   with {long_gc, 1} (only collections of 1 ms or more are
%%                   reported: 0 means none took that long); n/a where the
%%                   VM has no erlang:system_monitor/2
%%
%% Binary trees (bench_bintrees) is the allocation-heavy, short-lived side.
-module(bench_gc).
-export([main/1]).
-include("bench.hrl").

-define(STEPS, 200).

main(Args) ->
    N = arg_int(Args),
    Tries = [try_once(N) || _ <- lists:seq(1, iters())],
    Pick = fun(I) -> median([element(I, T) || T <- Tries]) end,
    metric("churn_ms", Pick(1) / 1000, "ms"),
    metric("max_step_ms", Pick(2) / 1000, "ms"),
    metric("heap_words", Pick(3), "words"),
    metric("minor_gcs", Pick(4), "collections"),
    metric("long_gc_ms", case [element(5, T) || T <- Tries] of
                             [na | _] -> na;
                             Gs -> median(Gs)
                         end, "ms"),
    Times = [element(1, T) || T <- Tries],
    Sums = lists:usort([element(6, T) || T <- Tries]),
    case Sums of
        [Sum] -> io:format("RESULT gc ~w ~w ~w~n", [median(Times), Sum, lists:min(Times)]);
        _ -> erlang:error({checksum_differs_between_iterations, Sums})
    end.

try_once(N) ->
    Self = self(),
    Worker = spawn(fun() -> receive go -> Self ! {self(), worker(N)} end end),
    Monitor = start_system_monitor(Worker),
    Worker ! go,
    R = receive {Worker, Res} -> Res end,
    {Us, MaxStepUs, Heap, Minors, Sum} = R,
    {Us, MaxStepUs, Heap, Minors, stop_system_monitor(Monitor), Sum}.

worker(N) ->
    Live = [{I, I * I, [I, I + 1]} || I <- lists:seq(1, N)],
    Map = maps:from_list([{I, {I}} || I <- lists:seq(1, N div 10)]),
    T0 = erlang:monotonic_time(microsecond),
    {Live1, Map1, MaxStep} = steps(?STEPS, Live, Map, 0),
    T1 = erlang:monotonic_time(microsecond),
    [{total_heap_size, Heap}, {garbage_collection, GcInfo}] =
        process_info(self(), [total_heap_size, garbage_collection]),
    Minors = proplists:get_value(minor_gcs, GcInfo, -1),
    Sum = lists:foldl(fun({I, Sq, [A, B]}, Acc) -> (Acc + I + Sq rem 1000 + A + B) rem 1000000007 end,
                      0, Live1) + maps:size(Map1),
    {T1 - T0, MaxStep, Heap, Minors, Sum}.

steps(0, Live, Map, MaxStep) -> {Live, Map, MaxStep};
steps(K, Live, Map, MaxStep) ->
    T0 = erlang:monotonic_time(microsecond),
    %% Short-lived garbage: a list of 2,000 tuples, summed and dropped.
    Garbage = [{X, X + K} || X <- lists:seq(1, 2000)],
    G = lists:foldl(fun({A, B}, S) -> S + A + B end, 0, Garbage),
    %% Every tenth step, rebuild a slice of the live data (old data dies).
    {Live1, Map1} = case K rem 10 of
                        0 -> {replace_slice(Live, K), maps:put(K, {G}, Map)};
                        _ -> {Live, Map}
                    end,
    T1 = erlang:monotonic_time(microsecond),
    steps(K - 1, Live1, Map1, max(MaxStep, T1 - T0)).

replace_slice([{I, _, _} | Rest], K) ->
    {Front, Back} = lists:split(min(1000, length(Rest)), Rest),
    [{I, I * I, [I + K, I + 1 - K]} | [{J, Sq, [A, B]} || {J, Sq, [A, B]} <- Front]] ++ Back.

start_system_monitor(Worker) ->
    Collector = spawn(fun() -> collect_long_gc(Worker, 0) end),
    try erlang:system_monitor(Collector, [{long_gc, 1}]) of
        _ -> {Collector, ok}
    catch
        error:_ -> {Collector, na}
    end.

stop_system_monitor({Collector, na}) ->
    Collector ! {stop, self()},
    receive {long_gc, _} -> na end;
stop_system_monitor({Collector, ok}) ->
    erlang:system_monitor(undefined),
    Collector ! {stop, self()},
    receive {long_gc, Max} -> Max end.

collect_long_gc(Worker, Max) ->
    receive
        {monitor, Worker, long_gc, Info} ->
            collect_long_gc(Worker, max(Max, proplists:get_value(timeout, Info, 0)));
        {monitor, _, _, _} ->
            collect_long_gc(Worker, Max);
        {stop, From} ->
            From ! {long_gc, Max}
    end.
