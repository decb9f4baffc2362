%% Shared by every benchmark module (included, so each .beam stands alone).
%%
%% main/1 gets erl -run's argument list: [N] or [N, Iters]. arg_int/1 reads
%% N and remembers Iters (default ?ITERS; the smoke test passes 1).
%%
%% run_bench(Name, Work) calls Work() Iters times, timing each call with
%% erlang:monotonic_time(microsecond), and prints exactly one line:
%%
%%     RESULT <Name> <median microseconds> <checksum> <min microseconds>
%%
%% Work() returns the checksum: a deterministic integer computed from the
%% workload's results, the same on every VM. Every iteration must return the
%% same checksum, otherwise the run fails (nondeterminism is a bug too).
%%
%% Programs that measure more than one thing also print lines
%%
%%     METRIC <key> <value> <unit>
%%
%% (value a number or n/a) with metric/3; the runner shows them beside erl's.

-define(ITERS, 5).
-compile({nowarn_unused_function,
          [hash_ints/1, hash_ints/2, arg_int/1, iters/0, run_bench/2, time_once/1,
           metric/3, median/1, time_us/1, float_bits/1]}).

run_bench(Name, Work) ->
    Runs = [time_once(Work) || _ <- lists:seq(1, iters())],
    {Times, Sums} = lists:unzip(Runs),
    [Sum | _] = Sums,
    case lists:all(fun(S) -> S =:= Sum end, Sums) of
        true -> ok;
        false -> erlang:error({checksum_differs_between_iterations, Sums})
    end,
    io:format("RESULT ~s ~w ~w ~w~n", [Name, median(Times), Sum, lists:min(Times)]).

time_once(Work) ->
    T0 = erlang:monotonic_time(microsecond),
    Sum = Work(),
    T1 = erlang:monotonic_time(microsecond),
    {T1 - T0, Sum}.

%% {Microseconds, Result} of one call of Fun.
time_us(Fun) -> time_once(Fun).

%% The median of a list of numbers (the lower one of the two middle ones).
median(L) -> lists:nth((length(L) + 1) div 2, lists:sort(L)).

metric(Key, Value, Unit) when is_float(Value) ->
    io:format("METRIC ~s ~s ~s~n", [Key, float_to_list(Value, [{decimals, 3}]), Unit]);
metric(Key, na, Unit) ->
    io:format("METRIC ~s n/a ~s~n", [Key, Unit]);
metric(Key, Value, Unit) ->
    io:format("METRIC ~s ~w ~s~n", [Key, Value, Unit]).

%% A polynomial hash of a list of integers, so checksums cover every element
%% and its position rather than just a sum.
hash_ints(List) -> hash_ints(List, 17).

hash_ints([], H) -> H;
hash_ints([X | T], H) -> hash_ints(T, (H * 31 + X) rem 1000000007).

%% The exact bits of a float as an integer: a checksum that only matches if
%% both VMs computed the very same double.
float_bits(F) when is_float(F) -> <<B:64>> = <<F/float>>, B.

arg_int([NStr | Rest]) ->
    case Rest of
        [I | _] -> put('$bench_iters', list_to_integer(I));
        [] -> ok
    end,
    list_to_integer(NStr).

iters() ->
    case get('$bench_iters') of
        undefined -> ?ITERS;
        I -> I
    end.
