%% Loaded by one context while a process of another is calling it (smp.test.ts).
-module(smp_late).
-export([hello/0]).
hello() -> erlang:display({hello, from_late}).
