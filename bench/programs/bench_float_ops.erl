%% Float arithmetic: the Mandelbrot set on an N x N grid (float +, -, *
%% and comparisons in a tight loop), plus a loop of float division and
%% math:sqrt. Only correctly rounded operations, so both VMs compute the
%% same bits.
-module(bench_float_ops).
-export([main/1]).
-include("bench.hrl").

-define(REPS, 2).
-define(MAX_ITER, 50).

main(Args) ->
    N = arg_int(Args),
    run_bench("float_ops", fun() -> reps(?REPS, N, 0) end).

reps(0, _N, Sum) -> Sum;
reps(K, N, _Sum) -> reps(K - 1, N, once(N)).

once(N) ->
    Iters = rows(0, N, 0),
    Roots = roots(1, N * N, 0.0),
    Iters + trunc(Roots * 1000).

rows(Y, N, Acc) when Y >= N -> Acc;
rows(Y, N, Acc) ->
    Ci = Y * 2.0 / N - 1.0,
    rows(Y + 1, N, cols(0, N, Ci, Acc)).

cols(X, N, _Ci, Acc) when X >= N -> Acc;
cols(X, N, Ci, Acc) ->
    Cr = X * 3.0 / N - 2.0,
    cols(X + 1, N, Ci, Acc + escape(0.0, 0.0, Cr, Ci, 0)).

escape(_Zr, _Zi, _Cr, _Ci, ?MAX_ITER) -> ?MAX_ITER;
escape(Zr, Zi, Cr, Ci, I) ->
    Zr2 = Zr * Zr,
    Zi2 = Zi * Zi,
    if
        Zr2 + Zi2 > 4.0 -> I;
        true -> escape(Zr2 - Zi2 + Cr, 2.0 * Zr * Zi + Ci, Cr, Ci, I + 1)
    end.

roots(I, Max, Acc) when I > Max -> Acc;
roots(I, Max, Acc) -> roots(I + 1, Max, Acc + math:sqrt(I) / (I + 0.5)).
