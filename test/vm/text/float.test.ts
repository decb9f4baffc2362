/**
 * vm/text/float.ts against the real erl: one erl run makes several thousand
 * floats and prints, for each, its bit pattern and what OTP formats for it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { erlEval } from '../../support/erl.js';
import { floatToList, floatToListOpts, formatShortFloat, type FloatToListOptions } from '../../../vm/text/float.js';

const DEC = [0, 1, 2, 3, 5, 10, 15, 16, 17, 18, 19, 20, 50, 100, 252, 253, 254];
const SCI = [-1, 0, 1, 2, 5, 10, 15, 16, 17, 20, 50, 100, 200, 248, 249, 250];
const BADARG = '!badarg';

/**
 * The generator. Categories: random bit patterns, subnormals, moderate
 * exponents, integers as floats, every power of two, powers of ten, binary
 * fractions that are exact decimal ties at various positions, short decimal
 * literals, boundaries and named cases; a random half of them negated too.
 */
const GENERATOR = `
rand:seed(exsss, {20251121, 7, 42}),
Bits = fun(F) -> <<B:64>> = <<F/float>>, B end,
FromBits = fun(B) -> case <<B:64>> of <<F/float>> -> [F]; _ -> [] end end,
Rnd = fun(N) -> rand:uniform(N) - 1 end,
Seq = fun(N) -> lists:seq(1, N) end,
Random = lists:append([FromBits(Rnd(1 bsl 64)) || _ <- Seq(1500)]),
Subnormal = lists:append([FromBits(Rnd(1 bsl 52)) || _ <- Seq(300)]),
Moderate = lists:append([FromBits(((Rnd(141) - 70 + 1023) bsl 52) bor Rnd(1 bsl 52)) || _ <- Seq(1500)]),
Ints = [float(I) || I <- lists:seq(0, 100)] ++ [float(Rnd(1 bsl 53)) || _ <- Seq(100)]
       ++ [float(Rnd(1 bsl 64)) || _ <- Seq(100)] ++ [float(Rnd(100000)) || _ <- Seq(100)],
Pow2 = lists:append([FromBits(1 bsl K) || K <- lists:seq(0, 51)] ++ [FromBits(E bsl 52) || E <- lists:seq(1, 2046)]),
Pow10 = [list_to_float("1.0e" ++ integer_to_list(E)) || E <- lists:seq(-323, 308)],
Ties = [(2 * Rnd(1 bsl (J + 8)) + 1) / (1 bsl J) || J <- lists:seq(1, 30), _ <- Seq(20)]
       ++ [(2 * Rnd(1 bsl J) + 1) / (1 bsl (J + 1)) || J <- lists:seq(0, 60), _ <- Seq(3)],
DecLit = fun() ->
    S = integer_to_list(Rnd(1000)) ++ "." ++ integer_to_list(Rnd(1000000)) ++ "e" ++ integer_to_list(Rnd(51) - 25),
    list_to_float(S) end,
Decimals = [DecLit() || _ <- Seq(800)]
       ++ [list_to_float(integer_to_list(Rnd(100)) ++ "." ++ integer_to_list(Rnd(100)) ++ "5") || _ <- Seq(300)],
Boundary = lists:append([FromBits(B) || B <- [16#7FEFFFFFFFFFFFFF, 16#7FEFFFFFFFFFFFFE, 16#0010000000000000,
    16#000FFFFFFFFFFFFF, 16#0000000000000001, 16#0000000000000002, 16#3FEFFFFFFFFFFFFF, 16#3FF0000000000001,
    16#4340000000000000, 16#4340000000000001, 16#433FFFFFFFFFFFFF, 16#4330000000000000, 16#432FFFFFFFFFFFFF,
    16#8000000000000000, 16#0000000000000000]]),
Named = [0.125, 2.5, 0.5, 1.5, 3.5, 0.375, 1.005, 2.675, 0.15, 0.35, 0.45, 0.05, 1.0e23, 5.0e-324, 0.1, 0.2, 0.3,
    1.0e10, 1.0e15, 1.0e16, 123456789.0, 0.0001, 1.0e-5, 2.0e-7, 1.7976931348623157e308, 0.9999999999999999,
    4503599627370495.5, 9.5367431640625e-7, 9007199254740993.0, 9007199254740991.0, 18014398509481985.0,
    1.0e20, 1.0e21, 1.0e22, 123.456, 0.001, 0.01, 100.0, 1000.0, 1.0e-4, 1.2e-4, 1.0e254, 1.0e255, 2.2250738585072014e-308],
All0 = Random ++ Subnormal ++ Moderate ++ Ints ++ Pow2 ++ Pow10 ++ Ties ++ Decimals ++ Boundary ++ Named,
All = All0 ++ [-X || X <- All0, rand:uniform(2) =:= 1] ++ [-X || X <- Named],
T = fun(X, O) -> try float_to_list(X, O) catch error:badarg -> "${BADARG}" end end,
Line = fun(X) -> [io_lib:format("~16.16.0b", [Bits(X)]), $\\t, float_to_list(X), $\\t, T(X, [short]), $\\t,
    io_lib:format("~w", [X]), $\\t, T(X, [compact]),
    [[$\\t, T(X, [{decimals, N}]), $\\t, T(X, [{decimals, N}, compact])] || N <- ${JSON.stringify(DEC)}],
    [[$\\t, T(X, [{scientific, N}])] || N <- ${JSON.stringify(SCI)}], $\\n] end,
io:put_chars([Line(X) || X <- All]),
halt().
`;

