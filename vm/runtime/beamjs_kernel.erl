%% Direct start-up of the kernel application (docs/architecture.md, "Direct
%% start-up"). The real boot runs the boot script's kernel processes
%% (logger_server, application_controller) from init, then
%% application:start_boot(kernel) and (stdlib), whose kernel:start/2 sets up
%% logger and starts kernel_sup. This module does the same with OTP's own
%% modules, leaving out only the servers that direct mode replaces with
%% natives (init, erl_prim_loader, code_server: bifs/direct_mode.ts) or does
%% not have (file_server_2, distribution, inet_db, global, rex): so
%% logger_server, application_controller, the application masters, kernel_sup,
%% kernel_safe_sup (where timer's server is started on demand) and logger_sup
%% (with the default handler, logger_std_h on standard_io) are OTP's code.
%%
%% start/0 runs in the VM's start-up process, which then stays alive, as init
%% does, holding the links of the kernel processes it started.
-module(beamjs_kernel).
-behaviour(supervisor).
-export([start/0, start/2, stop/1, init/1]).
-export([app_file/1, started/0]).

start() ->
    process_flag(trap_exit, true),
    {ok, _} = logger_server:start_link(),
    {ok, _} = application_controller:start(app_spec(kernel)),
    ok = application:load(app_spec(stdlib)),
    ok = application:start_boot(kernel, permanent),
    ok = application:start_boot(stdlib, permanent),
    started(),
    loop().

%% Like init: exit signals of what it started and stray messages are ignored.
loop() ->
    receive _ -> loop() end.

%% The application resource file Name.app from the code path, as the boot
%% script embeds it; the kernel's callback module is this one.
app_spec(Name) ->
    {ok, Bin} = app_file(Name),
    {ok, Tokens, _} = erl_scan:string(binary_to_list(Bin)),
    {ok, {application, Name, Props}} = erl_parse:parse_term(Tokens),
    case Name of
        kernel -> {application, kernel, lists:keystore(mod, 1, Props, {mod, {?MODULE, []}})};
        _ -> {application, Name, Props}
    end.

%% The application callback of kernel: kernel:start/2 minus the signal
%% handler (no OS signals are delivered to direct mode).
start(normal, []) ->
    ok = logger:internal_init_logger(),
    case supervisor:start_link({local, kernel_sup}, ?MODULE, kernel_sup) of
        {ok, Pid} ->
            ok = logger:add_handlers(kernel),
            {ok, Pid, []};
        Error ->
            Error
    end.

stop(_State) -> ok.

%% kernel_sup with the children that direct mode runs as Erlang processes,
%% with the real child specs and supervisor flags.
init(kernel_sup) ->
    Flags = #{strategy => one_for_all, intensity => 0, period => 1},
    Children = [#{id => logger_sup, start => {logger_sup, start_link, []},
                  restart => permanent, shutdown => infinity, type => supervisor,
                  modules => [logger_sup]},
                #{id => kernel_safe_sup,
                  start => {supervisor, start_link, [{local, kernel_safe_sup}, ?MODULE, safe]},
                  restart => permanent, shutdown => infinity, type => supervisor,
                  modules => [kernel]}],
    {ok, {Flags, Children}};
init(safe) ->
    {ok, {#{strategy => one_for_one, intensity => 4, period => 3600}, []}}.

%% Natives (bifs/beamjs_kernel.ts).
app_file(_Name) -> erlang:nif_error(undef).
started() -> erlang:nif_error(undef).
