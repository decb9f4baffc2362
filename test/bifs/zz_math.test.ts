/**
 * bifs/math.ts against erl, bit for bit. For every function erl evaluates a
 * few hundred arguments (random floats at every magnitude, the edges of
 * each function's branches and domain, integers and bignums, non-numbers)
 * and we compare the result's bits or the error reason.
 *
 * sqrt, floor, ceil and fmod are exact, and exp, sin, cos, sinh, cosh,
 * tanh, erf and erfc follow glibc's algorithms exactly: all these must
 * agree always (6381956970095103 * 2^797, the hardest case of argument
 * reduction, included), and so must the errors (badarg, badarith)
 * everywhere. For the others we compute the correctly rounded result,
 * which glibc misses on a small fraction of inputs (about 1 in 1000 for
 * tan, atan, asin; rarer for log, log2, pow): the test allows at most a few
 * results per thousand, each within 2 ulps of erl's. One input is left out
 * for tan only: at the hardest reduction case glibc's tan is 14 ulps off
 * the correctly rounded result that we return.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeEtf } from '../../loader/etf.js';
import { Atom, Tuple } from '../../loader/eterm.js';
import '../../bifs/math.js';
import { erlCases, outcomeOf, termOf, vmHarness, type ErlCase } from './harness.js';
import { listToArray, tupleElements } from '../../vm/term/make.js';

const EXACT = new Set(['sqrt', 'floor', 'ceil', 'fmod', 'exp', 'sin', 'cos', 'sinh', 'cosh', 'tanh', 'erf', 'erfc']);
/** Most mismatches tolerated per 1000 calls of a function (each within 2 ulps). */
const PER_MILLE = 5;

let cases: ErlCase[] = [];

beforeAll(() => {
  cases = erlCases(`
    rand:seed(exsss, {8, 9, 10}),
    Pick = fun(L) -> lists:nth(rand:uniform(length(L)), L) end,
    Scales = [1.0e-300, 1.0e-30, 1.0e-9, 3.0e-8, 1.0e-5, 1.0e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0,
              10.0, 22.0, 30.0, 100.0, 710.0, 750.0, 1.0e5, 1.0e10, 1.0e18, 1.0e300],
    Rand = fun() -> S = Pick(Scales), (rand:uniform() * 2 - 1) * S end,
    Edges = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1.0e-320, -1.0e-320, 5.0e-324, 2.2250738585072014e-308,
             1.7976931348623157e308, -1.7976931348623157e308, 3.7252902984e-9, 1.0e-16, 0.34657359027997264,
             0.3465735902799727, 1.0397207708399179, 22.0, 21.999999999999996, 709.782712893384, 709.7827128933841,
             710.4758600739439, 710.475860073944, -708.3964185322641, -745.1332191019411, -745.1332191019412, -746.0,
             0.84375, 1.25, 2.857142857142857, 6.0, 28.0, 26.5, 0.25, 0.41421356237309503, -0.2928932188134524,
             268435456.0, 268435457.0, 1.5707963267948966, 3.141592653589793, 0.7853981633974483, 262144.0,
             1.0e22, 6381956970095103.0 * math:pow(2, 797), -1.0e-10, 0.9999999999999999, 1.0000000000000002,
             -0.9999999999999999, 1.0e-8, 7.450580596923828e-9, 1.4901161193847656e-8],
    Ints = [0, 1, -1, 2, 3, 10, 100, 134217727, 134217728, -134217729, 1 bsl 40, (1 bsl 53) + 1, (1 bsl 59) - 1,
            1 bsl 60, (1 bsl 64) + 2049, (1 bsl 64) + (1 bsl 11) + 1, (1 bsl 100) + 12345, -(1 bsl 100) - 1,
            (1 bsl 1023) + (1 bsl 970), (1 bsl 1024) - (1 bsl 970) - 1, (1 bsl 1024) - (1 bsl 970), 1 bsl 1024, 1 bsl 2000],
    Bad = [a, "1", <<1>>, {1.0}, []],
    Unary = [sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, log, log2, log10, sqrt,
             erf, erfc, ceil, floor],
    %% tan is correctly rounded here, and glibc's is 14 ulps off at the hardest reduction case: leave that one out.
    HardCase = 6381956970095103.0 * math:pow(2, 797),
    Args1 = fun(F) -> Shift = case F of acosh -> 1.0; _ -> 0.0 end,
                      EdgesF = [X || X <- Edges, F =/= tan orelse X =/= HardCase],
                      [Rand() || _ <- lists:seq(1, 500)] ++ [abs(Rand()) + Shift || _ <- lists:seq(1, 150)]
                      ++ [rand:uniform() * 2 - 1 || _ <- lists:seq(1, 150)] ++ EdgesF ++ [-X || X <- EdgesF] ++ Ints ++ Bad end,
    One = [{math, F, [X]} || F <- Unary, X <- Args1(F)],
    %% Big integers of random length: their conversion to a float rounds per 64-bit digit.
    Bigs = [{math, floor, [rand:uniform(1 bsl (64 * N)) bor (1 bsl (64 * N - 1))]} || N <- [2, 3, 4, 8, 15], _ <- lists:seq(1, 60)]
           %% A top digit that rounds to even on a tie, then a lower digit that tips the true value the other way.
           ++ [{math, F, [S * ((((1 bsl 63) + (T bsl 10)) bsl (64 * L)) + Low)]}
               || F <- [floor, sin], S <- [1, -1], T <- [1, 3], L <- [1, 2],
                  Low <- [1, (1 bsl (64 * L)) - 1, 1 bsl (64 * L - 1), 0]],
    %% The functions that must agree always get more calls.
    More = [{math, F, [Rand()]} || F <- [exp, sin, cos, sinh, cosh, tanh, erf, erfc, asinh, atanh], _ <- lists:seq(1, 1500)],
    Y = fun() -> case rand:uniform(4) of
                   1 -> float(rand:uniform(21) - 11);
                   2 -> rand:uniform(21) - 11;
                   3 -> Pick([0.5, -0.5, 1/3, 1.0e-20, 1.0e20, 1024.0, -1075.0, 0.0, -0.0, 1 bsl 60]);
                   _ -> Rand()
                 end end,
    Pow = [{math, pow, [X, Y()]} || X <- [abs(Rand()) || _ <- lists:seq(1, 700)] ++ [Rand() || _ <- lists:seq(1, 200)]
                                        ++ Edges ++ [-X || X <- Edges] ++ Ints ++ [a]],
    Atan2 = [{math, atan2, [A, B]} || {A, B} <- [{Rand(), Rand()} || _ <- lists:seq(1, 700)]
                                          ++ [{Pick(Edges ++ [-X || X <- Edges]), Pick(Edges ++ [-X || X <- Edges])} || _ <- lists:seq(1, 300)]
                                          ++ [{1.0e-300, 1.0e300}, {-1.0e-300, -1.0e300}, {1.0e300, 1.0e-300}, {5.0e-324, 1.0},
                                              {1, 0}, {0, 0}, {-0.0, -0.0}, {0.0, -0.0}, {-0.0, 0.0}, {a, 1}, {1, a}]],
    Fmod = [{math, fmod, [Rand(), Pick([Rand(), Rand(), float(rand:uniform(10)), 0.0, -0.0, 1, 1 bsl 70, 1.0e-300])]}
            || _ <- lists:seq(1, 500)] ++ [{math, fmod, [X, 3]} || X <- Ints],
    One ++ Bigs ++ More ++ Pow ++ Atan2 ++ Fmod`);
});

