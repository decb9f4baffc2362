/**
 * displayText (vm/term/display.ts) against the real erlang:display/1.
 *
 * erlang:display writes to the emulator's stdout directly (not through the
 * io system), so the generator writes nothing else there: for each term it
 * displays a marker binary <<"@@kind N">>, then the term. At the end it
 * writes the list of all the terms, term_to_binary'd, to a file. The test
 * decodes that, builds each term in shared memory and compares displayText
 * with what erl printed after the term's marker, byte for byte (the output
 * is read as Latin-1: one character per byte, which is what displayText
 * returns). (Hex markers would be simpler, but the emulator writes display
 * output in tiny pieces, and megabytes of it take many seconds.)
 *
 * Pids, ports and refs of other nodes print the index of the node name's
 * atom in erl's atom table. The generator makes each node atom at run time
 * and reports the index it got (atom_count just before), and the test hands
 * those numbers to displayText through DisplayOptions.nodeNumber.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeEtf } from '../../../loader/etf.js';
import { Atom, Tuple, type ETerm } from '../../../loader/eterm.js';
import { Memory } from '../../../vm/memory.js';
import { AtomTable } from '../../../vm/term/atoms.js';
import { fromETerm } from '../../../vm/term/build.js';
import { displayText, type DisplayOptions } from '../../../vm/term/display.js';
import { Heap, type TermContext } from '../../../vm/term/heap.js';
import { atomVal } from '../../../vm/term/tags.js';
import { erlEvalBytes } from '../../support/erl.js';

const GENERATOR = String.raw`
rand:seed(exsss, {20250711, 4, 1}),
R = fun(N) -> rand:uniform(N) - 1 end,
Seq = fun(N) -> lists:seq(1, N) end,
Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
EvalFuns = [fun(X) -> X end, fun() -> ok end],
put(terms, []),
Emit = fun(Kind, T) ->
    put(terms, [T | get(terms)]),
    erlang:display(iolist_to_binary(["@@", Kind, " ", integer_to_list(length(get(terms)))])),
    erlang:display(T) end,
NewAtom = fun(Name) ->
    I = erlang:system_info(atom_count), A = list_to_atom(Name),
    erlang:display(iolist_to_binary(["@@node ", integer_to_list(I), " ", binary:encode_hex(atom_to_binary(A))])),
    A end,
Nodes = [NewAtom(N) || N <- ["foo" ++ "@bar", "other" ++ "@host.example", [$n, 16#e9, $@, $x]]],
NodeBin = fun(N) -> B = atom_to_binary(N, utf8), <<118, (byte_size(B)):16, B/binary>> end,
MkPid = fun(N, Id, Ser, Cr) -> binary_to_term(<<131, 88, (NodeBin(N))/binary, Id:32, Ser:32, Cr:32>>) end,
MkPort = fun(N, Id, Cr) -> binary_to_term(<<131, 120, (NodeBin(N))/binary, Id:64, Cr:32>>) end,
MkRef = fun(N, Cr, Ids) -> binary_to_term(<<131, 90, (length(Ids)):16, (NodeBin(N))/binary, Cr:32,
    << <<I:32>> || I <- Ids >>/binary>>) end,
Inner = fun(T) -> B = term_to_binary(T), binary:part(B, 1, byte_size(B) - 1) end,
MkFun = fun(Mod, OldIndex, OldUniq, Free) ->
    Body = <<(R(256)), (R(1 bsl 128)):128, (R(100)):32, (length(Free)):32, (NodeBin(Mod))/binary,
        98, OldIndex:32, 98, OldUniq:32, (Inner(self()))/binary, << <<(Inner(F))/binary>> || F <- Free >>/binary>>,
    binary_to_term(<<131, 112, (byte_size(Body) + 4):32, Body/binary>>) end,
FromBits = fun(B) -> case <<B:64>> of <<F/float>> -> F; _ -> 0.0 end end,
RandChar = fun() -> case R(6) of
    0 -> Pick("abcxyzABCXYZ0159_@. '\\\"");
    1 -> 160 + R(96);
    2 -> R(160);
    3 -> 256 + R(16#D800 - 256);
    4 -> 16#10000 + R(16#100000);
    5 -> Pick(lists:seq($a, $z))
  end end,
Atoms = [list_to_atom([C]) || C <- lists:seq(0, 255)] ++ [list_to_atom([$a, C]) || C <- lists:seq(0, 255)]
    ++ [list_to_atom([RandChar() || _ <- Seq(1 + R(8))]) || _ <- Seq(150)]
    ++ ['', 'hello world', 'if', 'after', 'a@b', 'Elixir.Enum', nonode@nohost, 'aB9_', list_to_atom([1046, $a]),
        list_to_atom([16#1F600])],
RandBin = fun(N) -> << <<(R(256))>> || _ <- Seq(N) >> end,
Printable = fun(N) -> << <<(32 + R(95))>> || _ <- Seq(N) >> end,
Str = fun() -> [case R(5) of 0 -> 32 + R(95); 1 -> R(256); 2 -> R(2000); 3 -> Pick("\n\t\r\"\\"); 4 -> 160 + R(96) end
    || _ <- Seq(1 + R(12))] end,
Latin = fun() -> [Pick([32 + R(95), 160 + R(96), $\n, $\t, $\r, $", $\\]) || _ <- Seq(1 + R(15))] end,
Pids = [self(), spawn(fun() -> ok end), list_to_pid("<0.32767.8191>"), MkPid(nonode@nohost, 5, 7, 3)]
    ++ [MkPid(N, R(1 bsl 32), R(1 bsl 32), R(4)) || N <- Nodes],
Ports = erlang:ports() ++ [MkPort(nonode@nohost, (1 bsl 28) - 1, 0), MkPort(nonode@nohost, 1 bsl 40, 2)]
    ++ [MkPort(N, R(1 bsl 64), R(4)) || N <- Nodes],
Refs = [make_ref(), alias(), MkRef(nonode@nohost, 5, [7]), MkRef(nonode@nohost, 0, [1, 2])]
    ++ [MkRef(N, R(4), [R(1 bsl 32) || _ <- Seq(1 + R(5))]) || N <- Nodes],
Funs = EvalFuns ++ [fun lists:map/2, fun erlang:'+'/2, erlang:make_fun('if', 'a b', 0),
    erlang:make_fun(list_to_atom([233, $x]), list_to_atom([1046]), 3), erlang:make_fun('a@b', 'B', 255)]
    ++ [MkFun(Pick(Atoms), R(1 bsl 32), R(1 bsl 32), [R(9)]) || _ <- Seq(6)],
Leaf = fun() -> case R(17) of
    0 -> R(512) - 256;
    1 -> (R(1 bsl (1 + R(200))) + (1 bsl 27)) * Pick([1, -1]);
    2 -> FromBits(R(1 bsl 64));
    3 -> Pick([0.0, -0.0, 1.0, 0.1, 2.5, 12345665.0]);
    4 -> Pick(Atoms);
    5 -> [];
    6 -> RandBin(R(70));
    7 -> <<(RandBin(R(10)))/binary, (R(8)):3>>;
    8 -> Pick(Pids);
    9 -> Pick(Ports);
    10 -> Pick(Refs);
    11 -> Pick(Funs);
    12 -> Str();
    13 -> Latin();
    14 -> Printable(R(20));
    15 -> {};
    16 -> #{}
  end end,
Gen = fun G(D) ->
    case D =< 0 orelse R(4) =:= 0 of
      true -> Leaf();
      false -> case R(7) of
          0 -> [G(D - 1) || _ <- Seq(R(6))];
          1 -> list_to_tuple([G(D - 1) || _ <- Seq(R(6))]);
          2 -> lists:foldr(fun(X, Acc) -> [X | Acc] end, Leaf(), [G(D - 1) || _ <- Seq(1 + R(4))]);
          3 -> maps:from_list([{G(D - 2), G(D - 1)} || _ <- Seq(R(10))]);
          4 -> maps:from_list([{Pick([R(300), FromBits(R(1 bsl 64)), RandBin(R(6)), {R(9)}, Latin()]), Leaf()}
                  || _ <- Seq(30 + R(30))]);
          5 -> [Leaf() | G(D - 1)];
          6 -> {G(D - 1), [G(D - 1)]}
        end
    end end,
[Emit("int", X) || X <- [0, 1, -1, 134217727, 134217728, -134217728, -134217729, 1 bsl 59, 1 bsl 64, -(1 bsl 100)]],
[Emit("float", F) || F <- [0.0, -0.0, 1.0, -1.0, 0.1, 2.5, 1.0e300, -1.0e-300, 5.0e-324, 1.7976931348623157e308,
    12345665.0, 12345675.0, 0.5e-5, 9.9999995e10]],
[Emit("float", FromBits(R(1 bsl 64))) || _ <- Seq(60)],
[Emit("atom", A) || A <- Atoms],
[Emit("char", [C]) || C <- lists:seq(0, 300)],
[Emit("string", S) || S <- ["", "hello", "a\nb\"c\\d\te\rf", lists:seq(32, 126), lists:seq(160, 255), [256], [97, 256]]],
[Emit("string", Str()) || _ <- Seq(40)],
[Emit("string", Latin()) || _ <- Seq(40)],
[Emit("list", L) || L <- [[1 | 2], [a, b | c], [[]], [1, [2, [3, [4 | 5]]]], [<<1>> | <<2>>], [1 | "abc"], ["abc" | "def"],
    [$a | <<"b">>], [[$a] | $b], [-1], [255, 256]]],
[Emit("byte", <<C>>) || C <- lists:seq(0, 255)],
[Emit("binary", B) || B <- [<<>>, <<"hello">>, <<"say \"hi\"\\">>, Printable(64), Printable(65), Printable(300), RandBin(65),
    RandBin(300), <<1:1>>, <<"abc", 5:3>>, <<0:7>>, <<300:9>>]],
Big = RandBin(200),
[Emit("subbinary", X) || Off <- [1, 3, 7, 13], <<_:Off, X/bits>> <- [Big, binary:part(Big, 0, 40), Printable(100)]],
[Emit("tuple", T) || T <- [{}, {a}, {1, 2.0, "three", <<4>>}, list_to_tuple(lists:seq(1, 1000))]],
[Emit("map", M) || M <- [#{}, #{a => 1}, #{1 => a, 1.0 => b}, #{"k" => "v", <<"k">> => <<"v">>, k => [1, 2]},
    #{[] => 1, {} => 2, #{} => 3, 0 => 4, 0.5 => 5, <<>> => 6, self() => 7, make_ref() => 8}]],
[Emit("map", maps:from_list([{Leaf(), Leaf()} || _ <- Seq(N)])) || N <- [5, 16, 32, 32]],
[Emit("bigmap", maps:from_list([{I, I} || I <- Seq(N)])) || N <- [33, 40, 100, 1000]],
[Emit("bigmap", maps:from_list([{I, V} || I <- lists:seq(90, 140)])) || V <- ["ab", [], [1 | 2], {x}, <<"b">>]],
[Emit("bigmap", maps:from_list([{K(), Leaf()} || _ <- Seq(33 + R(300))]))
    || K <- [fun() -> R(1 bsl 40) end, fun() -> FromBits(R(1 bsl 64)) end, fun() -> RandBin(R(12)) end,
             fun() -> {R(5), Str()} end, fun() -> Latin() end, fun() -> Pick(lists:sublist(Pids, 3) ++ lists:sublist(Refs, 2)) end],
       _ <- Seq(2)],
[Emit("pid", P) || P <- Pids],
[Emit("port", P) || P <- Ports],
[Emit("ref", X) || X <- Refs],
[Emit("fun", F) || F <- Funs],
[Emit("deep", T) || T <- [lists:foldl(fun(_, A) -> {A} end, x, Seq(100000)),
    lists:foldl(fun(_, A) -> [A] end, [], Seq(100000)),
    lists:foldl(fun(I, A) -> [A | I] end, 0, Seq(20000)),
    lists:foldl(fun(I, A) -> #{I => A} end, #{}, Seq(20000))]],
[Emit("long", T) || T <- [lists:seq(1, 50000), [32 + R(95) || _ <- Seq(50000)]]],
[Emit("random", Gen(4)) || _ <- Seq(700)],
ok = file:write_file(OutFile, term_to_binary(lists:reverse(get(terms)))),
halt().
`;

interface Case {
  kind: string;
  index: number;
  term: ETerm;
  /** What erl printed, one character per byte. */
  text: string;
}

