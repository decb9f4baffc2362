/**
 * loader/beam_types.ts against the real `beam_types:decode_ext/1` of OTP 25:
 * every 16-bit TypeBits value with several Min/Max pairs, and the Type
 * chunks of the installed stdlib/compiler/kernel .beam files. Both sides
 * are printed with ~w and compared byte for byte.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BeamFormatError } from '../../loader/errors.js';
import { decodeTypeChunk, decodeTypeEntry } from '../../loader/beam_types.js';
import { erlEval } from '../support/erl.js';
import { writeW } from './types_print.js';

/** Min/Max as signed values; both erl (`X:64`) and entry() store them as 64-bit two's complement. */
const PAIRS: ReadonlyArray<readonly [bigint, bigint]> = [
  [0n, -1n], // what encode_ext writes when there is no range
  [0n, 0n],
  [1n, 10n],
  [-5n, 5n],
  [-(1n << 59n), (1n << 59n) - 1n], // the small-integer limits encode_ext allows
  [-(1n << 63n), (1n << 63n) - 1n],
  [0x0123456789abcdefn, -0x0123456789abcdefn],
];
const ALL_BITS = 1 << 16;
const KNOWN_BITS = 1 << 13;

function entry(bits: number, min: bigint, max: bigint): Uint8Array {
  const bytes = new Uint8Array(18);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, bits);
  view.setBigUint64(2, BigInt.asUintN(64, min));
  view.setBigUint64(10, BigInt.asUintN(64, max));
  return bytes;
}

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

/** Lines that differ, as "index: ours / erl's", at most `limit` of them. */
function diffLines(ours: string[], theirs: string[], limit = 5): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(ours.length, theirs.length) && out.length < limit; i++) {
    if (ours[i] !== theirs[i]) out.push(`${i}: ${ours[i]} / ${theirs[i]}`);
  }
  return out;
}

/** erl's output: one block of 2^16 lines per pair, then one block per real module. */
let erlByPair: string[][] = [];
let erlChunks: { module: string; hex: string; lines: string[] }[] = [];

beforeAll(() => {
  const pairs = PAIRS.map(([min, max]) => `{${min},${max}}`).join(',');
  const out = erlEval(`
    Pairs = [${pairs}],
    Every = [[io_lib:format("~w~n", [beam_types:decode_ext(<<B:16,Min:64,Max:64>>)])
              || B <- lists:seq(0, ${ALL_BITS - 1})]
             || {Min, Max} <- Pairs],
    Beams = lists:sort(lists:append([filelib:wildcard(filename:join(code:lib_dir(App, ebin), "*.beam"))
                                     || App <- [stdlib, compiler, kernel]])),
    Chunks = [case beam_lib:chunks(F, ["Type"]) of
                {ok, {M, [{"Type", TB}]}} ->
                  <<1:32, _:32, Table/binary>> = TB,
                  [io_lib:format("chunk ~s ~s~n", [M, binary:encode_hex(TB)]),
                   [io_lib:format("~w~n", [beam_types:decode_ext(E)]) || <<E:18/binary>> <= Table]];
                _ -> []
              end || F <- Beams],
    io:put_chars([Every, Chunks]),
    halt().`);
  const lines = out.split('\n');
  expect(lines.pop()).toBe('');
  erlByPair = PAIRS.map((_, p) => lines.slice(p * ALL_BITS, (p + 1) * ALL_BITS));
  erlChunks = [];
  for (const line of lines.slice(PAIRS.length * ALL_BITS)) {
    const m = /^chunk (\S+) ([0-9A-F]*)$/.exec(line);
    if (m) erlChunks.push({ module: m[1]!, hex: m[2]!, lines: [] });
    else erlChunks.at(-1)!.lines.push(line);
  }
});

