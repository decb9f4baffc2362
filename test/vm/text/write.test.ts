/**
 * vm/text/write.ts against the real erl. One erl run prints, for every atom
 * and term it generates, term_to_binary (hex) and io_lib:format("~w") as UTF-8
 * (hex); the test decodes the ETF with its own reader and compares.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { erlEval } from '../../support/erl.js';
import { Atom, EMap, ExportFun, LocalFun, Pid, Tuple, type ETerm } from '../../../loader/eterm.js';
import { writeAtom, writeTerm, type WriteOptions } from '../../../vm/text/write.js';
import { decodeEtf } from './etf_for_tests.js';

const RESERVED_CANDIDATES = [
  'after', 'and', 'andalso', 'band', 'begin', 'bnot', 'bor', 'bsl', 'bsr', 'bxor', 'case', 'catch', 'cond', 'div',
  'end', 'fun', 'if', 'let', 'not', 'of', 'or', 'orelse', 'receive', 'rem', 'try', 'when', 'xor', 'maybe', 'else',
  'spec', 'query', 'true', 'false', 'nil', 'undefined', 'callback', 'type', 'record', 'define', 'module', 'export',
  'feature', 'dynamic', 'ok', 'error',
];
const DEPTH = 100_000;
const LONG = 10_000_000;
const EXTERNAL_NODES = ['foo@bar', 'other@host.example', 'n@x'];

const GENERATOR = `
rand:seed(exsss, {20251121, 11, 5}),
Rnd = fun(N) -> rand:uniform(N) - 1 end,
Seq = fun(N) -> lists:seq(1, N) end,
Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
Hex = fun(B) -> binary:encode_hex(B) end,
W = fun(T) -> unicode:characters_to_binary(io_lib:format("~w", [T])) end,
Out = fun(Fields) -> io:put_chars([lists:join($\\t, Fields), $\\n]) end,
NodeBin = fun(N) -> B = atom_to_binary(N, utf8), <<118, (byte_size(B)):16, B/binary>> end,
MkPid = fun(N, Id, Ser, Cr) -> binary_to_term(<<131, 88, (NodeBin(N))/binary, Id:32, Ser:32, Cr:32>>) end,
MkPort = fun(N, Id, Cr) -> binary_to_term(<<131, 89, (NodeBin(N))/binary, Id:32, Cr:32>>) end,
MkPort4 = fun(N, Id, Cr) -> binary_to_term(<<131, 120, (NodeBin(N))/binary, Id:64, Cr:32>>) end,
MkRef = fun(N, Ids) -> binary_to_term(<<131, 90, (length(Ids)):16, (NodeBin(N))/binary, (Rnd(4)):32,
    << <<I:32>> || I <- Ids >>/binary>>) end,
MkFun = fun(Mod, OldIndex, OldUniq, Free) ->
    Body = <<(Rnd(256)), (Rnd(1 bsl 128)):128, (Rnd(1000)):32, (length(Free)):32, (NodeBin(Mod))/binary,
        98, OldIndex:32, 98, OldUniq:32, 88, (NodeBin(nonode@nohost))/binary, 5:32, 0:32, 0:32,
        << <<(binary:part(term_to_binary(F), 1, byte_size(term_to_binary(F)) - 1))/binary>> || F <- Free >>/binary>>,
    binary_to_term(<<131, 112, (byte_size(Body) + 4):32, Body/binary>>) end,
FromBits = fun(B) -> case <<B:64>> of <<F/float>> -> F; _ -> 0.0 end end,
Nodes = [${EXTERNAL_NODES.map((n) => `'${n}'`).join(', ')}],
RandChar = fun() -> case Rnd(7) of
    0 -> Pick("abcxyzABCXYZ0159_@. '\\\\\\"");
    1 -> 160 + Rnd(96);
    2 -> Rnd(160);
    3 -> 256 + Rnd(16#D800 - 256);
    4 -> 16#E000 + Rnd(16#10000 - 16#E000);
    5 -> 16#10000 + Rnd(16#100000);
    6 -> Pick(lists:seq($a, $z) ++ lists:seq(16#DF, 16#FF))
  end end,
RandAtom = fun() -> list_to_atom([RandChar() || _ <- Seq(1 + Rnd(8))]) end,
NameChar = fun() -> Pick(lists:seq($a, $z) ++ lists:seq($A, $Z) ++ lists:seq($0, $9) ++ "_@" ++ lists:seq(16#C0, 16#FF)) end,
LowerAtom = fun() -> list_to_atom([Pick(lists:seq($a, $z) ++ lists:seq(16#DF, 16#FF)) | [NameChar() || _ <- Seq(Rnd(6))]]) end,
Reserved = [${RESERVED_CANDIDATES.map((a) => `'${a}'`).join(', ')}],
Atoms = [list_to_atom([C]) || C <- lists:seq(0, 255)] ++ [list_to_atom([$a, C]) || C <- lists:seq(0, 255)]
    ++ [list_to_atom([$a, C, $b]) || C <- lists:seq(0, 255)] ++ [RandAtom() || _ <- Seq(400)]
    ++ [LowerAtom() || _ <- Seq(300)] ++ Reserved ++ ['', 'Elixir.Enum', 'hello world', nonode@nohost],
[begin
   LF = MkFun(A, 7, -3, []),
   Out(["A", Hex(atom_to_binary(A, utf8)), Hex(W(A)), Hex(W(erlang:make_fun(A, A, 3))),
        Hex(term_to_binary(LF)), Hex(W(LF))])
 end || A <- Atoms],
AtomPool = [a, 'B', 'hello world', '', 'ünïcödé', list_to_atom([16#3b1]), 'and', maybe, 'a@b', '\\n', ok,
    'Elixir.Foo', true, false, nil, list_to_atom([16#1F600, $x])] ++ [RandAtom() || _ <- Seq(40)],
EvalFuns = [fun(X) -> X end, fun() -> ok end, fun(A, B) -> {A, B, Nodes} end],
Leaf = fun() -> case Rnd(26) of
    0 -> Rnd(512) - 256;
    1 -> Rnd(1 bsl 32) - (1 bsl 31);
    2 -> (Rnd(1 bsl (1 + Rnd(1000))) + (1 bsl 27)) * Pick([1, -1]);
    3 -> FromBits(Rnd(1 bsl 64));
    4 -> Pick([0.0, -0.0, 1.0, 0.1, 1.0e10, 1.0e-5, 123456789.0, 5.0e-324, 1.0e23, -2.5]);
    5 -> Pick(AtomPool);
    6 -> Pick(AtomPool);
    7 -> [];
    8 -> list_to_binary([Rnd(256) || _ <- Seq(Rnd(6))]);
    9 -> N = Rnd(30), S = 1 + Rnd(7), <<(Rnd(1 bsl (N * 8 + S))):(N * 8 + S)>>;
    10 -> Pick([self(), MkPid(nonode@nohost, Rnd(1 bsl 15), Rnd(8192), Rnd(4))]);
    11 -> MkPid(Pick(Nodes), Rnd(1 bsl 32), Rnd(1 bsl 32), Rnd(1 bsl 32));
    12 -> Pick([hd(erlang:ports()), MkPort(nonode@nohost, Rnd(1 bsl 20), 0)]);
    13 -> Pick([MkPort(Pick(Nodes), Rnd(1 bsl 32), Rnd(5)), MkPort4(Pick(Nodes), Rnd(1 bsl 64), Rnd(5))]);
    14 -> make_ref();
    15 -> MkRef(nonode@nohost, [Rnd(1 bsl 18) | [Rnd(1 bsl 32) || _ <- Seq(Rnd(3))]]);
    16 -> MkRef(Pick(Nodes), [Rnd(1 bsl 32) || _ <- Seq(1 + Rnd(5))]);
    17 -> erlang:make_fun(Pick(AtomPool), Pick(AtomPool), Rnd(256));
    18 -> Pick([fun lists:map/2, fun erlang:'+'/2, fun 'Elixir.Enum':map/2]);
    19 -> Pick(EvalFuns);
    20 -> MkFun(Pick(AtomPool), Rnd(1 bsl 31), Rnd(1 bsl 32) - (1 bsl 31), [Rnd(10), Pick(AtomPool)]);
    21 -> #{};
    22 -> {};
    23 -> "";
    24 -> [Rnd(300) || _ <- Seq(1 + Rnd(10))];
    25 -> <<>>
  end end,
NonList = fun() -> case Leaf() of L when is_list(L) -> tail; X -> X end end,
Gen = fun G(D) ->
    case D =< 0 orelse Rnd(4) =:= 0 of
      true -> Leaf();
      false -> case Rnd(8) of
          0 -> [G(D - 1) || _ <- Seq(Rnd(6))];
          1 -> list_to_tuple([G(D - 1) || _ <- Seq(Rnd(6))]);
          2 -> lists:foldr(fun(X, Acc) -> [X | Acc] end, NonList(), [G(D - 1) || _ <- Seq(1 + Rnd(4))]);
          3 -> maps:from_list([{G(D - 2), G(D - 1)} || _ <- Seq(Rnd(8))]);
          4 -> maps:from_list([{Leaf(), Leaf()} || _ <- Seq(Pick([31, 32, 33, 34]) + Rnd(60))]);
          5 -> [Rnd(128) || _ <- Seq(Rnd(12))];
          6 -> [G(D - 1), G(D - 1) | G(D - 1)];
          7 -> {G(D - 1), [G(D - 1)]}
        end
    end end,
Terms = [Gen(4) || _ <- Seq(3000)] ++ [maps:from_list([{I, I} || I <- Seq(40)])],
[Out(["T", Hex(term_to_binary(T)), Hex(W(T))]) || T <- Terms],
[Out(["N", atom_to_list(N), lists:takewhile(fun(C) -> C =/= $. end, tl(pid_to_list(MkPid(N, 1, 0, 0))))]) || N <- Nodes],
Deep = [lists:foldl(fun(_, Acc) -> [Acc] end, [], Seq(${DEPTH})),
        lists:foldl(fun(I, Acc) -> {I, Acc} end, x, Seq(${DEPTH})),
        lists:foldl(fun(_, Acc) -> #{k => Acc} end, #{}, Seq(${DEPTH})),
        lists:foldl(fun(I, Acc) -> [Acc | I] end, 0, Seq(${DEPTH})),
        lists:seq(1, 300000)],
[Out(["D", Hex(term_to_binary(T)), Hex(W(T))]) || T <- Deep],
%% In a fresh process: a big live heap here would make every GC of the long list slow.
Parent = self(),
spawn_link(fun() ->
    Long = lists:append(lists:duplicate(${LONG} div 1000, lists:seq(1, 999) ++ [0])),
    Parent ! {long, crypto:hash(sha256, iolist_to_binary(io_lib:format("~w", [Long])))} end),
receive {long, Hash} -> Out(["L", Hex(Hash)]) end,
halt().
`;

interface Case {
  etf: string;
  w: string;
}
interface AtomCase {
  atom: Atom;
  w: string;
  exportFun: string;
  localFunEtf: string;
  localFun: string;
}

const atoms: AtomCase[] = [];
const terms: Case[] = [];
const deep: Case[] = [];
const nodeIndexes = new Map<Atom, number>();
let longHash = '';

const fromHex = (h: string): Buffer => Buffer.from(h, 'hex');
const utf8 = (h: string): string => fromHex(h).toString('utf8');

beforeAll(() => {
  const out = erlEval(GENERATOR, { timeoutMs: 540_000 });
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    switch (f[0]) {
      case 'A':
        atoms.push({
          atom: Atom.of(utf8(f[1]!)),
          w: utf8(f[2]!),
          exportFun: utf8(f[3]!),
          localFunEtf: f[4]!,
          localFun: utf8(f[5]!),
        });
        break;
      case 'T':
        terms.push({ etf: f[1]!, w: utf8(f[2]!) });
        break;
      case 'D':
        deep.push({ etf: f[1]!, w: utf8(f[2]!) });
        break;
      case 'N':
        nodeIndexes.set(Atom.of(f[1]!), Number(f[2]));
        break;
      case 'L':
        longHash = f[1]!.toLowerCase();
        break;
      default:
        throw new Error(`unexpected generator line: ${line.slice(0, 200)}`);
    }
  }
}, 600_000);

/** Node numbers are erl's own dist-table indexes; the test passes them through so that the layout is what is checked. */
const opts: WriteOptions = {
  nodeIndex: (node) => (node.name === 'nonode@nohost' ? 0 : nodeIndexes.get(node) ?? -1),
};

