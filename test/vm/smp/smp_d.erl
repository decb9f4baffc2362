%% Deletes smp_c, which another context loaded (smp.test.ts).
-module(smp_d).
-export([delete/0, after_delete/0]).

delete() ->
    erlang:display([erlang:check_old_code(smp_c), erlang:delete_module(smp_c), erlang:check_old_code(smp_c),
                    erlang:module_loaded(smp_c), erlang:function_exported(smp_c, version, 0),
                    try erlang:delete_module(smp_c) catch error:R -> R end,
                    erlang:delete_module(smp_nomod)]).

%% A call after the delete loads the module again when it is on the code path (undef otherwise).
after_delete() ->
    erlang:display(try smp_c:version() catch error:R -> R end).
