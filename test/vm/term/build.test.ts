/**
 * Terms in shared memory (vm/term/build.ts, vm/term/etf.ts) against the real
 * erl. One erl run generates about 2000 terms of every kind (deep, large,
 * unicode atoms, bignums, -0.0, bitstrings, heap and refc binaries,
 * sub-binaries, small and large maps, funs, refs, pids, ports) and prints
 * each one's term_to_binary in hex. Each is decoded, built in shared memory
 * and read back: termToBinary must give erl's bytes again, and
 * toETerm(fromETerm(T)) must be T.
 *
 * A map of more than 32 keys is a HAMT on the internal hash, and an atom
 * hashes by its index in the atom table: erl's indices are not ours, so such
 * a map with atom (or export fun, or other-node) keys comes out of our VM in
 * another order, as it would from another erl node. For those the test
 * checks the entries (in any order) and that the order is the one our hash
 * gives (mapOrder with vmHashEnv).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeEtf, encodeEtf } from '../../../loader/etf.js';
import { compareMapKeys } from '../../../loader/eterm_order.js';
import {
  Atom,
  Bitstring,
  EMap,
  ExportFun,
  ImproperList,
  LocalFun,
  Pid,
  Port,
  Ref,
  Tuple,
  type ETerm,
} from '../../../loader/eterm.js';
import { FLATMAP_LIMIT, VmDependentHash, internalHash, mapIterationOrder, mapOrder } from '../../../loader/eterm_hash.js';
import { Memory } from '../../../vm/memory.js';
import { AtomTable } from '../../../vm/term/atoms.js';
import {
  binaryBytes,
  fromETerm,
  mapEntries,
  mapSize,
  mapToListEntries,
  sizeOfETerm,
  toETerm,
  vmHashEnv,
} from '../../../vm/term/build.js';
import { binaryToTerm, termToBinary } from '../../../vm/term/etf.js';
import { Heap, HeapFullError, type TermContext } from '../../../vm/term/heap.js';
import {
  FLOAT_HEADER,
  HEAP_BINARY_LIMIT,
  MAP_KIND_FLAT,
  MAP_KIND_HAMT_HEAD_ARRAY,
  MAP_KIND_HAMT_HEAD_BITMAP,
  NIL,
  SUB_HEAP_BINARY,
  SUB_NEG_BIG,
  SUB_POS_BIG,
  SUB_REFC_BINARY,
  SUB_SUB_BINARY,
  headerArity,
  headerSubtag,
  isBoxed,
  isList,
  isLocalPid,
  isLocalPort,
  isSmall,
  makeBoxed,
  makeHeader,
  makeSmall,
  mapHeaderKind,
  ptrVal,
  smallVal,
} from '../../../vm/term/tags.js';
import { erlEval } from '../../support/erl.js';

// ---------------------------------------------------------------- the generator

const GENERATOR = String.raw`
rand:seed(exsss, {20250711, 3, 25}),
R = fun(N) -> rand:uniform(N) - 1 end,
Seq = fun(N) -> lists:seq(1, N) end,
Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
%% Funs made by erl_eval carry the bindings of the moment: make them first.
EvalFuns = [fun(X) -> X end, fun() -> ok end, fun(A, B) -> {A, B} end],
Emit = fun(Kind, T) -> io:put_chars([Kind, $\t, binary:encode_hex(term_to_binary(T)), $\n]) end,
NodeBin = fun(N) -> B = atom_to_binary(N, utf8), <<118, (byte_size(B)):16, B/binary>> end,
MkPid = fun(N, Id, Ser, Cr) -> binary_to_term(<<131, 88, (NodeBin(N))/binary, Id:32, Ser:32, Cr:32>>) end,
MkPort = fun(N, Id, Cr) -> binary_to_term(<<131, 120, (NodeBin(N))/binary, Id:64, Cr:32>>) end,
MkRef = fun(N, Cr, Ids) -> binary_to_term(<<131, 90, (length(Ids)):16, (NodeBin(N))/binary, Cr:32,
    << <<I:32>> || I <- Ids >>/binary>>) end,
Inner = fun(T) -> B = term_to_binary(T), binary:part(B, 1, byte_size(B) - 1) end,
MkFun = fun(Mod, Arity, Index, OldIndex, OldUniq, Pid, Free) ->
    Body = <<Arity, (R(1 bsl 128)):128, Index:32, (length(Free)):32, (NodeBin(Mod))/binary,
        98, OldIndex:32, 98, OldUniq:32, (Inner(Pid))/binary, << <<(Inner(F))/binary>> || F <- Free >>/binary>>,
    binary_to_term(<<131, 112, (byte_size(Body) + 4):32, Body/binary>>) end,
FromBits = fun(B) -> case <<B:64>> of <<F/float>> -> F; _ -> 0.0 end end,
Nodes = ['foo@bar', 'other@host.example', list_to_atom("n\x{e9}@x"), list_to_atom([16#3b1, $@, $h])],
RandChar = fun() -> case R(6) of
    0 -> Pick("abcxyzABCXYZ0159_@. '\\\"");
    1 -> 160 + R(96);
    2 -> R(160);
    3 -> 256 + R(16#D800 - 256);
    4 -> 16#10000 + R(16#100000);
    5 -> Pick(lists:seq($a, $z))
  end end,
RandAtom = fun() -> list_to_atom([RandChar() || _ <- Seq(1 + R(8))]) end,
Atoms = [list_to_atom([C]) || C <- lists:seq(0, 255)] ++ [RandAtom() || _ <- Seq(100)]
    ++ ['', 'hello world', 'if', 'a@b', 'Elixir.Enum', nonode@nohost, list_to_atom(lists:duplicate(255, 16#1F600))],
RandBin = fun(N) -> << <<(R(256))>> || _ <- Seq(N) >> end,
Printable = fun(N) -> << <<(32 + R(95))>> || _ <- Seq(N) >> end,
RandBits = fun(N, K) -> <<(RandBin(N))/binary, (R(1 bsl K)):K>> end,
Str = fun() -> [case R(4) of 0 -> 32 + R(95); 1 -> R(256); 2 -> R(2000); 3 -> Pick("\n\t\"\\") end || _ <- Seq(R(12))] end,
Pids = [self(), spawn(fun() -> ok end), list_to_pid("<0.32767.8191>"), MkPid(nonode@nohost, 5, 7, 3),
    MkPid(nonode@nohost, 16#ffffffff, 16#ffffffff, 1)]
    ++ [MkPid(N, R(1 bsl 32), R(1 bsl 32), R(1 bsl 32)) || N <- Nodes],
Ports = erlang:ports() ++ [MkPort(nonode@nohost, (1 bsl 28) - 1, 0), MkPort(nonode@nohost, 1 bsl 40, 2)]
    ++ [MkPort(N, R(1 bsl 64), R(4)) || N <- Nodes] ++ [MkPort(N, R(1 bsl 28), 0) || N <- Nodes],
Refs = [make_ref(), make_ref(), alias(), element(2, spawn_monitor(fun() -> ok end)), MkRef(nonode@nohost, 5, [7]),
    MkRef(nonode@nohost, 0, [1, 2])]
    ++ [MkRef(N, R(4), [R(1 bsl 32) || _ <- Seq(1 + R(5))]) || N <- Nodes, _ <- Seq(2)],
Funs = EvalFuns ++ [fun lists:map/2, fun erlang:'+'/2, erlang:make_fun(list_to_atom([201 | "lan"]), 'if', 0),
    erlang:make_fun(list_to_atom([1046]), 'a b', 255)]
    ++ [MkFun(Pick(Atoms), R(256), R(1 bsl 32), R(1 bsl 32), R(1 bsl 32), Pick(Pids), [R(10), Pick(Atoms), <<"x">>])
        || _ <- Seq(8)],
Leaf = fun() -> case R(18) of
    0 -> R(512) - 256;
    1 -> R(1 bsl 29) - (1 bsl 28);
    2 -> (R(1 bsl (1 + R(300))) + (1 bsl 27)) * Pick([1, -1]);
    3 -> FromBits(R(1 bsl 64));
    4 -> Pick([0.0, -0.0, 1.0, 0.1, 1.0e300, 5.0e-324, -2.5]);
    5 -> Pick(Atoms);
    6 -> [];
    7 -> RandBin(R(80));
    8 -> RandBits(R(70), 1 + R(7));
    9 -> Pick(Pids);
    10 -> Pick(Ports);
    11 -> Pick(Refs);
    12 -> Pick(Funs);
    13 -> Str();
    14 -> {};
    15 -> #{};
    16 -> Printable(R(70));
    17 -> <<>>
  end end,
Gen = fun G(D) ->
    case D =< 0 orelse R(4) =:= 0 of
      true -> Leaf();
      false -> case R(8) of
          0 -> [G(D - 1) || _ <- Seq(R(6))];
          1 -> list_to_tuple([G(D - 1) || _ <- Seq(R(6))]);
          2 -> lists:foldr(fun(X, Acc) -> [X | Acc] end, Leaf(), [G(D - 1) || _ <- Seq(1 + R(4))]);
          3 -> maps:from_list([{G(D - 2), G(D - 1)} || _ <- Seq(R(10))]);
          4 -> maps:from_list([{Pick([R(100000), FromBits(R(1 bsl 64)), RandBin(R(10)), {R(9), R(9)}, Str()]), Leaf()}
                  || _ <- Seq(30 + R(30))]);
          5 -> [G(D - 1), G(D - 1) | G(D - 1)];
          6 -> MkFun(Pick(Atoms), R(256), R(100), R(100), R(1 bsl 32), Pick(Pids), [G(D - 1) || _ <- Seq(R(3))]);
          7 -> {G(D - 1), [G(D - 1)]}
        end
    end end,
%% integers around every boundary that matters
[Emit("int", S * (B + D)) || B <- [0, 1 bsl 27, 1 bsl 28, 1 bsl 31, 1 bsl 32, 1 bsl 59, 1 bsl 63, 1 bsl 64, 1 bsl 100],
    D <- [-1, 0, 1], S <- [1, -1]],
[Emit("bignum", S * (R(1 bsl N) + (1 bsl N))) || N <- [64, 65, 200, 1000, 5000, 40000], S <- [1, -1]],
%% floats
[Emit("float", F) || F <- [0.0, -0.0, 1.0, -1.0, 0.1, 1.0e300, -1.0e-300, 5.0e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, 12345665.0, 12345675.0]],
[Emit("float", FromBits(R(1 bsl 64))) || _ <- Seq(40)],
%% atoms
[Emit("atom", A) || A <- Atoms],
%% lists and strings
[Emit("string", S) || S <- ["", "hello", "a\nb\"c\\d\te\rf", lists:seq(0, 255), lists:seq(160, 255), [256, 1000, 16#10FFFF]]],
[Emit("string", Str()) || _ <- Seq(30)],
[Emit("list", L) || L <- [[1 | 2], [a, b | c], [[]], [[] | []], [1, [2, [3, [4 | 5]]]], [<<1>> | <<2>>]]],
%% binaries: heap (at most 64 bytes) and refc, printable or not; bitstrings; sub-binaries
[Emit("binary", RandBin(N)) || N <- [0, 1, 2, 3, 4, 5, 63, 64, 65, 66, 100, 1000, 100000]],
[Emit("binary", Printable(N)) || N <- [1, 10, 64, 65, 200]],
[Emit("bitstring", RandBits(N, K)) || N <- [0, 1, 7, 63, 64, 65, 300], K <- [1, 3, 7]],
Big = RandBin(300),
[Emit("subbinary", binary:part(Big, S, L)) || {S, L} <- [{0, 10}, {5, 64}, {7, 65}, {100, 200}]],
[Emit("subbinary", X) || Off <- [1, 3, 7, 13], <<_:Off, X/bits>> <- [Big, binary:part(Big, 0, 40)]],
%% tuples
[Emit("tuple", T) || T <- [{}, {a}, {1, 2.0, "three", <<4>>}, list_to_tuple(lists:seq(1, 70000))]],
%% maps, small (sorted keys) and large (HAMT)
[Emit("map", M) || M <- [#{}, #{a => 1}, #{1 => a, 1.0 => b}, #{-0.0 => z}, #{<<"k">> => v, "k" => w, k => x, {k} => y},
    #{[] => 1, {} => 2, #{} => 3, 0 => 4, 0.5 => 5, <<>> => 6, self() => 7, make_ref() => 8}]],
[Emit("map", maps:from_list([{Leaf(), Leaf()} || _ <- Seq(N)])) || N <- [2, 5, 16, 31, 32, 32], _ <- Seq(3)],
[Emit("bigmap", maps:from_list([{I, I} || I <- Seq(N)])) || N <- [33, 34, 40, 64, 100, 1000, 10000]],
[Emit("bigmap", maps:from_list([{K(), Leaf()} || _ <- Seq(33 + R(500))]))
    || K <- [fun() -> R(1 bsl 40) end, fun() -> FromBits(R(1 bsl 64)) end, fun() -> RandBin(R(12)) end,
             fun() -> {R(5), Str()} end, fun() -> Str() end, fun() -> Pick(Pids ++ Refs) end,
             fun() -> #{R(3) => R(3), x => R(100)} end], _ <- Seq(3)],
[Emit("bigmap-atoms", maps:from_list([{A, R(10)} || A <- Atoms]))],
%% term_to_binary(T, [deterministic]) sorts every map
[io:put_chars(["det", $\t, binary:encode_hex(term_to_binary(M, [deterministic])), $\n])
    || M <- [#{b => 1, a => 2}, maps:from_list([{I, #{I => x, -I => y}} || I <- Seq(50)]),
             maps:from_list([{RandBin(R(9)), [R(5)]} || _ <- Seq(200)]), {maps:from_list([{R(1000), R(9)} || _ <- Seq(90)])}]],
[Emit("bigmap-funs", maps:from_list([{F, 1} || F <- Funs] ++ [{I, 2} || I <- Seq(40)]))],
[Emit("bigmap-nodes", maps:from_list([{P, 1} || P <- Pids ++ Ports] ++ [{I, 2} || I <- Seq(40)]))],
%% pids, ports, refs, funs
[Emit("pid", P) || P <- Pids],
[Emit("port", P) || P <- Ports],
[Emit("ref", X) || X <- Refs],
[Emit("fun", F) || F <- Funs],
%% deep and long
[Emit("deep", T) || T <- [lists:foldl(fun(_, A) -> {A} end, x, Seq(5000)),
    lists:foldl(fun(_, A) -> [A] end, [], Seq(5000)),
    lists:foldl(fun(I, A) -> [A | I] end, 0, Seq(5000)),
    lists:foldl(fun(I, A) -> #{I => A} end, #{}, Seq(2000)),
    lists:foldl(fun(I, A) -> maps:from_list([{J, J} || J <- Seq(40)] ++ [{k, A}, {I, I}]) end, #{}, Seq(200))]],
[Emit("long", T) || T <- [lists:seq(1, 200000), [R(256) || _ <- Seq(300000)], lists:duplicate(100000, <<"abc">>)]],
%% binary_to_term of inputs erl normalizes: erl's term_to_binary of the result, then the input
ReEmit = fun(In) -> io:put_chars(["reencode", $\t, binary:encode_hex(term_to_binary(binary_to_term(In))), $\t,
    binary:encode_hex(In), $\n]) end,
Shuffle = fun(L) -> [X || {_, X} <- lists:sort([{rand:uniform(), X} || X <- L])] end,
MapExt = fun(Pairs) -> <<131, 116, (length(Pairs)):32, << <<(Inner(K))/binary, (Inner(V))/binary>> || {K, V} <- Pairs >>/binary>> end,
[ReEmit(In) || In <- [
    <<131, 90, 0, 1, (NodeBin(nonode@nohost))/binary, 0:32, 7:32>>,
    <<131, 90, 0, 2, (NodeBin(nonode@nohost))/binary, 0:32, 7:32, 9:32>>,
    <<131, 90, 0, 1, (NodeBin(nonode@nohost))/binary, 5:32, 7:32>>,
    <<131, 114, 0, 1, 100, 0, 3, "a@b", 2, 0, 0, 0, 7>>,
    <<131, 103, 100, 0, 3, "a@b", 0, 0, 0, 1, 0, 0, 0, 2, 3>>,
    <<131, 102, 100, 0, 3, "a@b", 0, 0, 0, 1, 3>>,
    <<131, 110, 1, 0, 5>>, <<131, 111, 0, 0, 0, 3, 1, 0, 0, 0>>, <<131, 98, 0, 0, 0, 5>>,
    <<131, 99, "1.50000000000000000000e+00", 0, 0, 0, 0, 0>>,
    <<131, 77, 0, 0, 0, 2, 3, 255, 255>>,
    <<131, 100, 0, 2, 233, 97>>, <<131, 115, 1, 97>>, <<131, 118, 0, 2, 195, 169>>,
    <<131, 107, 0, 3, 1, 2, 3>>, <<131, 108, 0, 0, 0, 1, 97, 1, 106>>,
    MapExt([{b, 1}, {a, 2}, {1.0, 3}, {1, 4}]),
    MapExt(Shuffle([{I, I} || I <- Seq(100)])),
    MapExt(Shuffle([{<<I:16, (RandBin(R(9)))/binary>>, I} || I <- Seq(300)])),
    MapExt([{I, binary_to_term(MapExt([{c, 1}, {a, 2}]))} || I <- Seq(3)]),
    term_to_binary(lists:seq(1, 1000), [compressed])]],
%% random terms
[Emit("random", Gen(4)) || _ <- Seq(1550)],
halt().
`;

interface Case {
  kind: string;
  /** erl's term_to_binary of the term. */
  hex: string;
  bytes: Uint8Array;
  term: ETerm;
  /** For "reencode": what erl decoded (its term_to_binary is hex). */
  input?: Uint8Array;
}