describe('decodeTypeEntry matches beam_types:decode_ext/1', () => {
  it('erl printed one line per TypeBits value for each Min/Max pair', () => {
    expect(erlByPair.map((block) => block.length)).toEqual(PAIRS.map(() => ALL_BITS));
  });

  it('all 2^13 combinations of the known bits (Min 0, Max 2^64-1)', () => {
    const [min, max] = PAIRS[0]!;
    const ours: string[] = [];
    for (let bits = 0; bits < KNOWN_BITS; bits++) ours.push(writeW(decodeTypeEntry(entry(bits, min, max))));
    const theirs = erlByPair[0]!.slice(0, KNOWN_BITS);
    expect(diffLines(ours, theirs)).toEqual([]);
    expect(ours.join('\n')).toBe(theirs.join('\n'));
    // The space really is exercised: many distinct unions, not just 'any'.
    expect(new Set(theirs).size).toBeGreaterThan(500);
  });

  it('unused bits 13-15 are ignored (all 2^16 TypeBits values)', () => {
    const [min, max] = PAIRS[0]!;
    const ours: string[] = [];
    for (let bits = 0; bits < ALL_BITS; bits++) ours.push(writeW(decodeTypeEntry(entry(bits, min, max))));
    expect(diffLines(ours, erlByPair[0]!)).toEqual([]);
    expect(ours.join('\n')).toBe(erlByPair[0]!.join('\n'));
    // erl itself decodes bits | unused as bits.
    for (let bits = KNOWN_BITS; bits < ALL_BITS; bits += 997) {
      expect(erlByPair[0]![bits]).toBe(erlByPair[0]![bits % KNOWN_BITS]);
    }
  });

  it.each(PAIRS.slice(1).map(([min, max], i) => ({ min, max, p: i + 1, range: `${min}..${max}` })))(
    'all 2^16 TypeBits values with Min..Max written as $range',
    ({ min, max, p }) => {
      const ours: string[] = [];
      for (let bits = 0; bits < ALL_BITS; bits++) ours.push(writeW(decodeTypeEntry(entry(bits, min, max))));
      expect(diffLines(ours, erlByPair[p]!)).toEqual([]);
      expect(ours.join('\n')).toBe(erlByPair[p]!.join('\n'));
    },
  );

  it('Min and Max come back unsigned', () => {
    const t = decodeTypeEntry(entry(1 << 6, -5n, 5n));
    expect(writeW(t)).toBe('{{t_integer,any},18446744073709551611,5}');
  });

  it('rejects an entry that is not 18 bytes', () => {
    expect(() => decodeTypeEntry(new Uint8Array(17))).toThrow(BeamFormatError);
    expect(() => decodeTypeEntry(new Uint8Array(19))).toThrow(BeamFormatError);
  });
});

describe('decodeTypeChunk', () => {
  it('decodes the Type chunk of every stdlib, compiler and kernel module as erl does', () => {
    expect(erlChunks.length).toBeGreaterThan(100);
    let entries = 0;
    for (const { module, hex, lines } of erlChunks) {
      const ours = decodeTypeChunk(fromHex(hex)).map(writeW);
      expect(diffLines(ours, lines), module).toEqual([]);
      expect(ours.join('\n'), module).toBe(lines.join('\n'));
      entries += ours.length;
    }
    expect(entries).toBeGreaterThan(1000);
  });

  it('works on a chunk that is a view into a larger buffer', () => {
    const { hex, lines } = erlChunks[0]!;
    const chunk = fromHex(hex);
    const big = new Uint8Array(chunk.length + 7);
    big.set(chunk, 3);
    expect(decodeTypeChunk(big.subarray(3, 3 + chunk.length)).map(writeW)).toEqual(lines);
  });

  it('accepts an empty table', () => {
    expect(decodeTypeChunk(fromHex('0000000100000000'))).toEqual([]);
  });

  function thrown(bytes: Uint8Array): BeamFormatError {
    try {
      decodeTypeChunk(bytes);
    } catch (e) {
      if (e instanceof BeamFormatError) return e;
      throw e;
    }
    throw new Error('no error thrown');
  }

  const oneEntry = '0000000100000001' + '0040' + '0000000000000000' + 'ffffffffffffffff';

  it('rejects a chunk shorter than its header', () => {
    const e = thrown(fromHex('000000010000'));
    expect([e.where, e.offset]).toEqual(['Type', 0]);
  });

  it.each(['00000000', '00000002', 'ffffffff'])('rejects version %s', (version) => {
    const e = thrown(fromHex(version + oneEntry.slice(8)));
    expect([e.where, e.offset]).toEqual(['Type', 0]);
    expect(e.reason).toMatch(/version/);
  });

  it('rejects a partial trailing entry', () => {
    const e = thrown(fromHex(oneEntry + '00400000'));
    expect([e.where, e.offset]).toEqual(['Type', 8 + 18]);
  });

  it('rejects a count that does not match the table', () => {
    expect(decodeTypeChunk(fromHex(oneEntry)).map(writeW)).toEqual(['{{t_integer,any},0,18446744073709551615}']);
    for (const count of ['00000000', '00000002']) {
      const e = thrown(fromHex('00000001' + count + oneEntry.slice(16)));
      expect([e.where, e.offset]).toEqual(['Type', 4]);
    }
  });
});
