-module(smp_c).
-export([version/0, adder/0, show/0]).
version() -> {version, 1}.
adder() -> fun(X) -> {v1, X + 1} end.
show() -> erlang:display({version(), (adder())(1)}).
