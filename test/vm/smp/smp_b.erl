%% Loaded by the second VM context; then used by the first (smp.test.ts).
-module(smp_b).
-export([main/0]).

main() ->
    F = fun(X, Y) -> {X, Y, smp_a:id(X * Y)} end,
    erlang:display(F(6, 7)),
    erlang:display(try binary_to_atom(<<1, 2>>, smp_a:id(bad)) catch error:E -> {caught, E} end),
    erlang:display(<<"b:", (integer_to_binary(42))/binary>>),
    done.
