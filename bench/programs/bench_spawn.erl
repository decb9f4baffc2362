%% Mass spawn: spawn N processes that each send one message to the parent
%% and exit; the parent collects every reply. Process creation, first
%% scheduling and teardown.
-module(bench_spawn).
-export([main/1]).
-include("bench.hrl").

main(Args) ->
    N = arg_int(Args),
    run_bench("spawn", fun() -> once(N) end).

once(N) ->
    Self = self(),
    spawn_all(N, Self),
    collect(N, 0).

spawn_all(0, _Parent) -> ok;
spawn_all(K, Parent) ->
    spawn(fun() -> Parent ! {hi, K * K rem 1000} end),
    spawn_all(K - 1, Parent).

collect(0, Sum) -> Sum;
collect(K, Sum) -> receive {hi, X} -> collect(K - 1, Sum + X) end.