describe('erlang:display/1 against erl', () => {
  let cases: Case[] = [];
  const erlNode = new Map<string, number>();
  let ctx: TermContext;
  let heap: Heap;
  let opts: DisplayOptions;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'beamjs-display-'));
    const file = join(dir, 'terms.etf');
    const out = erlEvalBytes(`OutFile = ${JSON.stringify(file)},\n${GENERATOR}`, { timeoutMs: 300_000 }).toString('latin1');
    const terms = decodeEtf(readFileSync(file)) as ETerm[];
    rmSync(dir, { recursive: true });
    // Every display ends its line; erl may end lines with \r\n.
    const lines = out.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (lines[lines.length - 1] === '') lines.pop();
    let cur: { kind: string; index: number; text: string[] } | null = null;
    const flush = (): void => {
      if (cur === null) return;
      cases.push({ kind: cur.kind, index: cur.index, term: terms[cur.index - 1]!, text: cur.text.join('\n') });
      cur = null;
    };
    for (const line of lines) {
      const m = /^<<"@@(\S+) (.*)">>$/.exec(line);
      if (m !== null && m[1] === 'node') {
        flush();
        const [index, hex] = m[2]!.split(' ') as [string, string];
        erlNode.set(Buffer.from(hex, 'hex').toString('utf8'), Number(index));
      } else if (m !== null) {
        flush();
        cur = { kind: m[1]!, index: Number(m[2]), text: [] };
      } else if (cur !== null) {
        cur.text.push(line);
      } else {
        throw new Error(`unexpected output from erl: ${line.slice(0, 200)}`);
      }
    }
    flush();
    expect(cases.length).toBe(terms.length);
    const mem = Memory.create({ initialBytes: 64 << 20 });
    ctx = { mem, atoms: AtomTable.format(mem) };
    heap = Heap.allocate(mem, 4 << 20);
    opts = {
      nodeNumber: (node) => {
        const name = ctx.atoms.name(node);
        return name === 'nonode@nohost' ? 0 : erlNode.get(name) ?? atomVal(node);
      },
    };
  });

  it('prints every kind of term as erl does', () => {
    expect(cases.length).toBeGreaterThan(1900);
    expect(erlNode.size).toBe(3);
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    for (const c of cases) {
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      heap.top = heap.start;
      const t = fromETerm(ctx, heap, c.term);
      const ours = displayText(ctx, t, opts);
      if (ours !== c.text) {
        let i = 0;
        while (i < ours.length && ours[i] === c.text[i]) i++;
        failures.push(
          `${c.kind} #${c.index}\n  erl:  ${JSON.stringify(c.text.slice(Math.max(0, i - 40), i + 60))}` +
            `\n  ours: ${JSON.stringify(ours.slice(Math.max(0, i - 40), i + 60))}`,
        );
        if (failures.length >= 10) break;
      }
    }
    expect(failures).toEqual([]);
    for (const k of ['int', 'float', 'atom', 'char', 'string', 'list', 'byte', 'binary', 'subbinary', 'tuple', 'map',
      'bigmap', 'pid', 'port', 'ref', 'fun', 'deep', 'long', 'random']) {
      expect(kinds.get(k) ?? 0).toBeGreaterThan(0);
    }
  });

  it('by default numbers other nodes by the node atom’s index in our atom table', () => {
    const c = cases.find((x) => x.kind === 'pid' && !x.text.startsWith('<0.'))!;
    heap.top = heap.start;
    const t = fromETerm(ctx, heap, c.term);
    const theirs = Number(/^<(\d+)\./.exec(c.text)![1]);
    const ours = displayText(ctx, t);
    const node = [...erlNode].find(([, i]) => i === theirs)![0];
    expect(ours).toBe(c.text.replace(/^<\d+\./, `<${atomVal(ctx.atoms.intern(node))}.`));
  });

  it('prints a list of ten million elements and a tuple nested 100000 deep without recursion', () => {
    const mem = Memory.create();
    const c2: TermContext = { mem, atoms: AtomTable.format(mem) };
    const N = 10_000_000;
    const small: bigint[] = Array.from({ length: 1000 }, (_, i) => BigInt(i));
    const list: ETerm[] = new Array(N);
    for (let i = 0; i < N; i++) list[i] = small[i % 1000]!;
    const h = Heap.allocate(mem, 2 * N + 16);
    const text = displayText(c2, fromETerm(c2, h, list));
    const block = small.map(String).join(',');
    expect(text.length).toBe(2 + (block.length + 1) * (N / 1000) - 1);
    expect(text.startsWith('[0,1,2,')).toBe(true);
    expect(text.slice(-9)).toBe(',998,999]');
    let deep: ETerm = Atom.of('x');
    for (let i = 0; i < 100_000; i++) deep = new Tuple([deep]);
    const h2 = Heap.allocate(mem, 200_016);
    const d = displayText(c2, fromETerm(c2, h2, deep));
    expect(d).toBe('{'.repeat(100_000) + 'x' + '}'.repeat(100_000));
  });
});
