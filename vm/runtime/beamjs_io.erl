%% The group leader of direct start-up: an I/O server for standard input and
%% output that speaks the Erlang I/O protocol, over two native functions
%% (bifs/beamjs_io.ts): write/3 puts UTF-8 text on a file descriptor in the
%% device's encoding, read_line/0 takes a line of standard input. Like the real VM under -noshell, the
%% device's encoding is latin1 unless set otherwise: characters above 255
%% are written as \x{HEX}.
-module(beamjs_io).
-export([start/0, start/1, write/3, read_line/0]).

-record(state, {fd = 1, encoding = latin1, binary = false, buffer = <<>>}).

start() -> start(1).

start(Fd) -> loop(#state{fd = Fd}).

loop(S) ->
    receive
        {io_request, From, ReplyAs, Request} ->
            {Reply, S1} = request(Request, S),
            From ! {io_reply, ReplyAs, Reply},
            loop(S1);
        _Other ->
            loop(S)
    end.

request({put_chars, Enc, Chars}, S) -> put_chars(Chars, Enc, S);
request({put_chars, Enc, M, F, A}, S) ->
    try apply(M, F, A) of
        Chars -> put_chars(Chars, Enc, S)
    catch
        _:_ -> {{error, F}, S}
    end;
request({put_chars, Chars}, S) -> put_chars(Chars, latin1, S);
request({put_chars, M, F, A}, S) -> request({put_chars, latin1, M, F, A}, S);
request({requests, Requests}, S) -> requests(Requests, {ok, S});
request({get_line, Enc, Prompt}, S) -> prompt(Prompt, S), get_line(Enc, S);
request({get_line, Prompt}, S) -> prompt(Prompt, S), get_line(latin1, S);
request({get_chars, Enc, Prompt, N}, S) -> prompt(Prompt, S), get_chars(N, Enc, S);
request({get_chars, Prompt, N}, S) -> prompt(Prompt, S), get_chars(N, latin1, S);
request({get_until, Enc, Prompt, M, F, As}, S) -> prompt(Prompt, S), get_until(Enc, M, F, As, S);
request({get_until, Prompt, M, F, As}, S) -> prompt(Prompt, S), get_until(latin1, M, F, As, S);
request({setopts, Opts}, S) -> setopts(Opts, S);
request(getopts, S) -> {[{binary, S#state.binary}, {encoding, S#state.encoding}], S};
request({get_geometry, _}, S) -> {{error, enotsup}, S};
request(_, S) -> {{error, request}, S}.

requests([], Acc) -> Acc;
requests([R | Rs], {ok, S}) -> requests(Rs, request(R, S));
requests(_, Acc) -> Acc.

put_chars(Chars, Enc, S) ->
    case unicode:characters_to_binary(Chars, Enc, unicode) of
        Bin when is_binary(Bin) ->
            write(S#state.fd, Bin, S#state.encoding),
            {ok, S};
        _ ->
            {{error, put_chars}, S}
    end.

%% The prompt of an input request, written as erl writes it under -noshell.
prompt(Prompt, S) when is_atom(Prompt) -> prompt(atom_to_list(Prompt), S);
prompt({format, Format, Args}, S) -> prompt(io_lib:format(Format, Args), S);
prompt(Prompt, S) ->
    case unicode:characters_to_binary(Prompt, unicode, unicode) of
        <<>> -> ok;
        Bin when is_binary(Bin) -> write(S#state.fd, Bin, S#state.encoding);
        _ -> ok
    end.

%% Input: the buffer holds bytes read but not yet consumed.
next_line(S = #state{buffer = Buf}) ->
    case binary:match(Buf, <<"\n">>) of
        {Pos, 1} ->
            {Line, Rest} = split_binary(Buf, Pos + 1),
            {Line, S#state{buffer = Rest}};
        nomatch ->
            case read_line() of
                eof when Buf =:= <<>> -> {eof, S};
                eof -> {Buf, S#state{buffer = <<>>}};
                More -> next_line(S#state{buffer = list_to_binary([Buf, More])})
            end
    end.

to_chars(Bytes, #state{encoding = DevEnc, binary = Binary}, Enc) ->
    Chars = unicode:characters_to_list(Bytes, DevEnc),
    case Binary of
        true -> unicode:characters_to_binary(Chars, unicode, Enc);
        false -> Chars
    end.

get_line(Enc, S) ->
    case next_line(S) of
        {eof, S1} -> {eof, S1};
        {Line, S1} -> {to_chars(Line, S1, Enc), S1}
    end.

get_chars(N, Enc, S = #state{buffer = Buf}) when byte_size(Buf) >= N ->
    {Chars, Rest} = split_binary(Buf, N),
    {to_chars(Chars, S, Enc), S#state{buffer = Rest}};
get_chars(N, Enc, S = #state{buffer = Buf}) ->
    case read_line() of
        eof when Buf =:= <<>> -> {eof, S};
        eof -> {to_chars(Buf, S, Enc), S#state{buffer = <<>>}};
        More -> get_chars(N, Enc, S#state{buffer = list_to_binary([Buf, More])})
    end.

get_until(Enc, M, F, As, S) -> get_until(Enc, M, F, As, [], S).

get_until(Enc, M, F, As, Cont, S) ->
    {Data, S1} = case next_line(S) of
                     {eof, S0} -> {eof, S0};
                     {Line, S0} -> {to_chars(Line, S0#state{binary = false}, Enc), S0}
                 end,
    case apply(M, F, [Cont, Data | As]) of
        {done, Result, Rest} ->
            {Result, push_back(Rest, S1)};
        {more, Cont1} when Data =/= eof ->
            get_until(Enc, M, F, As, Cont1, S1);
        {more, _} ->
            {eof, S1}
    end.

push_back(eof, S) -> S;
push_back([], S) -> S;
push_back(Rest, S = #state{buffer = Buf}) when is_list(Rest) ->
    Bytes = unicode:characters_to_binary(Rest, unicode, S#state.encoding),
    S#state{buffer = list_to_binary([Bytes, Buf])};
push_back(_, S) -> S.

setopts(Opts, S) ->
    S1 = lists:foldl(fun({encoding, E}, Acc) when E =:= latin1; E =:= unicode; E =:= utf8 ->
                             Acc#state{encoding = case E of utf8 -> unicode; _ -> E end};
                        ({binary, B}, Acc) when is_boolean(B) -> Acc#state{binary = B};
                        (binary, Acc) -> Acc#state{binary = true};
                        (list, Acc) -> Acc#state{binary = false};
                        (_, Acc) -> Acc
                     end, S, Opts),
    {ok, S1}.

%% Natives (bifs/beamjs_io.ts).
write(_Fd, _Utf8, _Encoding) -> erlang:nif_error(undef).
read_line() -> erlang:nif_error(undef).