// ---------------------------------------------------------------- helpers

function newContext(): TermContext {
  const mem = Memory.create({ initialBytes: 64 << 20 });
  return { mem, atoms: AtomTable.format(mem) };
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/**
 * The first difference between two terms (a path and what differs), or null.
 * Iterative; with strictMaps false, map entries may come in any order.
 */
function diffETerm(a: ETerm, b: ETerm, strictMaps = true): string | null {
  const stack: Array<[ETerm, ETerm, string]> = [[a, b, '']];
  const keyId = (k: ETerm): string => hexOf(encodeEtf(k));
  while (stack.length > 0) {
    const [x, y, path] = stack.pop()!;
    const fail = (what: string): string => `${path || '/'}: ${what}`;
    if (typeof x === 'bigint' || typeof x === 'number' || x instanceof Atom) {
      if (!Object.is(x, y)) return fail(`${String(x)} vs ${String(y)}`);
    } else if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return fail('list length or kind');
      for (let i = 0; i < x.length; i++) stack.push([x[i]!, y[i]!, `${path}[${i}]`]);
    } else if (x instanceof ImproperList) {
      if (!(y instanceof ImproperList) || x.items.length !== y.items.length) return fail('improper list');
      for (let i = 0; i < x.items.length; i++) stack.push([x.items[i]!, y.items[i]!, `${path}[${i}]`]);
      stack.push([x.tail, y.tail, `${path}|`]);
    } else if (x instanceof Tuple) {
      if (!(y instanceof Tuple) || x.elements.length !== y.elements.length) return fail('tuple');
      for (let i = 0; i < x.elements.length; i++) stack.push([x.elements[i]!, y.elements[i]!, `${path}{${i}}`]);
    } else if (x instanceof Bitstring) {
      if (!(y instanceof Bitstring) || x.bitLength !== y.bitLength || hexOf(x.bytes) !== hexOf(y.bytes)) return fail('bitstring');
    } else if (x instanceof EMap) {
      if (!(y instanceof EMap) || x.size !== y.size) return fail('map size');
      if (strictMaps) {
        for (let i = 0; i < x.size; i++) {
          stack.push([x.keys[i]!, y.keys[i]!, `${path}#k${i}`], [x.values[i]!, y.values[i]!, `${path}#v${i}`]);
        }
      } else {
        const ys = new Map(y.keys.map((k, i) => [keyId(k), i]));
        for (let i = 0; i < x.size; i++) {
          const j = ys.get(keyId(x.keys[i]!));
          if (j === undefined) return fail(`key ${i} missing`);
          stack.push([x.values[i]!, y.values[j]!, `${path}#v${i}`]);
        }
      }
    } else if (x instanceof Pid) {
      if (!(y instanceof Pid) || x.node !== y.node || x.id !== y.id || x.serial !== y.serial || x.creation !== y.creation) {
        return fail('pid');
      }
    } else if (x instanceof Port) {
      if (!(y instanceof Port) || x.node !== y.node || x.id !== y.id || x.creation !== y.creation) return fail('port');
    } else if (x instanceof Ref) {
      if (!(y instanceof Ref) || x.node !== y.node || x.creation !== y.creation || x.ids.join() !== y.ids.join()) {
        return fail('ref');
      }
    } else if (x instanceof ExportFun) {
      if (!(y instanceof ExportFun) || x.module !== y.module || x.name !== y.name || x.arity !== y.arity) return fail('export');
    } else if (x instanceof LocalFun) {
      if (
        !(y instanceof LocalFun) ||
        x.module !== y.module ||
        x.arity !== y.arity ||
        hexOf(x.uniq) !== hexOf(y.uniq) ||
        x.index !== y.index ||
        x.oldIndex !== y.oldIndex ||
        x.oldUniq !== y.oldUniq ||
        x.freeVars.length !== y.freeVars.length
      ) {
        return fail('fun');
      }
      stack.push([x.pid, y.pid, `${path}.pid`]);
      for (let i = 0; i < x.freeVars.length; i++) stack.push([x.freeVars[i]!, y.freeVars[i]!, `${path}.free${i}`]);
    } else {
      return fail('unknown');
    }
  }
  return null;
}