/** Distance in ulps between two finite doubles of the same sign (large when the signs differ). */
function ulps(a: number, b: number): number {
  const buf = new Float64Array([a, b]);
  const bits = new BigInt64Array(buf.buffer);
  const d = bits[0]! - bits[1]!;
  return Number(d < 0n ? -d : d);
}

describe('math BIFs against erl', () => {
  it('agree bit for bit, but for glibc misroundings of at most 2 ulps', () => {
    console.log('COUNT math', cases.length, ''); expect(cases.length).toBeGreaterThan(33000);
    const vm = vmHarness();
    let p = vm.process();
    const calls = new Map<string, number>();
    const misses = new Map<string, string[]>();
    const hard: string[] = [];
    cases.forEach((c, i) => {
      if (i % 200 === 199) p = vm.process();
      const call = decodeEtf(c.call) as Tuple;
      const fn = (call.elements[1] as Atom).name;
      calls.set(fn, (calls.get(fn) ?? 0) + 1);
      const [, , a] = tupleElements(p, termOf(p, c.call));
      const got = outcomeOf(p, 'math', fn, listToArray(p, a!)!);
      if (got.equals(c.outcome)) return;
      const want = decodeEtf(c.outcome) as Tuple;
      const ours = decodeEtf(got) as Tuple;
      const describe = `${fn}(${JSON.stringify(call.elements[2], (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}): erl ${show(want)}, beamjs ${show(ours)}`;
      const bothFloats = (want.elements[0] as Atom).name === 'ok' && (ours.elements[0] as Atom).name === 'ok';
      if (!bothFloats || EXACT.has(fn) || ulps(want.elements[1] as number, ours.elements[1] as number) > 2) {
        hard.push(describe);
        return;
      }
      misses.set(fn, [...(misses.get(fn) ?? []), describe]);
    });
    expect(hard.slice(0, 20)).toEqual([]);
    const over = [...misses].filter(([fn, list]) => list.length * 1000 > PER_MILLE * calls.get(fn)!);
    expect(over.map(([fn, list]) => `${fn}: ${list.length} of ${calls.get(fn)} differ, e.g. ${list[0]}`)).toEqual([]);
  });
});

function show(t: Tuple): string {
  const [tag, v, r] = t.elements;
  if ((tag as Atom).name === 'ok') return typeof v === 'number' ? `${v} (${hex(v)})` : String(v);
  return `${(v as Atom).name}:${(r as Atom).name}`;
}

function hex(x: number): string {
  return Buffer.from(new Float64Array([x]).buffer).reverse().toString('hex');
}
