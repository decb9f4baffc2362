%% A key-value store as a gen_server: the Erlang side of examples/http-kv.
%% The Node program (server.mjs) starts it and turns HTTP requests into calls.
-module(kv_server).
-behaviour(gen_server).
-export([start/0, put/2, get/1, stats/0]).
-export([init/1, handle_call/3, handle_cast/2]).

start() ->
    {ok, Pid} = gen_server:start({local, ?MODULE}, ?MODULE, #{}, []),
    Pid.

put(Key, Value) -> gen_server:call(?MODULE, {put, Key, Value}).
get(Key) -> gen_server:call(?MODULE, {get, Key}).
stats() -> gen_server:call(?MODULE, stats).

init(Map) -> {ok, {Map, 0}}.

handle_call({put, K, V}, _From, {Map, N}) ->
    {reply, ok, {Map#{K => V}, N + 1}};
handle_call({get, K}, _From, {Map, N} = State) ->
    Reply = case Map of
                #{K := V} -> {ok, V};
                #{} -> not_found
            end,
    {reply, Reply, {element(1, State), N + 1}};
handle_call(stats, _From, {Map, N}) ->
    %% The JS side registered js:now/0: Erlang calls back into Node.
    {reply, #{keys => maps:size(Map), requests => N, time => js:now()}, {Map, N + 1}}.

handle_cast(_Msg, State) -> {noreply, State}.