/** Every map in t, at any depth. */
function mapsIn(t: ETerm): EMap[] {
  const out: EMap[] = [];
  const stack: ETerm[] = [t];
  const pushAll = (xs: ETerm[]): void => {
    for (const x of xs) if (typeof x === 'object') stack.push(x);
  };
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (Array.isArray(x)) pushAll(x);
    else if (x instanceof ImproperList) pushAll([...x.items, x.tail]);
    else if (x instanceof Tuple) pushAll(x.elements);
    else if (x instanceof LocalFun) pushAll(x.freeVars);
    else if (x instanceof EMap) {
      out.push(x);
      pushAll(x.keys);
      pushAll(x.values);
    }
  }
  return out;
}

/** True when a HAMT in t has a key whose hash depends on the VM (atom index, export entry, node entry). */
function hasVmDependentHamt(t: ETerm): boolean {
  return mapsIn(t).some(
    (m) =>
      m.size > FLATMAP_LIMIT &&
      m.keys.some((k) => {
        try {
          internalHash(k);
          return false;
        } catch (e) {
          if (e instanceof VmDependentHash) return true;
          throw e;
        }
      }),
  );
}

// ---------------------------------------------------------------- against erl

describe('terms in shared memory against erl', () => {
  let cases: Case[] = [];
  let ctx: TermContext;
  let heap: Heap;

  beforeAll(() => {
    const out = erlEval(GENERATOR, { timeoutMs: 300_000 });
    cases = out
      .split('\n')
      .filter((l) => l.length > 0)
      .map((line) => {
        const [kind, hex, input] = line.split('\t') as [string, string, string | undefined];
        const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
        const c: Case = { kind, hex, bytes, term: decodeEtf(bytes) };
        if (input !== undefined) c.input = Uint8Array.from(Buffer.from(input, 'hex'));
        return c;
      });
    ctx = newContext();
    heap = Heap.allocate(ctx.mem, 4 << 20);
  });

  it('has about 2000 terms of every kind', () => {
    expect(cases.length).toBeGreaterThan(1900);
    const kinds = new Set(cases.map((c) => c.kind));
    for (const k of ['int', 'bignum', 'float', 'atom', 'string', 'list', 'binary', 'bitstring', 'subbinary', 'tuple',
      'map', 'bigmap', 'bigmap-atoms', 'det', 'pid', 'port', 'ref', 'fun', 'deep', 'long', 'random']) {
      expect(kinds).toContain(k);
    }
  });

  it('termToBinary gives back erl’s bytes, and toETerm(fromETerm(T)) is T', () => {
    const failures: string[] = [];
    let exact = 0;
    let reordered = 0;
    for (const c of cases) {
      heap.top = heap.start;
      const t = fromETerm(ctx, heap, c.term);
      const size = sizeOfETerm(c.term, ctx);
      if (heap.used !== size) failures.push(`${c.kind} ${c.hex.slice(0, 60)}: used ${heap.used} words, sizeOfETerm ${size}`);
      const back = toETerm(ctx, t);
      const ours = termToBinary(ctx, t, { deterministic: c.kind === 'det' });
      if (!hasVmDependentHamt(c.term)) {
        exact++;
        if (hexOf(ours) !== c.hex) failures.push(`${c.kind} ${c.hex.slice(0, 60)}: termToBinary differs`);
        const d = diffETerm(back, c.term);
        if (d !== null) failures.push(`${c.kind} ${c.hex.slice(0, 60)}: ${d}`);
      } else {
        reordered++;
        const d = diffETerm(back, c.term, false) ?? diffETerm(decodeEtf(ours), back);
        if (d !== null) failures.push(`${c.kind} ${c.hex.slice(0, 60)}: ${d}`);
        // The order is our hash's: iteration order under our atom indices.
        const env = vmHashEnv(ctx);
        for (const m of mapsIn(back)) {
          const order = mapIterationOrder(m.keys, env);
          if (!order.every((j, i) => j === i)) failures.push(`${c.kind}: a map of ${m.size} keys is not in hash order`);
        }
      }
      if (failures.length > 10) break;
    }
    expect(failures).toEqual([]);
    expect(exact).toBeGreaterThan(1800);
    expect(reordered).toBeGreaterThan(2);
  });

  it('binaryToTerm then termToBinary normalizes as erl does (short local refs, key order, encodings)', () => {
    const re = cases.filter((c) => c.kind === 'reencode');
    expect(re.length).toBeGreaterThan(15);
    for (const c of re) {
      heap.top = heap.start;
      const t = binaryToTerm(ctx, heap, c.input!);
      expect(hexOf(termToBinary(ctx, t)), hexOf(c.input!)).toBe(c.hex);
    }
  });

  it('binaryToTerm builds what erl encoded, and safe refuses unknown atoms', () => {
    for (const c of cases.filter((x) => x.kind === 'random').slice(0, 200)) {
      heap.top = heap.start;
      const t = binaryToTerm(ctx, heap, c.bytes, { safe: true }); // all its atoms exist by now
      if (!hasVmDependentHamt(c.term)) expect(hexOf(termToBinary(ctx, t))).toBe(c.hex);
    }
    const fresh = encodeEtf(new Tuple([Atom.of('never_seen_before_by_this_vm')]));
    expect(() => binaryToTerm(ctx, heap, fresh, { safe: true })).toThrow(/does not exist/);
    const t = binaryToTerm(ctx, heap, fresh);
    expect(diffETerm(toETerm(ctx, t), new Tuple([Atom.of('never_seen_before_by_this_vm')]))).toBeNull();
    expect(() => binaryToTerm(ctx, heap, fresh, { safe: true })).not.toThrow();
  });

  it('compresses as term_to_binary does', () => {
    const c = cases.find((x) => x.kind === 'long')!;
    heap.top = heap.start;
    const t = fromETerm(ctx, heap, c.term);
    const z = termToBinary(ctx, t, { compressed: true });
    expect(z[1]).toBe(80);
    expect(hexOf(encodeEtf(decodeEtf(z)))).toBe(c.hex);
  });
});

