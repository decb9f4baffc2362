%% SMP stress (issue 6): run with several schedulers, output compared with erl's.
%% Senders on every scheduler send numbered messages to every receiver; each
%% receiver checks that each sender's messages come in order, none missing or
%% doubled. Then waves of linked and monitored processes die while their
%% partners run elsewhere: each 'EXIT' and 'DOWN' must arrive exactly once.
-module(smp_stress).
-export([main/1]).

main([SendersS, ReceiversS, CountS]) ->
    Senders = list_to_integer(SendersS),
    Receivers = list_to_integer(ReceiversS),
    Count = list_to_integer(CountS),
    Self = self(),
    Rs = [spawn(fun() -> receiver(Self, Senders, Count) end) || _ <- lists:seq(1, Receivers)],
    Ss = [spawn(fun() -> sender(Self, I, Rs, Count) end) || I <- lists:seq(1, Senders)],
    [receive {sent, S} -> ok end || S <- Ss],
    Results = [receive {received, R, Res} -> Res end || R <- Rs],
    Bad = [Res || Res <- Results, Res =/= ok],
    io:format("messages: ~w senders x ~w receivers x ~w = ~w, bad receivers: ~w~n",
              [Senders, Receivers, Count, Senders * Receivers * Count, Bad]),
    links_and_monitors(200, 10),
    io:format("done~n").

sender(Parent, I, Rs, Count) ->
    send_all(I, Rs, 1, Count),
    Parent ! {sent, self()}.

send_all(_, _, N, Count) when N > Count -> ok;
send_all(I, Rs, N, Count) ->
    [R ! {msg, I, N} || R <- Rs],
    %% now and then give other processes a turn mid-stream
    case N rem 97 of 0 -> erlang:yield(); _ -> ok end,
    send_all(I, Rs, N + 1, Count).

receiver(Parent, Senders, Count) ->
    Next = maps:from_list([{I, 1} || I <- lists:seq(1, Senders)]),
    Parent ! {received, self(), recv(Next, Senders * Count)}.

recv(_, 0) -> ok;
recv(Next, Left) ->
    receive
        {msg, I, N} ->
            case maps:get(I, Next) of
                N -> recv(Next#{I := N + 1}, Left - 1);
                Expected -> {out_of_order, I, N, Expected}
            end
    after 20000 -> {missing, Left}
    end.

%% Rounds of Pairs pairs: a trapping watcher links to and monitors a victim,
%% the victim dies with a reason; the watcher must see one 'EXIT' and one
%% 'DOWN' with that reason, and no second one.
links_and_monitors(Pairs, Rounds) ->
    Self = self(),
    Counts = [begin
                  Ws = [spawn(fun() -> watcher(Self, K) end) || K <- lists:seq(1, Pairs)],
                  [receive {seen, W, Seen} -> Seen end || W <- Ws]
              end || _ <- lists:seq(1, Rounds)],
    All = lists:append(Counts),
    Good = length([ok || {1, 1} <- All]),
    io:format("links and monitors: ~w pairs, ~w saw exactly one 'EXIT' and one 'DOWN'~n",
              [length(All), Good]).

watcher(Parent, K) ->
    process_flag(trap_exit, true),
    Me = self(),
    Victim = spawn(fun() -> receive go -> ok end, spin(K rem 50), exit({bye, Me}) end),
    link(Victim),
    Ref = monitor(process, Victim),
    Victim ! go,
    Exits = count_exit(Victim, Me, 0),
    Downs = count_down(Ref, Victim, Me, 0),
    Parent ! {seen, self(), {Exits, Downs}}.

count_exit(V, Me, N) ->
    T = wait_for(N),
    receive {'EXIT', V, {bye, Me}} -> count_exit(V, Me, N + 1)
    after T -> N
    end.

count_down(Ref, V, Me, N) ->
    T = wait_for(N),
    receive {'DOWN', Ref, process, V, {bye, Me}} -> count_down(Ref, V, Me, N + 1)
    after T -> N
    end.

%% The first one may take a while under load; a second one would come at once.
wait_for(0) -> 20000;
wait_for(_) -> 20.

spin(0) -> ok;
spin(N) -> _ = lists:seq(1, 100), spin(N - 1).
