%% Start-up: prints hello, world and returns. The runner times the whole
%% OS process (VM start, loading, the print, exit) from the shell; the
%% in-program time is only a formality.
-module(bench_hello).
-export([main/1]).
-include("bench.hrl").

main(Args) ->
    _ = arg_int(Args),
    io:format("hello, world~n"),
    run_bench("hello", fun() -> 42 end).
