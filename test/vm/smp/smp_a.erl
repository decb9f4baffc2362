%% Code loaded by one VM context and run by others (smp.test.ts): funs,
%% try/catch, binary construction, a hot loop (JIT), an undefined function.
-module(smp_a).
-export([main/0, loop/2, id/1, late/0]).

main() ->
    Adder = fun(X) -> X + 10 end,
    K = id(7),
    Mul = fun(X) -> X * K end,
    erlang:display(lists:map(Adder, [1, 2, 3])),
    erlang:display([Mul(N) || N <- [1, 2, 3]]),
    erlang:display(erlang:fun_info(Mul, name)),
    erlang:display(loop(100000, 0)),
    erlang:display(try smp_missing:nope(1) catch error:R:St -> {R, hd(St)} end),
    erlang:display(try throw(ball) catch throw:B -> {thrown, B} end),
    erlang:display(case catch 1 = id(2) of {'EXIT', {Why, _}} -> {exit, Why} end),
    erlang:display(try id(1) + id(a) catch error:badarith -> badarith after erlang:display(after_ran) end),
    Bin = id(<<"tail">>),
    erlang:display(<<1:3, 5:5, "xyz", (id(300)):16, Bin/binary, (id(1.5)):64/float>>),
    erlang:display(<< <<(C + 1)>> || <<C>> <= <<"HAL">> >>),
    Parent = self(),
    Pid = spawn(fun() -> Parent ! {self(), Mul(6)} end),
    erlang:display(receive {Pid, V} -> {from_child, V} end),
    done.

loop(0, Acc) -> Acc;
loop(N, Acc) -> loop(N - 1, Acc + N rem 7).

id(X) -> X.

%% Calls smp_late:hello/0 until some context has loaded it.
late() ->
    try smp_late:hello() catch error:undef -> late() end.
