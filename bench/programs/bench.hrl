%% Shared by every benchmark module (included, so each .beam stands alone).
%%
%% run_bench(Name, Work) calls Work() ?ITERS times, timing each call with
%% erlang:monotonic_time(microsecond), and prints exactly one line:
%%
%%     RESULT <Name> <median microseconds> <checksum>
%%
%% Work() returns the checksum: a deterministic integer computed from the
%% workload's results, the same on every VM. Every iteration must return the
%% same checksum, otherwise the run fails (nondeterminism is a bug too).

-define(ITERS, 5).
-compile({nowarn_unused_function, [hash_ints/1, hash_ints/2]}).

run_bench(Name, Work) ->
    Runs = [time_once(Work) || _ <- lists:seq(1, ?ITERS)],
    {Times, Sums} = lists:unzip(Runs),
    [Sum | _] = Sums,
    case lists:all(fun(S) -> S =:= Sum end, Sums) of
        true -> ok;
        false -> erlang:error({checksum_differs_between_iterations, Sums})
    end,
    Median = lists:nth((?ITERS + 1) div 2, lists:sort(Times)),
    io:format("RESULT ~s ~w ~w~n", [Name, Median, Sum]).

time_once(Work) ->
    T0 = erlang:monotonic_time(microsecond),
    Sum = Work(),
    T1 = erlang:monotonic_time(microsecond),
    {T1 - T0, Sum}.

%% A polynomial hash of a list of integers, so checksums cover every element
%% and its position rather than just a sum.
hash_ints(List) -> hash_ints(List, 17).

hash_ints([], H) -> H;
hash_ints([X | T], H) -> hash_ints(T, (H * 31 + X) rem 1000000007).

arg_int([NStr | _]) -> list_to_integer(NStr).
