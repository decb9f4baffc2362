%% Mandelbrot with bit syntax: an N x N bitmap of the set (50 iterations,
%% escape at |z| > 2), one bit per pixel appended to a bitstring, each row
%% padded to whole bytes as in a PBM file. Checksum: a hash of the bytes.
-module(bench_mandelbrot).
-export([main/1]).
-include("bench.hrl").

-define(MAX_ITER, 50).

main(Args) ->
    N = arg_int(Args),
    run_bench("mandelbrot", fun() -> once(N) end).

once(N) ->
    Bitmap = rows(0, N, <<>>),
    hash_ints([byte_size(Bitmap) | binary_to_list(Bitmap)]).

rows(Y, N, Acc) when Y >= N -> Acc;
rows(Y, N, Acc) ->
    Ci = 2.0 * Y / N - 1.0,
    Row = cols(0, N, Ci, <<>>),
    Pad = (8 - bit_size(Row) rem 8) rem 8,
    rows(Y + 1, N, <<Acc/binary, Row/bitstring, 0:Pad>>).

cols(X, N, _Ci, Acc) when X >= N -> Acc;
cols(X, N, Ci, Acc) ->
    Cr = 2.0 * X / N - 1.5,
    Bit = inside(?MAX_ITER, 0.0, 0.0, Cr, Ci),
    cols(X + 1, N, Ci, <<Acc/bitstring, Bit:1>>).

inside(0, _Zr, _Zi, _Cr, _Ci) -> 1;
inside(K, Zr, Zi, Cr, Ci) ->
    Zr2 = Zr * Zr, Zi2 = Zi * Zi,
    if
        Zr2 + Zi2 > 4.0 -> 0;
        true -> inside(K - 1, Zr2 - Zi2 + Cr, 2.0 * Zr * Zi + Ci, Cr, Ci)
    end.
