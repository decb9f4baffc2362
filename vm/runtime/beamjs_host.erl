%% The Erlang side of the embedding API (vm/api.ts): the processes that run
%% a host's calls and stand behind its mailboxes. Their natives are in
%% bifs/host.ts; they find the host through the process's VM.
-module(beamjs_host).
-export([call/3, mailbox/0, result/1, deliver/1]).

%% BeamVM.call: runs M:F(A) and hands the outcome to the host, a return as
%% {ok, Value}, an exception as {Class, Reason, Stacktrace}.
call(M, F, A) ->
    result(try {ok, apply(M, F, A)}
           catch Class:Reason:Stack -> {Class, Reason, Stack}
           end).

%% BeamVM.mailbox: every message this process receives goes to the host.
mailbox() ->
    receive
        Msg ->
            deliver(Msg),
            mailbox()
    end.

%% Natives (bifs/host.ts).
result(_Outcome) -> erlang:nif_error(undef).
deliver(_Msg) -> erlang:nif_error(undef).
