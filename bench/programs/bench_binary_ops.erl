%% Bit syntax: build binaries of N bytes by appending, by binary
%% comprehension and with odd-sized bit fields, then take them apart again
%% by matching (byte by byte, fixed records, 5-bit fields).
-module(bench_binary_ops).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 700).

main(Args) ->
    N = arg_int(Args),
    run_bench("binary_ops", fun() -> reps(?REPS, N, 0) end).

reps(0, _N, Sum) -> Sum;
reps(K, N, _Sum) -> reps(K - 1, N, once(N)).

once(N) ->
    %% 1. Append byte by byte (the compiler's in-place append path).
    Bytes = append_bytes(0, N, <<>>),
    S1 = sum_bytes(Bytes, 0),
    %% 2. Fixed 7-byte records: 16-bit big, 32-bit little, 3+5 bits.
    Records = << <<I:16/big, (I * 40503):32/little, (I band 7):3, (I band 31):5>>
                 || I <- lists:seq(1, N div 7) >>,
    S2 = sum_records(Records, 0),
    %% 3. A bitstring of 5-bit fields (not a whole number of bytes).
    Bits = << <<(X band 31):5>> || <<X:8>> <= Bytes >>,
    S3 = sum_fives(Bits, 0),
    %% 4. Split and compare: sub-binaries and binary equality.
    Half = byte_size(Bytes) div 2,
    <<Front:Half/binary, Back/binary>> = Bytes,
    S4 = case Front =:= Back of true -> 1; false -> 0 end,
    (S1 + S2 * 3 + S3 * 7 + S4 + byte_size(Records) + bit_size(Bits)) rem 1000000007.

append_bytes(N, N, Acc) -> Acc;
append_bytes(I, N, Acc) -> append_bytes(I + 1, N, <<Acc/binary, ((I * 7) band 255):8>>).

sum_bytes(<<B:8, Rest/binary>>, Acc) -> sum_bytes(Rest, Acc + B);
sum_bytes(<<>>, Acc) -> Acc.

sum_records(<<A:16/big, B:32/little, C:3, D:5, Rest/binary>>, Acc) ->
    sum_records(Rest, (Acc + A + B + C * D) rem 1000000007);
sum_records(<<>>, Acc) -> Acc.

sum_fives(<<F:5, Rest/bitstring>>, Acc) -> sum_fives(Rest, Acc + F);
sum_fives(<<>>, Acc) -> Acc.
