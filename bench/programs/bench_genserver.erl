%% gen_server:call round trips: a counter server (this module is its
%% callback module) answers N calls; OTP's own gen_server, gen and proc_lib
%% code on both VMs.
-module(bench_genserver).
-behaviour(gen_server).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).
-include("bench.hrl").

main(Args) ->
    N = arg_int(Args),
    run_bench("genserver", fun() -> once(N) end).

once(N) ->
    {ok, Server} = gen_server:start(?MODULE, 7, []),
    Sum = calls(N, Server, 0),
    {Count, _} = gen_server:call(Server, get),
    %% Stopped by a call rather than gen_server:stop/1, which goes through
    %% proc_lib:stop and so measures more than call round trips.
    stopped = gen_server:call(Server, stop),
    Sum * 31 + Count.

calls(0, _Server, Acc) -> Acc;
calls(K, Server, Acc) ->
    {ok, V} = gen_server:call(Server, {add, K}),
    calls(K - 1, Server, (Acc + V) rem 1000000007).

init(Start) -> {ok, {0, Start}}.

handle_call({add, K}, _From, {Count, Total}) ->
    New = (Total + K) rem 1000003,
    {reply, {ok, New}, {Count + 1, New}};
handle_call(get, _From, State) ->
    {reply, State, State};
handle_call(stop, _From, State) ->
    {stop, normal, stopped, State}.

handle_cast(_Msg, State) -> {noreply, State}.
