%% Fannkuch-redux: every permutation of 1..N (enumerated by rotating
%% prefixes), and for each the number of prefix reversals ("pancake flips")
%% until 1 comes first. Checksum: the alternating sum of flip counts and the
%% maximum. Lists, lists:reverse/2, lists:split/2, small integers.
-module(bench_fannkuch).
-export([main/1]).
-include("bench.hrl").

main(Args) ->
    N = arg_int(Args),
    run_bench("fannkuch", fun() -> once(N) end).

once(N) ->
    {_Index, Sum, Max} = perms(lists:seq(1, N), N, {0, 0, 0}),
    Sum * 1000 + Max.

%% Visits the permutations of the first K elements of Perm: for each of K
%% rotations of that prefix, recurse on the first K - 1.
perms(Perm, 1, {Index, Sum, Max}) ->
    F = flips(Perm, 0),
    Signed = case Index band 1 of 0 -> F; 1 -> -F end,
    {Index + 1, Sum + Signed, max(Max, F)};
perms(Perm, K, Acc) -> rotations(Perm, K, K, Acc).

rotations(_Perm, _K, 0, Acc) -> Acc;
rotations(Perm, K, Left, Acc) ->
    Acc1 = perms(Perm, K - 1, Acc),
    rotations(rotate(Perm, K), K, Left - 1, Acc1).

rotate([First | Rest], K) ->
    {Front, Back} = lists:split(K - 1, Rest),
    Front ++ [First | Back].

flips([1 | _], F) -> F;
flips([H | _] = Perm, F) ->
    {Front, Back} = lists:split(H, Perm),
    flips(lists:reverse(Front, Back), F + 1).
