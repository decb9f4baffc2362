-module(smp_c).
-export([version/0, adder/0, show/0]).
version() -> {version, 2}.
adder() -> fun(X) -> {v2, X + 2} end.
show() -> erlang:display({version(), (adder())(1)}).
