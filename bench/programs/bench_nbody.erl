%% N-body: five planets (the Sun and the four gas giants, in solar masses,
%% AU and AU/day scaled to years) advanced STEPS times with a symplectic
%% Euler step; the checksum is the exact bits of the final energy. Floats
%% in tuples: float arithmetic, float boxing, tuple allocation.
-module(bench_nbody).
-export([main/1]).
-include("bench.hrl").

-define(PI, 3.141592653589793).
-define(SOLAR_MASS, (4 * ?PI * ?PI)).
-define(DAYS, 365.24).
-define(DT, 0.01).

main(Args) ->
    Steps = arg_int(Args),
    run_bench("nbody", fun() -> once(Steps) end).

once(Steps) ->
    Bodies = offset_momentum(bodies()),
    E0 = energy(Bodies),
    Final = advance(Steps, Bodies),
    E1 = energy(Final),
    (float_bits(E0) bxor float_bits(E1)) rem 1000000007 + float_bits(E1) rem 1000000007.

%% {X, Y, Z, Vx, Vy, Vz, Mass}
bodies() ->
    Planet = fun(X, Y, Z, Vx, Vy, Vz, M) ->
                     {X, Y, Z, Vx * ?DAYS, Vy * ?DAYS, Vz * ?DAYS, M * ?SOLAR_MASS}
             end,
    [{0.0, 0.0, 0.0, 0.0, 0.0, 0.0, ?SOLAR_MASS},
     Planet(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
            1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
            9.54791938424326609e-04),
     Planet(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
            -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
            2.85885980666130812e-04),
     Planet(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
            2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
            4.36624404335156298e-05),
     Planet(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
            2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
            5.15138902046611451e-05)].

offset_momentum([{X, Y, Z, _, _, _, M} | Rest] = All) ->
    {Px, Py, Pz} = lists:foldl(fun({_, _, _, Vx, Vy, Vz, Mi}, {Ax, Ay, Az}) ->
                                       {Ax + Vx * Mi, Ay + Vy * Mi, Az + Vz * Mi}
                               end, {0.0, 0.0, 0.0}, All),
    [{X, Y, Z, -Px / ?SOLAR_MASS, -Py / ?SOLAR_MASS, -Pz / ?SOLAR_MASS, M} | Rest].

energy(Bodies) -> energy(Bodies, 0.0).

energy([], E) -> E;
energy([{X, Y, Z, Vx, Vy, Vz, M} | Rest], E) ->
    Kinetic = 0.5 * M * (Vx * Vx + Vy * Vy + Vz * Vz),
    Potential = lists:foldl(fun({X2, Y2, Z2, _, _, _, M2}, P) ->
                                    Dx = X - X2, Dy = Y - Y2, Dz = Z - Z2,
                                    P + M * M2 / math:sqrt(Dx * Dx + Dy * Dy + Dz * Dz)
                            end, 0.0, Rest),
    energy(Rest, E + Kinetic - Potential).

advance(0, Bodies) -> Bodies;
advance(N, Bodies) ->
    Moved = [{X + ?DT * Vx, Y + ?DT * Vy, Z + ?DT * Vz, Vx, Vy, Vz, M}
             || {X, Y, Z, Vx, Vy, Vz, M} <- velocities(Bodies, [])],
    advance(N - 1, Moved).

%% Updates every pair's velocities once: the first body against the rest,
%% then the rest among themselves.
velocities([], Done) -> lists:reverse(Done);
velocities([B | Rest], Done) ->
    {B1, Rest1} = pull(B, Rest, []),
    velocities(Rest1, [B1 | Done]).

pull(B, [], Acc) -> {B, lists:reverse(Acc)};
pull({X, Y, Z, Vx, Vy, Vz, M}, [{X2, Y2, Z2, Vx2, Vy2, Vz2, M2} | Rest], Acc) ->
    Dx = X - X2, Dy = Y - Y2, Dz = Z - Z2,
    D2 = Dx * Dx + Dy * Dy + Dz * Dz,
    Mag = ?DT / (D2 * math:sqrt(D2)),
    Ma = M2 * Mag, Mb = M * Mag,
    pull({X, Y, Z, Vx - Dx * Ma, Vy - Dy * Ma, Vz - Dz * Ma, M},
         Rest,
         [{X2, Y2, Z2, Vx2 + Dx * Mb, Vy2 + Dy * Mb, Vz2 + Dz * Mb, M2} | Acc]).
