/**
 * Hash and checksum BIFs (bifs/erlang_hash.ts) against erl: phash/phash2
 * range handling, MD5 (one-shot and through contexts that erl built, so
 * even the context bytes can be compared), CRC-32 and Adler-32 with their
 * combine functions on random data, and every kind of bad argument.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../../bifs/erlang_hash.js';
import { lookupBif } from '../../bifs/registry.js';
import { binaryBytes } from '../../vm/term/make.js';
import { erlEval } from '../support/erl.js';
import { countByFunction, newProcess, erlOutcomes, hasBitstringArg, mismatches, unaligned, type OracleCase } from './oracle.js';

const CASES = String.raw`
(fun() ->
  rand:seed(exsss, {2, 7, 1}),
  R = fun(N) -> rand:uniform(N) - 1 end,
  Bin = fun(N) -> << <<(R(256))>> || _ <- lists:seq(1, N) >> end,
  Datas = [<<>>, <<"a">>, <<"abc">>, Bin(15), Bin(16), Bin(55), Bin(56), Bin(63), Bin(64), Bin(65), Bin(119), Bin(120),
           Bin(1000), Bin(6000), [], [1, 2, [3, <<4, 5>>] | <<6>>], "hello", [[[]]]],
  BadData = [<<1:3>>, [256], [-1], [a], [1 | 2], a, 1, 1.0, {<<"a">>}],
  Terms = [a, 1, 1.0, "abc", {a, b}, <<1, 2>>, [a | b], #{a => 1}, 1 bsl 70],
  Ranges = [1, 2, 1000, 1 bsl 27, (1 bsl 32) - 1, 1 bsl 32, (1 bsl 32) + 1, 0, -1, 1 bsl 70, a, 1.0],
  Ctx0 = erlang:md5_init(),
  Ctxs = [Ctx0] ++ [lists:foldl(fun(D, C) -> erlang:md5_update(C, D) end, Ctx0, Ds)
                    || Ds <- [[<<"abc">>], [Bin(60)], [Bin(64)], [Bin(70), Bin(10)], [Bin(1000)], [Bin(3), Bin(61), Bin(5)]]],
  Sums = [0, 1, 12345, 65520, 65521, 65535, 16#FFF0FFF0, (1 bsl 32) - 1],
  Lens = [0, 1, 5, 100, 65521, 1 bsl 20, (1 bsl 31) + 7, (1 bsl 32) - 1, 1 bsl 32, -1, 1 bsl 70, a],
  lists:append([
    [{erlang, phash, [T, N]} || T <- Terms, N <- Ranges],
    [{erlang, phash2, [T]} || T <- Terms],
    [{erlang, phash2, [T, N]} || T <- Terms, N <- Ranges],
    [{erlang, md5, [D]} || D <- Datas ++ BadData],
    [{erlang, md5_update, [C, D]} || C <- Ctxs, D <- Datas],
    [{erlang, md5_update, [C, D]} || C <- [Ctx0, <<0:(87*8)>>, <<0:(89*8)>>, <<0:(88*8 - 1)>>, a], D <- [<<"x">> | BadData]],
    [{erlang, md5_final, [C]} || C <- Ctxs ++ [<<0:(87*8)>>, <<0:(88*8 + 1)>>, a, [1]]],
    [{erlang, crc32, [D]} || D <- Datas ++ BadData],
    [{erlang, crc32, [C, D]} || C <- Sums ++ [-1, 1 bsl 32, a], D <- [<<>>, <<"a">>, Bin(100)]],
    [{erlang, crc32, [R(1 bsl 32), D]} || D <- Datas ++ BadData],
    [{erlang, crc32_combine, [C1, C2, L]} || C1 <- [0, R(1 bsl 32), (1 bsl 32) - 1], C2 <- [0, R(1 bsl 32)], L <- Lens],
    [{erlang, crc32_combine, [C1, C2, 3]} || {C1, C2} <- [{-1, 0}, {0, -1}, {1 bsl 32, 0}, {0, 1 bsl 32}, {a, 0}, {0, 1.0}]],
    [{erlang, adler32, [D]} || D <- Datas ++ BadData],
    [{erlang, adler32, [A, D]} || A <- Sums ++ [-1, 1 bsl 32, a], D <- [<<>>, <<"a">>, Bin(10), Bin(100), Bin(6000), [Bin(3), Bin(20)]]],
    [{erlang, adler32_combine, [A1, A2, L]} || A1 <- Sums, A2 <- [1, R(1 bsl 32), 16#FFFFFFFF], L <- Lens],
    [{erlang, adler32_combine, [A1, A2, 3]} || {A1, A2} <- [{-1, 0}, {0, -1}, {1 bsl 32, 0}, {0, 1 bsl 32}, {a, 0}, {0, 1.0}]]
  ])
end)()`;

let cases: OracleCase[];

beforeAll(() => {
  cases = erlOutcomes(CASES);
});

describe('hash and checksum BIFs against erl', () => {
  it('has cases for every BIF', () => {
    const counts = countByFunction(cases);
    for (const k of ['phash/2', 'phash2/1', 'phash2/2', 'md5/1', 'md5_update/2', 'md5_final/1', 'crc32/1', 'crc32/2',
      'crc32_combine/3', 'adler32/1', 'adler32/2', 'adler32_combine/3']) {
      expect(counts.get(`erlang:${k}`) ?? 0, k).toBeGreaterThan(5);
    }
  });

  it('gives erl’s result or exception for every call', () => {
    expect(mismatches(cases).slice(0, 30)).toEqual([]);
  });

  it('md5_init/0 gives the real VM’s state and count (its buffer is uninitialised memory there)', () => {
    const out = erlEval('io:format("~s~n", [binary:encode_hex(binary:part(erlang:md5_init(), 0, 24))]), halt().').trim();
    const p = newProcess();
    const ctx = lookupBif('erlang', 'md5_init', 0)!.fn(p, []);
    const { bytes, bitLength } = binaryBytes(p, ctx);
    expect(bitLength).toBe(88 * 8);
    expect(Buffer.from(bytes.subarray(0, 24)).toString('hex').toUpperCase()).toBe(out);
    p.release();
  });

  it('gives the same with bitstring arguments as unaligned sub-binaries', () => {
    const withBits = cases.filter(hasBitstringArg);
    expect(mismatches(withBits, (p, args) => args.map((a) => unaligned(p, a))).slice(0, 30)).toEqual([]);
  });
});
