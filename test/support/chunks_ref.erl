%% Reference for the chunk parser test: for each .beam file listed (one per
%% line in the file given), print "<sha256 hex> <path>" of the ~w text of
%% {Atoms, Imports, Exports, Locals, Attributes, CompileInfo} as beam_lib
%% reads them, or "ERROR <path>".
-module(chunks_ref).
-export([main/1]).

main([ListFile]) ->
    {ok, Bin} = file:read_file(ListFile),
    Files = [binary_to_list(F) || F <- binary:split(Bin, <<"\n">>, [global, trim_all])],
    io:put_chars([one(F) || F <- Files]),
    halt(0).

one(File) ->
    try
        {ok, {_, [{atoms, Atoms}, {indexed_imports, Imports}, {labeled_exports, Exports},
                  {labeled_locals, Locals}]}} =
            beam_lib:chunks(File, [atoms, indexed_imports, labeled_exports, labeled_locals]),
        Attrs = optional(File, "Attr"),
        CInf = optional(File, "CInf"),
        Text = io_lib:format("~w", [{Atoms, Imports, Exports, Locals, Attrs, CInf}]),
        [binary:encode_hex(crypto:hash(sha256, iolist_to_binary(Text))), " ", File, "\n"]
    catch
        _:_ -> ["ERROR ", File, "\n"]
    end.

optional(File, Id) ->
    case beam_lib:chunks(File, [Id]) of
        {ok, {_, [{_, B}]}} -> binary_to_term(B);
        {error, beam_lib, {missing_chunk, _, _}} -> none
    end.
