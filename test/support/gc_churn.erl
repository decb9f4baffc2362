%% Programs for test/gc/memory.test.ts: processes that build and drop a lot
%% of data; each prints its memory before and after, as
%% "<label> <erlang:memory(total) before> <after> <process_info memory before> <after> <result>".
-module(gc_churn).
-export([small_terms/0, binaries/0, long_lived/0, nothing/0]).

%% The baseline: a VM that ran this holds what any VM holds.
nothing() -> ok.

%% A million small terms (tuples and lists), each dropped at once.
small_terms() ->
    report(small_terms, fun() -> small(1000000, 0) end).

small(0, Acc) -> Acc;
small(N, Acc) ->
    T = {N, [N, N + 1], {a, N}},
    small(N - 1, (Acc + element(1, T) + length(element(2, T))) rem 1000003).

%% About 4 GB of binaries: 1 MiB made by a BIF and 1 MiB more by the bit
%% syntax, 2,000 times, each dropped at once.
binaries() ->
    report(binaries, fun() -> bins(2000, 1 bsl 20, 0) end).

bins(0, _, Acc) -> Acc;
bins(K, Size, Acc) ->
    B = binary:copy(<<(K band 255)>>, Size),
    C = <<B/binary, B/binary, K:32>>,
    bins(K - 1, Size, Acc + byte_size(C) rem 1000).

%% A live list of 200,000 elements kept while garbage is made: the old
%% generation holds it, and the end is checked against the start.
long_lived() ->
    Live = lists:seq(1, 200000),
    report(long_lived, fun() -> churn(300, Live) end).

churn(0, Live) -> lists:sum(Live);
churn(K, Live) ->
    _ = [{X, K} || X <- lists:seq(1, 3000)],
    churn(K - 1, Live).

report(Label, F) ->
    erlang:garbage_collect(),
    M0 = erlang:memory(total),
    P0 = element(2, process_info(self(), memory)),
    R = F(),
    erlang:garbage_collect(),
    M1 = erlang:memory(total),
    P1 = element(2, process_info(self(), memory)),
    io:format("~p ~p ~p ~p ~p ~p~n", [Label, M0, M1, P0, P1, R]).
