%% Strings as lists: io_lib:format of integers, floats and strings, then
%% string:tokens / string:join / string:to_upper / lists:flatten,
%% and parsing back with list_to_integer / list_to_float.
-module(bench_string_ops).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 5).

main(Args) ->
    N = arg_int(Args),
    run_bench("string_ops", fun() -> reps(?REPS, N, 0) end).

reps(0, _N, Sum) -> Sum;
reps(K, N, _Sum) -> reps(K - 1, N, once(1, N, 0)).

once(I, N, Acc) when I > N -> Acc;
once(I, N, Acc) ->
    Line = lists:flatten(io_lib:format("~w,~.3f,~s,~8.16.0B,~p",
                                       [I, I / 7, "item", I * I, {I, [I]}])),
    [IntS, FloatS, Word, Hex | _] = string:tokens(Line, ","),
    Joined = string:join(lists:reverse([IntS, FloatS, Word, Hex]), ";"),
    Upper = string:to_upper(Joined),
    Num = list_to_integer(IntS) + list_to_integer(string:strip(Hex), 16)
        + trunc(list_to_float(FloatS) * 1000),
    Chars = hash_ints(Upper) + length(integer_to_list(I * 7919)),
    once(I + 1, N, (Acc + Num + Chars + length(Line)) rem 1000000007).
