%% 200 processes that each make an explicit alias, set a long timer to
%% themselves, register a name and then end: nothing of theirs may stay in
%% the shared registries (registries_exit.test.ts looks).
-module(registries_exit).
-export([start/0]).

start() ->
    Main = self(),
    Pids = [spawn(fun() -> worker(Main, N) end) || N <- lists:seq(1, 200)],
    Refs = [monitor(process, P) || P <- Pids],
    [P ! go || P <- Pids],
    [receive {'DOWN', R, process, _, normal} -> ok end || R <- Refs],
    io:format("~p~n", [[N || N <- registered(), lists:prefix("reg_exit_", atom_to_list(N))]]).

worker(Main, N) ->
    _ = alias(),
    _ = erlang:send_after(60000, self(), late),
    _ = erlang:start_timer(60000, self(), late),
    true = register(list_to_atom("reg_exit_" ++ integer_to_list(N)), self()),
    receive go -> ok end,
    _ = Main.