function expectNone(bad: string[]): void {
  expect(bad.length, bad.slice(0, 10).join('\n')).toBe(0);
}

const show = (s: string): string => (s.length > 300 ? JSON.stringify(s.slice(0, 300)) + '...' : JSON.stringify(s));

/** erl's text and ours around the first place where they differ. */
function diff(erl: string, ours: string): string {
  let i = 0;
  while (i < erl.length && i < ours.length && erl[i] === ours[i]) i++;
  const from = Math.max(0, i - 60);
  return `at ${i}: erl ${JSON.stringify(erl.slice(from, i + 60))}, ours ${JSON.stringify(ours.slice(from, i + 60))}`;
}

describe('writeTerm against erl: atoms', () => {
  it('the generator made every single-character atom and the reserved words', () => {
    const names = new Set(atoms.map((a) => a.atom.name));
    for (let c = 0; c < 256; c++) expect(names.has(String.fromCharCode(c)), `char ${c}`).toBe(true);
    for (const r of RESERVED_CANDIDATES) expect(names.has(r), r).toBe(true);
    expect(atoms.length).toBeGreaterThan(1400);
    expect(atoms.some((a) => [...a.atom.name].some((c) => c.codePointAt(0)! > 0xffff))).toBe(true);
  });

  it('~w of an atom', () => {
    const bad: string[] = [];
    for (const a of atoms) {
      const got = writeAtom(a.atom);
      const got2 = writeTerm(a.atom);
      if (got !== a.w || got2 !== a.w) bad.push(`${show(a.atom.name)}: erl ${show(a.w)}, ours ${show(got)}`);
    }
    expectNone(bad);
  });

  it('~w of fun A:A/3 (the emulator quotes atoms its own way)', () => {
    const bad: string[] = [];
    for (const a of atoms) {
      const got = writeTerm(new ExportFun(a.atom, a.atom, 3));
      if (got !== a.exportFun) bad.push(`${show(a.atom.name)}: erl ${show(a.exportFun)}, ours ${show(got)}`);
    }
    expectNone(bad);
  });

  it('~w of a local fun of module A, decoded from term_to_binary', () => {
    const bad: string[] = [];
    for (const a of atoms) {
      const fun = decodeEtf(fromHex(a.localFunEtf));
      expect(fun).toBeInstanceOf(LocalFun);
      expect((fun as LocalFun).module).toBe(a.atom);
      const got = writeTerm(fun);
      if (got !== a.localFun) bad.push(`${show(a.atom.name)}: erl ${show(a.localFun)}, ours ${show(got)}`);
    }
    expectNone(bad);
  });
});

