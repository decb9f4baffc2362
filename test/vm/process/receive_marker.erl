-module(receive_marker).
-export([start/0]).
start() ->
  Server = spawn(fun server/0),
  [self() ! {junk, I} || I <- lists:seq(1, 10000)],
  Replies = [call(Server, I) || I <- lists:seq(1, 1000)],
  io:format("~p ~p~n", [lists:sum(Replies), length(junk())]).
call(Pid, Req) -> Ref = make_ref(), Pid ! {self(), Ref, Req}, receive {Ref, Reply} -> Reply end.
server() -> receive {From, Ref, N} -> From ! {Ref, N * 2}, server() end.
junk() -> receive {junk, _} = J -> [J | junk()] after 0 -> [] end.