// ---------------------------------------------------------------- layouts

describe('object layouts', () => {
  const ctx = newContext();
  const heap = Heap.allocate(ctx.mem, 1 << 16);
  const w = () => ctx.mem.i32;
  const build = (t: ETerm): number => {
    heap.top = heap.start;
    return fromETerm(ctx, heap, t);
  };

  it('small integers are immediate, others bignums of 32-bit digits', () => {
    expect(build(134217727n)).toBe(makeSmall(134217727));
    expect(isSmall(build(-134217728n))).toBe(true);
    const big = build(-(2n ** 40n + 5n));
    expect(isBoxed(big)).toBe(true);
    const p = ptrVal(big);
    expect(headerSubtag(w()[p]!)).toBe(SUB_NEG_BIG);
    expect(headerArity(w()[p]!)).toBe(2);
    expect([w()[p + 1]! >>> 0, w()[p + 2]! >>> 0]).toEqual([5, 256]);
    const b = build(134217728n);
    expect(headerSubtag(w()[ptrVal(b)]!)).toBe(SUB_POS_BIG);
    expect(headerArity(w()[ptrVal(b)]!)).toBe(1);
    expect(toETerm(ctx, build(2n ** 4000n - 1n))).toBe(2n ** 4000n - 1n);
  });

  it('floats are a header and the double, low word first', () => {
    const f = build(-0);
    const p = ptrVal(f);
    expect(w()[p]).toBe(FLOAT_HEADER);
    expect([w()[p + 1], w()[p + 2]! >>> 0]).toEqual([0, 0x80000000]);
    expect(Object.is(toETerm(ctx, f), -0)).toBe(true);
    const g = build(1.5);
    expect(w()[ptrVal(g) + 2]! >>> 0).toBe(0x3ff80000);
  });

  it('lists are cons cells, tuples a header and elements', () => {
    const l = build([1n, new Tuple([2n])]);
    expect(isList(l)).toBe(true);
    const c = ptrVal(l);
    expect(smallVal(w()[c]!)).toBe(1);
    const second = ptrVal(w()[c + 1]!);
    expect(w()[second + 1]).toBe(NIL);
    const tup = ptrVal(w()[second]!);
    expect(w()[tup]).toBe(makeHeader(1, 0));
  });

  it('binaries up to 64 bytes live on the heap, larger ones off-heap with a ProcBin', () => {
    const small = build(new Bitstring(new Uint8Array(HEAP_BINARY_LIMIT).fill(7)));
    expect(headerSubtag(w()[ptrVal(small)]!)).toBe(SUB_HEAP_BINARY);
    expect(headerArity(w()[ptrVal(small)]!)).toBe(1 + 16);
    const before = ctx.mem.allocatedWords;
    const bytes = Uint8Array.from({ length: 65 }, (_, i) => i);
    const big = build(new Bitstring(bytes));
    const p = ptrVal(big);
    expect(headerSubtag(w()[p]!)).toBe(SUB_REFC_BINARY);
    expect(w()[p + 1]).toBe(65);
    const block = w()[p + 2]!;
    expect(Atomics.load(w(), block)).toBe(1);
    expect(w()[block + 1]).toBe(65);
    expect(ctx.mem.allocatedWords).toBeGreaterThan(before);
    expect(Array.from(binaryBytes(ctx, big).bytes)).toEqual(Array.from(bytes));
    // One Bitstring object twice: two ProcBins, one block with two references.
    const shared = new Bitstring(new Uint8Array(100));
    const pair = build(new Tuple([shared, shared]));
    const t = ptrVal(pair);
    const b1 = w()[ptrVal(w()[t + 1]!) + 2]!;
    expect(w()[ptrVal(w()[t + 2]!) + 2]).toBe(b1);
    expect(Atomics.load(w(), b1)).toBe(2);
  });

  it('bitstrings are sub-binaries, and sub-binaries at any bit offset read right', () => {
    const bits = build(new Bitstring(Uint8Array.of(0xab, 0xc0), 11));
    const p = ptrVal(bits);
    expect(headerSubtag(w()[p]!)).toBe(SUB_SUB_BINARY);
    expect([w()[p + 1], w()[p + 2], w()[p + 3], w()[p + 4]]).toEqual([1, 3, 0, 0]);
    // A sub-binary made by hand: bits 5.. of a 100-byte binary, 37 bytes and 5 bits long.
    const src = Uint8Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff);
    for (const [byteOff, bitOff] of [[0, 5], [3, 1], [60, 7], [10, 0]] as const) {
      const whole = build(new Bitstring(src));
      const sub = heap.alloc(6);
      w().set([makeHeader(5, SUB_SUB_BINARY), 37, 5, byteOff, bitOff, whole], sub);
      const { bytes, bitLength } = binaryBytes(ctx, makeBoxed(sub));
      expect(bitLength).toBe(37 * 8 + 5);
      const start = byteOff * 8 + bitOff;
      const bit = (i: number): number => (src[(start + i) >>> 3]! >>> (7 - ((start + i) & 7))) & 1;
      for (let i = 0; i < bitLength; i++) expect((bytes[i >>> 3]! >>> (7 - (i & 7))) & 1).toBe(bit(i));
      const e = toETerm(ctx, makeBoxed(sub)) as Bitstring;
      expect(e.bitLength).toBe(bitLength);
      expect(e.bytes[37]! & 0x07).toBe(0); // bits past the end are cleared
    }
  });

  it('maps: flatmaps keep sorted keys in a tuple, bigger ones are HAMTs', () => {
    const m = build(new EMap([Atom.of('b'), 2n, 1.0, Atom.of('a')], [1n, 2n, 3n, 4n]));
    const p = ptrVal(m);
    expect(mapHeaderKind(w()[p]!)).toBe(MAP_KIND_FLAT);
    expect(mapSize(ctx, m)).toBe(4);
    const keys = mapEntries(ctx, m).map(([k]) => toETerm(ctx, k));
    expect(keys).toEqual([Atom.of('b'), 2n, 1.0, Atom.of('a')].sort(compareMapKeys));
    expect(toETerm(ctx, w()[ptrVal(w()[p + 2]!) + 1]!)).toBe(keys[0]); // the keys tuple
    expect(mapToListEntries(ctx, m)).toEqual(mapEntries(ctx, m));
    const n = 1000;
    const big = build(new EMap(Array.from({ length: n }, (_, i) => BigInt(i)), Array.from({ length: n }, () => 0n)));
    expect([MAP_KIND_HAMT_HEAD_ARRAY, MAP_KIND_HAMT_HEAD_BITMAP]).toContain(mapHeaderKind(w()[ptrVal(big)]!));
    expect(mapSize(ctx, big)).toBe(n);
    // maps:to_list order and iteration order, as eterm_hash computes them (checked against erl there).
    const keysOf = (entries: Array<[number, number]>): bigint[] => entries.map(([k]) => toETerm(ctx, k) as bigint);
    const ints = Array.from({ length: n }, (_, i) => BigInt(i));
    expect(keysOf(mapToListEntries(ctx, big))).toEqual(mapOrder(ints).map((i) => BigInt(i)));
    expect(keysOf(mapEntries(ctx, big))).toEqual(mapIterationOrder(ints).map((i) => BigInt(i)));
  });

  it('local pids and ports are immediates, other nodes’ are boxed', () => {
    const none = Atom.of('nonode@nohost');
    expect(isLocalPid(build(new Pid(none, 32767, 8191, 0)))).toBe(true);
    expect(isBoxed(build(new Pid(none, 32768, 0, 0)))).toBe(true);
    expect(isBoxed(build(new Pid(none, 1, 0, 2)))).toBe(true);
    expect(isLocalPort(build(new Port(none, 2n ** 28n - 1n, 0)))).toBe(true);
    expect(isBoxed(build(new Port(none, 2n ** 28n, 0)))).toBe(true);
    const r = new Ref(none, [1], 0); // a local ref is padded to three words, as OTP does
    expect((toETerm(ctx, build(r)) as Ref).ids).toEqual([1, 0, 0]);
  });
});