describe('writeTerm against erl: terms', () => {
  it('the generator made a few thousand terms of every kind', () => {
    expect(terms.length).toBeGreaterThan(2500);
    expect(nodeIndexes.size).toBe(EXTERNAL_NODES.length);
    const all = terms.map((t) => t.w).join(' ');
    for (const marker of ['#Ref<0.', '#Port<0.', '<0.', '#Fun<', 'fun ', '#{', '<<', '|', '{}', ':', 'e-']) {
      expect(all.includes(marker), marker).toBe(true);
    }
    for (const n of nodeIndexes.values()) expect(all.includes(`#Ref<${n}.`) && all.includes(`#Port<${n}.`)).toBe(true);
    // Some maps are large enough to be HAMTs in the VM (more than 32 keys).
    expect(terms.some((t) => (t.w.match(/ => /g)?.length ?? 0) > 32)).toBe(true);
  });

  it('~w of each term', () => {
    const bad: string[] = [];
    for (const t of terms) {
      const got = writeTerm(decodeEtf(fromHex(t.etf)), opts);
      if (got !== t.w) bad.push(`${t.etf.slice(0, 40)}... ${diff(t.w, got)}`);
    }
    expectNone(bad);
  });

  it('100000-deep lists, tuples, maps, list heads and a 300000-element list', () => {
    expect(deep.length).toBe(5);
    for (const d of deep) {
      const got = writeTerm(decodeEtf(fromHex(d.etf)), opts);
      expect(got.length).toBe(d.w.length);
      expect(got === d.w, diff(d.w, got)).toBe(true);
    }
  });

  it('terms built here, nested 100000 deep, do not overflow the stack', () => {
    let t: ETerm = [];
    let m: ETerm = new EMap([], []);
    for (let i = 0; i < DEPTH; i++) {
      t = new Tuple([t]);
      m = new EMap([Atom.of('k')], [m]);
    }
    const s = writeTerm(t);
    expect(s.length).toBe(2 * DEPTH + 2);
    expect(writeTerm(m).startsWith('#{k => #{k => ')).toBe(true);
  });

  it('a ten-million-element list (sha256 of erl ~w output)', () => {
    const pool = Array.from({ length: 1000 }, (_, i) => BigInt(i));
    const list: ETerm[] = new Array(LONG);
    for (let i = 0; i < LONG; i++) list[i] = pool[(i + 1) % 1000]!;
    const text = writeTerm(list);
    expect(createHash('sha256').update(text, 'latin1').digest('hex')).toBe(longHash);
  });
});

describe('writeTerm options and defaults', () => {
  it('numbers remote nodes 1, 2, ... by default and nonode@nohost 0', () => {
    const local = new Pid(Atom.of('nonode@nohost'), 85, 0, 0);
    expect(writeTerm(local)).toMatch(/^<0\.85\.0>$/);
    const p1 = writeTerm(new Pid(Atom.of('default1@test'), 1, 2, 3));
    const p2 = writeTerm(new Pid(Atom.of('default2@test'), 1, 2, 3));
    const p1again = writeTerm(new Pid(Atom.of('default1@test'), 1, 2, 3));
    expect(p1).toBe(p1again);
    expect(p1).not.toBe(p2);
    expect(p1).toMatch(/^<[1-9]\d*\.1\.2>$/);
  });
});
