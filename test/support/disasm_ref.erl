%% Reference for the disassembler test: for each .beam file named on the
%% command line (one per line in the file given as the first argument), print
%% "OK <sha256 hex> <path>" where the hash is of exactly the bytes the issue's
%% snippet prints for that file, or "ERROR <path>" when beam_disasm fails.
%% With "full" as the second argument, print the snippet's output itself.
-module(disasm_ref).
-export([main/1]).

main([ListFile]) ->
    {ok, Bin} = file:read_file(ListFile),
    Files = [binary_to_list(F) || F <- binary:split(Bin, <<"\n">>, [global, trim_all])],
    Self = self(),
    %% Two workers: the machine has two cores and the list is long.
    Chunks = split(Files, 2),
    Pids = [spawn_link(fun() -> Self ! {self(), [one(F) || F <- C]} end) || C <- Chunks],
    Lines = lists:append([receive {P, L} -> L end || P <- Pids]),
    io:put_chars(Lines),
    halt(0);
main([File, "full"]) ->
    io:put_chars(render(File)),
    halt(0).

split(L, N) ->
    Len = (length(L) + N - 1) div N,
    split_n(L, Len).
split_n([], _) -> [];
split_n(L, Len) when length(L) =< Len -> [L];
split_n(L, Len) -> {A, B} = lists:split(Len, L), [A | split_n(B, Len)].

one(File) ->
    try render(File) of
        Out ->
            Hash = binary:encode_hex(crypto:hash(sha256, iolist_to_binary(Out))),
            ["OK ", Hash, " ", File, "\n"]
    catch
        _:_ -> ["ERROR ", File, "\n"]
    end.

render(File) ->
    {beam_file, _M, _Exports, _Attrs, _CompileInfo, Code} = beam_disasm:file(File),
    [[io_lib:format("~w.~n", [{function, Name, Arity, Entry}]),
      [io_lib:format("~w.~n", [I]) || I <- Is]]
     || {function, Name, Arity, Entry, Is} <- Code].