// ---------------------------------------------------------------- limits

describe('depth, length and heap limits', () => {
  it('builds and reads back a term nested 100000 deep, of every container kind', () => {
    const ctx = newContext();
    const heap = Heap.allocate(ctx.mem, 4 << 20);
    const DEPTH = 100_000;
    let tuples: ETerm = Atom.of('x');
    let lists: ETerm = [];
    let maps: ETerm = new EMap([], []);
    let tails: ETerm = 0n;
    let funs: ETerm = 0n;
    const pid = new Pid(Atom.of('nonode@nohost'), 1, 0, 0);
    for (let i = 0; i < DEPTH; i++) {
      tuples = new Tuple([tuples]);
      lists = [lists];
      maps = new EMap([BigInt(i)], [maps]);
      tails = new ImproperList([BigInt(i)], new Tuple([tails]));
      funs = new LocalFun(Atom.of('m'), 0, new Uint8Array(16), 0, 0, 0, pid, [funs]);
    }
    for (const t of [tuples, lists, maps, tails, funs]) {
      heap.top = heap.start;
      const term = fromETerm(ctx, heap, t);
      expect(heap.used).toBe(sizeOfETerm(t));
      expect(diffETerm(toETerm(ctx, term), t)).toBeNull();
      expect(hexOf(termToBinary(ctx, term))).toBe(hexOf(encodeEtf(t)));
    }
  });

  it('builds and reads back a list of ten million elements', () => {
    const ctx = newContext();
    const N = 10_000_000;
    const small: bigint[] = Array.from({ length: 1000 }, (_, i) => BigInt(i));
    const list: ETerm[] = new Array(N);
    for (let i = 0; i < N; i++) list[i] = small[i % 1000]!;
    const heap = Heap.allocate(ctx.mem, 2 * N + 16);
    const t = fromETerm(ctx, heap, list);
    expect(heap.used).toBe(2 * N);
    const back = toETerm(ctx, t) as ETerm[];
    expect(back.length).toBe(N);
    for (let i = 0; i < N; i += 99_991) expect(back[i]).toBe(BigInt(i % 1000));
    expect(back[N - 1]).toBe(999n);
  });

  it('a term that does not fit throws HeapFullError and leaves the heap as it was', () => {
    const ctx = newContext();
    const heap = Heap.allocate(ctx.mem, 1000);
    heap.alloc(10);
    const t = new Tuple([new Bitstring(new Uint8Array(500)), Array.from({ length: 600 }, (_, i) => BigInt(i))]);
    const before = ctx.mem.allocatedWords;
    const top = heap.top;
    expect(() => fromETerm(ctx, heap, t)).toThrow(HeapFullError);
    expect(heap.top).toBe(top);
    expect(ctx.mem.allocatedWords).toBe(before); // no off-heap block was taken
    try {
      fromETerm(ctx, heap, t);
    } catch (e) {
      expect((e as HeapFullError).neededWords).toBe(sizeOfETerm(t) - heap.free);
    }
    const fits = new Tuple([new Bitstring(new Uint8Array(500))]);
    fromETerm(ctx, heap, fits);
    expect(heap.top).toBe(top + sizeOfETerm(fits));
  });

  it('sizeOfETerm needs the context only for HAMTs whose keys hash by VM state', () => {
    const ints = new EMap(Array.from({ length: 40 }, (_, i) => BigInt(i)), Array.from({ length: 40 }, () => 0n));
    expect(sizeOfETerm(ints)).toBeGreaterThan(40 * 2);
    const atoms = new EMap(Array.from({ length: 40 }, (_, i) => Atom.of(`k${i}`)), Array.from({ length: 40 }, () => 0n));
    expect(() => sizeOfETerm(atoms)).toThrow(VmDependentHash);
    expect(sizeOfETerm(atoms, newContext())).toBeGreaterThan(40 * 2);
  });
});
