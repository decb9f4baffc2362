%% Binary splitting: a CSV-like text of N lines is split into lines with
%% binary:split/3, each line into fields by a hand-written bit-syntax
%% scanner, and fields are parsed with binary_to_integer/1 and compared.
-module(bench_binsplit).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 4).

main(Args) ->
    N = arg_int(Args),
    Text = iolist_to_binary([line(I) || I <- lists:seq(1, N)]),
    run_bench("binsplit", fun() -> reps(?REPS, Text, 0) end).

line(I) ->
    [integer_to_list(I), $,, integer_to_list(I * 7919 rem 100003), $,,
     lists:duplicate(I rem 7 + 1, $x), $,, integer_to_list(-I), $\n].

reps(0, _Text, Sum) -> Sum;
reps(K, Text, _) -> reps(K - 1, Text, once(Text)).

once(Text) ->
    Lines = binary:split(Text, <<"\n">>, [global, trim]),
    lists:foldl(fun(Line, Acc) ->
                        [A, B, C, D] = fields(Line, 0, Line, []),
                        V = binary_to_integer(A) + binary_to_integer(B) * 3
                            + byte_size(C) + binary_to_integer(D) * 2,
                        (Acc * 31 + V + cmp(C)) rem 1000000007
                end, 0, Lines).

%% Splits on commas by walking the binary, keeping sub-binaries of the original.
fields(Line, Start, <<$,, Rest/binary>>, Acc) ->
    Len = byte_size(Line) - byte_size(Rest) - 1 - Start,
    fields(Line, Start + Len + 1, Rest, [binary_part(Line, Start, Len) | Acc]);
fields(Line, Start, <<_, Rest/binary>>, Acc) ->
    fields(Line, Start, Rest, Acc);
fields(Line, Start, <<>>, Acc) ->
    lists:reverse([binary_part(Line, Start, byte_size(Line) - Start) | Acc]).

cmp(<<"xxxx", _/binary>>) -> 1;
cmp(_) -> 0.