interface Row {
  hex: string;
  x: number;
  legacy: string;
  short: string;
  w: string;
  compactOnly: string;
  dec: string[];
  decCompact: string[];
  sci: string[];
}

const rows: Row[] = [];

function fromHex(hex: string): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, BigInt('0x' + hex));
  return v.getFloat64(0);
}

function ours(f: () => string): string {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError && e.message.startsWith('badarg')) return BADARG;
    throw e;
  }
}

/** Runs fn on every row; returns a readable list of the mismatches. */
function mismatches(label: (r: Row) => string, expected: (r: Row) => string, got: (r: Row) => string): string[] {
  const bad: string[] = [];
  for (const r of rows) {
    const e = expected(r);
    const g = ours(() => got(r));
    if (e !== g) bad.push(`${r.hex} (${r.legacy}) ${label(r)}: erl ${JSON.stringify(e)}, ours ${JSON.stringify(g)}`);
  }
  return bad;
}

function expectNone(bad: string[]): void {
  expect(bad.length, bad.slice(0, 12).join('\n')).toBe(0);
}

beforeAll(() => {
  const out = erlEval(GENERATOR, { timeoutMs: 300_000 });
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    const nd = DEC.length;
    const dec: string[] = [];
    const decCompact: string[] = [];
    for (let i = 0; i < nd; i++) {
      dec.push(f[5 + 2 * i]!);
      decCompact.push(f[6 + 2 * i]!);
    }
    const sci = f.slice(5 + 2 * nd);
    if (sci.length !== SCI.length) throw new Error(`bad generator line: ${line.slice(0, 200)}`);
    rows.push({ hex: f[0]!, x: fromHex(f[0]!), legacy: f[1]!, short: f[2]!, w: f[3]!, compactOnly: f[4]!, dec, decCompact, sci });
  }
});

describe('float text against erl', () => {
  it('the generator covers the cases it should', () => {
    expect(rows.length).toBeGreaterThan(5000);
    const have = new Set(rows.map((r) => r.x));
    const seen = (x: number) => rows.some((r) => Object.is(r.x, x));
    for (const x of [0.125, 2.5, 1.0e23, 5e-324, -0.0, 0, 1.7976931348623157e308, 2 ** 53, 1e10, 1e16, 2e-7]) {
      expect(seen(x), String(x)).toBe(true);
    }
    // subnormals and both signs are present
    expect([...have].some((x) => x !== 0 && Math.abs(x) < 2.2250738585072014e-308)).toBe(true);
    expect([...have].some((x) => x < 0)).toBe(true);
  });

  it('float_to_list/1', () => {
    expectNone(mismatches(() => 'float_to_list/1', (r) => r.legacy, (r) => floatToList(r.x)));
  });

  it('float_to_list/2 [compact] (no format option: the float_to_list/1 form)', () => {
    expectNone(mismatches(() => '[compact]', (r) => r.compactOnly, (r) => floatToListOpts(r.x, { compact: true })));
  });

  it('float_to_list/2 [short]', () => {
    expectNone(mismatches(() => '[short]', (r) => r.short, (r) => floatToListOpts(r.x, { short: true })));
  });

  it('~w (formatShortFloat)', () => {
    expectNone(mismatches(() => '~w', (r) => r.w, (r) => formatShortFloat(r.x)));
  });

  DEC.forEach((n, i) => {
    it(`float_to_list/2 [{decimals,${n}}]`, () => {
      expectNone(mismatches(() => `{decimals,${n}}`, (r) => r.dec[i]!, (r) => floatToListOpts(r.x, { decimals: n })));
    });
    it(`float_to_list/2 [{decimals,${n}},compact]`, () => {
      const opts: FloatToListOptions = { decimals: n, compact: true };
      expectNone(mismatches(() => `{decimals,${n}},compact`, (r) => r.decCompact[i]!, (r) => floatToListOpts(r.x, opts)));
    });
  });

  SCI.forEach((n, i) => {
    it(`float_to_list/2 [{scientific,${n}}]`, () => {
      expectNone(mismatches(() => `{scientific,${n}}`, (r) => r.sci[i]!, (r) => floatToListOpts(r.x, { scientific: n })));
    });
  });

});

describe('float text API', () => {
  it('rejects what is not an Erlang float and conflicting options', () => {
    expect(() => floatToList(NaN)).toThrow(RangeError);
    expect(() => formatShortFloat(Infinity)).toThrow(RangeError);
    expect(() => floatToListOpts(1, { decimals: -1 })).toThrow(RangeError);
    expect(() => floatToListOpts(1, { short: true, decimals: 2 })).toThrow(TypeError);
  });
});
