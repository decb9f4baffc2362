%% Reference for the disassembler test: for each .beam file named on the
%% command line (one per line in the file given as the first argument), print
%% "OK <sha256 hex> <path>" where the hash is of exactly the bytes the issue's
%% snippet prints for that file, or "ERROR <path>" when beam_disasm fails.
%% With "full" as the second argument, print the snippet's output itself.
%%
%% A literal map of more than 32 keys prints in the order of the VM's internal
%% hash, which for an atom depends on its index in this VM's atom table. For
%% each atom inside such a map, print "HASH <path> <hex of its name> <hash>"
%% (read after the render, in the same VM) so that the test can recover the
%% index and reproduce the order; and "ATOMCOUNT <n>" at the end.
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
    io:format("ATOMCOUNT ~w~n", [erlang:system_info(atom_count)]),
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
            ["OK ", Hash, " ", File, "\n" | atom_hashes(File)]
    catch
        _:_ -> ["ERROR ", File, "\n"]
    end.

render(File) ->
    {beam_file, _M, _Exports, _Attrs, _CompileInfo, Code} = beam_disasm:file(File),
    [[io_lib:format("~w.~n", [{function, Name, Arity, Entry}]),
      [io_lib:format("~w.~n", [I]) || I <- Is]]
     || {function, Name, Arity, Entry, Is} <- Code].

atom_hashes(File) ->
    {beam_file, _, _, _, _, Code} = beam_disasm:file(File),
    Atoms = lists:usort(big_map_atoms(Code, [])),
    case Atoms of
        [] -> [];
        _ ->
            erts_debug:set_internal_state(available_internal_state, true),
            [["HASH ", File, " ", binary:encode_hex(atom_to_binary(A, utf8)), " ",
              integer_to_list(erts_debug:get_internal_state({internal_hash, A})), "\n"]
             || A <- Atoms]
    end.

%% Atoms anywhere inside maps of more than 32 keys.
big_map_atoms(M, Acc) when is_map(M), map_size(M) > 32 -> all_atoms(maps:to_list(M), Acc);
big_map_atoms(M, Acc) when is_map(M) -> big_map_atoms(maps:to_list(M), Acc);
big_map_atoms([H | T], Acc) -> big_map_atoms(T, big_map_atoms(H, Acc));
big_map_atoms(T, Acc) when is_tuple(T) -> big_map_atoms(tuple_to_list(T), Acc);
big_map_atoms(_, Acc) -> Acc.

all_atoms(A, Acc) when is_atom(A) -> [A | Acc];
all_atoms(M, Acc) when is_map(M) -> all_atoms(maps:to_list(M), Acc);
all_atoms([H | T], Acc) -> all_atoms(T, all_atoms(H, Acc));
all_atoms(T, Acc) when is_tuple(T) -> all_atoms(tuple_to_list(T), Acc);
all_atoms(_, Acc) -> Acc.
