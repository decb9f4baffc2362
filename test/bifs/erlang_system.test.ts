/**
 * The system BIFs (bifs/erlang_system.ts) against erl: node/system_info/
 * bump_reductions/errors/time unit conversion/calendar conversions/os
 * environment through the oracle table; erlang:display/1 and
 * display_string/1 byte for byte against what erl writes; the clocks
 * against erl's clocks read in the same test run (within a tolerance).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEtf } from '../../loader/etf.js';
import { Atom, EMap, Tuple, type ETerm } from '../../loader/eterm.js';
import { lookupBif } from '../../bifs/registry.js';
import { ErlangErrorWithArgs, setDisplayWriter } from '../../bifs/erlang_system.js';
import { toETerm } from '../../vm/term/build.js';
import { ErlangException } from '../../vm/errors.js';
import { erlEval } from '../support/erl.js';
import { build, countByFunction, erlOutcomes, mismatches, newProcess, type OracleCase } from './oracle.js';

const STATIC_INFO = `[wordsize, {wordsize, internal}, {wordsize, external}, otp_release, version, machine, hipe_architecture,
  smp_support, threads, debug_compiled, heap_type, compat_rel, system_architecture, kernel_poll, dist_ctrl, creation,
  start_time, end_time, time_offset, time_warp_mode, thread_pool_size, process_limit, port_limit, ets_limit, atom_limit,
  nif_version, driver_version, build_type, tolerant_timeofday, multi_scheduling, min_heap_size, min_bin_vheap_size,
  fullsweep_after, message_queue_data, logical_processors, dirty_cpu_schedulers,
  dirty_io_schedulers, os_type, os_version, foo, {foo, bar}, [wordsize], {wordsize, bogus}, {wordsize, internal, x}, 1, "wordsize"]`;

const CASES = String.raw`
(fun() ->
  Ext = fun(Tag, Body) -> binary_to_term(<<131, Tag, Body/binary>>) end,
  Node = <<119, 7, "foo@bar">>,
  Others = [Ext(88, <<Node/binary, 1:32, 2:32, 3:32>>), Ext(89, <<Node/binary, 5:32, 3:32>>),
            Ext(90, <<0, 2, Node/binary, 3:32, 1:32, 2:32>>)],
  Units = [second, millisecond, microsecond, nanosecond, native, perf_counter, seconds, milli_seconds,
           micro_seconds, nano_seconds, 1, 3, 7, 1000, 1 bsl 70, 0, -1, foo, 1.5, "s"],
  Times = [0, 1, -1, 999, -999, 1000, -1001, 123456789, -123456789, 1 bsl 70, -(1 bsl 70) - 3, 1.0, a],
  Dates = [{{Y, M, D}, {H, Mi, S}} || {Y, M, D} <- [{1901, 12, 31}, {1902, 1, 1}, {1969, 12, 31}, {1970, 1, 1},
             {2000, 2, 29}, {2001, 2, 29}, {1900, 2, 29}, {2024, 12, 31}, {2038, 1, 19}, {9999, 12, 31},
             {100000, 6, 15}, {1073741824, 1, 1}, {2147483646, 1, 1}, {2147483647, 1, 1}, {2020, 13, 1},
             {2020, 0, 1}, {2020, 4, 31}, {2020, 4, 30}],
                                      {H, Mi, S} <- [{0, 0, 0}, {23, 59, 59}]]
          ++ [{{2020, 6, 1}, T} || T <- [{24, 0, 0}, {0, 60, 0}, {0, 0, 60}, {-1, 0, 0}, {12, 30, 30}]]
          ++ [{{2020, 6, 1}, {0, 0}}, {{2020, 6}, {0, 0, 0}}, {{2020, 6, 1}, {0, 0, 0}, x}, x, {{2020.0, 6, 1}, {0, 0, 0}},
              {{2020, 6, 1}, {0, 0, 1.0}}, {{1 bsl 70, 1, 1}, {0, 0, 0}}],
  lists:append([
    [{erlang, node, []}, {erlang, nodes, []}, {erlang, is_alive, []}],
    [{erlang, node, [X]} || X <- [self(), make_ref(), hd(erlang:ports()), a, 1, "x", {}] ++ Others],
    [{erlang, system_info, [I]} || I <- ${STATIC_INFO}],
    [{erlang, bump_reductions, [N]} || N <- [0, 1, 1000, 1 bsl 27, 1 bsl 40, -1, 1 bsl 70, a, 1.0]],
    [{erlang, convert_time_unit, [T, F, U]} || T <- Times, F <- Units, U <- [second, millisecond, native, 3, foo, 0]],
    [{erlang, convert_time_unit, [T, F, U]} || T <- [1, -1, 1234567], F <- [second, 1000], U <- Units],
    [{erlang, F, [U]} || F <- [monotonic_time, system_time, time_offset], U <- [foo, 0, -1, 1.5, "s"]],
    [{os, F, [U]} || F <- [system_time, perf_counter], U <- [foo, 0, -1, 1.5]],
    [{erlang, error, [R]} || R <- [foo, {a, b}, 1.5]],
    [{erlang, error, [foo, Args]} || Args <- [[], [1, 2], none, x]],
    [{erlang, error, [foo, [a], Opts]} || Opts <- [[], [{error_info, #{}}], [bar], bar]],
    [{erlang, exit, [R]} || R <- [normal, {a, b}]],
    [{erlang, throw, [R]} || R <- [x, {a, b}]],
    [{erlang, universaltime_to_localtime, [D]} || D <- Dates],
    [{erlang, localtime_to_universaltime, [D]} || D <- Dates],
    [{erlang, localtime_to_universaltime, [D, Dst]} || D <- Dates, Dst <- [true, false, undefined, foo]],
    [{erlang, display_string, [S]} || S <- [<<"x">>, [a], [-1], [16#110000], [$a | b], a, [[$a]]]],
    [{os, getenv, [N]} || N <- ["HOME", "BEAMJS_SURELY_UNSET_42", "", "A=B", [256], <<"HOME">>, a, [$a | b], "A\0B"]],
    [{os, putenv, [N, V]} || {N, V} <- [{"BEAMJS_T1", "one"}, {"BEAMJS_T2", [256, 16#1F600]}, {"A=B", "x"}, {"", "x"},
                                         {"BEAMJS_T3", "a\0b"}, {"BEAMJS_T4", <<"b">>}, {a, "x"}, {"BEAMJS_T5", ""}]],
    [{os, getenv, [N]} || N <- ["BEAMJS_T1", "BEAMJS_T2", "BEAMJS_T3", "BEAMJS_T4", "BEAMJS_T5"]],
    [{os, unsetenv, [N]} || N <- ["BEAMJS_T1", "BEAMJS_T2", "BEAMJS_T5", "BEAMJS_NEVER_SET", "A=B", "", a]],
    [{os, getenv, [N]} || N <- ["BEAMJS_T1", "BEAMJS_T2"]]
  ])
end)()`;

let cases: OracleCase[];
const shown: Array<[number, Uint8Array]> = [];

beforeAll(() => {
  process.env.TZ = process.env.TZ ?? 'UTC';
  cases = erlOutcomes(CASES);
  setDisplayWriter((fd, bytes) => void shown.push([fd, bytes.slice()]));
});

afterAll(() => setDisplayWriter());

describe('system BIFs against erl', () => {
  it('has cases for every deterministic BIF', () => {
    const counts = countByFunction(cases);
    for (const k of ['erlang:node/0', 'erlang:node/1', 'erlang:nodes/0', 'erlang:is_alive/0', 'erlang:system_info/1',
      'erlang:bump_reductions/1', 'erlang:convert_time_unit/3', 'erlang:error/1', 'erlang:error/2', 'erlang:error/3',
      'erlang:exit/1', 'erlang:throw/1', 'erlang:universaltime_to_localtime/1', 'erlang:localtime_to_universaltime/1',
      'erlang:localtime_to_universaltime/2', 'os:getenv/1', 'os:putenv/2', 'os:unsetenv/1']) {
      expect(counts.get(k) ?? 0, k).toBeGreaterThan(0);
    }
  });

  it('gives erl’s result or exception for every call', () => {
    expect(mismatches(cases).slice(0, 30)).toEqual([]);
  });

  it('gives the same local/universal conversions in a zone with daylight saving time', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'Europe/Paris';
    try {
      const paris = erlOutcomes(`[C || C = {_, F, _} <- ${CASES}, lists:member(F, [universaltime_to_localtime, localtime_to_universaltime])]
        ++ [{erlang, localtime_to_universaltime, [{{2020, 3, 29}, {H, 30, 0}}, Dst]} || H <- [1, 2, 3], Dst <- [true, false, undefined]]
        ++ [{erlang, universaltime_to_localtime, [{{2020, 10, 25}, {H, 30, 0}}]} || H <- [0, 1, 2]]`);
      expect(paris.length).toBeGreaterThan(250);
      expect(mismatches(paris).slice(0, 20)).toEqual([]);
    } finally {
      process.env.TZ = saved;
    }
  });
});

describe('erlang:display/1 and display_string/1', () => {
  const TERMS = `[foo, 'Foo', "abc", [1, 2 | 3], {a, <<1, 2, 3>>, 1.5, -0.0}, 1 bsl 80, #{a => [x]}, <<1:3>>,
    'é', [256], list_to_pid("<0.5.0>"), fun lists:map/2, []]`;

  it('writes what erl writes, byte for byte', () => {
    const hexes = erlEval(`[io:format("~s~n", [binary:encode_hex(term_to_binary(T))]) || T <- ${TERMS}], halt().`)
      .trim()
      .split('\n');
    const erlOut = spawnSync('erl', ['-noshell', '-eval', `[erlang:display(T) || T <- ${TERMS}], halt().`]).stdout;
    shown.length = 0;
    const display = lookupBif('erlang', 'display', 1)!.fn;
    for (const hex of hexes) {
      const p = newProcess();
      expect(display(p, [build(p, decodeEtf(Buffer.from(hex, 'hex')))])).toBe(p.atoms.intern('true'));
      p.release();
    }
    const ours = Buffer.concat(shown.map(([, b]) => b));
    expect(shown.every(([fd]) => fd === 1)).toBe(true);
    expect(ours.toString('latin1')).toBe(Buffer.from(erlOut).toString('latin1'));
  });

  it('display_string/1 writes the string as UTF-8 (LF as CR LF) to standard error, as erl does', () => {
    const strings = ['hello\n', 'héllo', '\u0100\u{1F600}', ''];
    const list = `[${strings.map((s) => `[${Array.from(s, (c) => c.codePointAt(0)).join(',')}]`).join(', ')}]`;
    const erl = spawnSync('erl', ['-noshell', '-eval', `[erlang:display_string(S) || S <- ${list}], halt().`]);
    shown.length = 0;
    const p = newProcess();
    for (const s of strings) {
      const t = build(p, Array.from(s, (c) => BigInt(c.codePointAt(0)!)) as ETerm);
      lookupBif('erlang', 'display_string', 1)!.fn(p, [t]);
    }
    p.release();
    expect(shown.every(([fd]) => fd === 2)).toBe(true);
    expect(Buffer.concat(shown.map(([, b]) => b)).toString('hex')).toBe(Buffer.from(erl.stderr).toString('hex'));
  });
});

describe('error/2,3 carry the arguments and error_info for the stack trace', () => {
  it('keeps args and the error_info option', () => {
    const p = newProcess();
    const args = build(p, [1n, 2n]);
    const info = new EMap([Atom.of('cause')], [Atom.of('x')]);
    const opts = build(p, [new Tuple([Atom.of('error_info'), info])]);
    let e: unknown;
    try {
      lookupBif('erlang', 'error', 3)!.fn(p, [p.atoms.intern('foo'), args, opts]);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ErlangErrorWithArgs);
    expect(e).toBeInstanceOf(ErlangException);
    const err = e as ErlangErrorWithArgs;
    expect(toETerm(p, err.reason)).toBe(Atom.of('foo'));
    expect(toETerm(p, err.args!)).toEqual([1n, 2n]);
    expect(toETerm(p, err.errorInfo!)).toEqual(info);
    try {
      lookupBif('erlang', 'error', 2)!.fn(p, [p.atoms.intern('foo'), args]);
    } catch (x) {
      e = x;
    }
    expect((e as ErlangErrorWithArgs).errorInfo).toBeUndefined();
    expect(toETerm(p, (e as ErlangErrorWithArgs).args!)).toEqual([1n, 2n]);
    p.release();
  });
});

describe('os:getenv/0 and os:env/0', () => {
  it('list the environment as "K=V" strings and {K, V} pairs, as erl does (its own variables aside)', () => {
    const erlForm = erlEval(
      'os:putenv("BEAMJS_T9", [118, 256]), io:format("~w~n~w~n", [[E || E = "BEAMJS_T9=" ++ _ <- os:getenv()], [E || E = {"BEAMJS_T9", _} <- os:env()]]), halt().',
    );
    const p = newProcess();
    lookupBif('os', 'putenv', 2)!.fn(p, [build(p, Array.from('BEAMJS_T9', (c) => BigInt(c.charCodeAt(0)))), build(p, [118n, 256n])]);
    const text = (e: ETerm): string => String.fromCodePoint(...(e as bigint[]).map(Number));
    const all = toETerm(p, lookupBif('os', 'getenv', 0)!.fn(p, [])) as ETerm[];
    const pairs = toETerm(p, lookupBif('os', 'env', 0)!.fn(p, [])) as Tuple[];
    const strings = all.map(text).filter((s) => s.startsWith('BEAMJS_T9='));
    const ourPairs: ETerm = pairs.filter((t) => text(t.elements[0]!) === 'BEAMJS_T9');
    const codes = (s: string): string => `[${Array.from(s, (c) => c.codePointAt(0)).join(',')}]`;
    const show = (x: ETerm): string => (Array.isArray(x) ? `[${x.map(show).join(',')}]` : x instanceof Tuple ? `{${x.elements.map(show).join(',')}}` : String(x));
    const oursText = `[${strings.map(codes).join(',')}]\n${show(ourPairs)}\n`;
    expect(oursText).toBe(erlForm);
    lookupBif('os', 'unsetenv', 1)!.fn(p, [build(p, Array.from('BEAMJS_T9', (c) => BigInt(c.charCodeAt(0))))]);
    p.release();
  });
});

describe('clocks against erl’s, read in the same run', () => {
  const call = (m: string, f: string, args: ETerm[] = []): ETerm => {
    const p = newProcess();
    const bif = lookupBif(m, f, args.length)!;
    const r = toETerm(p, bif.fn(p, args.map((a) => build(p, a))));
    p.release();
    return r;
  };

  it('system time, timestamps, calendar time and the time offset agree with erl within 10 s', () => {
    const erl = erlEval(`io:format("~w.~n", [[erlang:system_time(second), erlang:system_time(millisecond),
      os:system_time(second), element(1, os:timestamp()) * 1000000 + element(2, os:timestamp()),
      calendar:datetime_to_gregorian_seconds(erlang:localtime()), calendar:datetime_to_gregorian_seconds(erlang:universaltime()),
      erlang:convert_time_unit(erlang:time_offset(), native, second) + erlang:convert_time_unit(erlang:monotonic_time(), native, second)]]), halt().`)
      .trim()
      .replace(/[[\].]/g, '')
      .split(',')
      .map(Number);
    const greg = (dt: ETerm): number => {
      const [[y, mo, d], [h, mi, s]] = (dt as Tuple).elements.map((x) => (x as Tuple).elements.map(Number)) as number[][];
      return (Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) / 1000) + 62167219200;
    };
    const ts = call('erlang', 'timestamp') as Tuple;
    const [mega, sec] = ts.elements.map(Number) as number[];
    const ours = [
      Number(call('erlang', 'system_time', [Atom.of('second')])),
      Number(call('erlang', 'system_time', [Atom.of('millisecond')])),
      Number(call('os', 'system_time', [Atom.of('second')])),
      mega! * 1e6 + sec!,
      greg(call('erlang', 'localtime')),
      greg(call('erlang', 'universaltime')),
      Number(call('erlang', 'time_offset', [Atom.of('second')])) + Number(call('erlang', 'monotonic_time', [Atom.of('second')])),
    ];
    ours.forEach((v, i) => expect(Math.abs(v - erl[i]!), `item ${i}: ${v} vs ${erl[i]}`).toBeLessThan(i === 1 ? 10_000 : 10));
  });

  it('keeps system_time = monotonic_time + time_offset, in native units of nanoseconds', () => {
    const mono = call('erlang', 'monotonic_time') as bigint;
    const off = call('erlang', 'time_offset') as bigint;
    const sys = call('erlang', 'system_time') as bigint;
    expect(sys - (mono + off) >= 0n && sys - (mono + off) < 1_000_000_000n).toBe(true);
    const m1 = call('erlang', 'monotonic_time', [Atom.of('nanosecond')]) as bigint;
    const m2 = call('erlang', 'monotonic_time', [Atom.of('nanosecond')]) as bigint;
    expect(m2 >= m1).toBe(true);
    const d = call('erlang', 'date') as Tuple;
    const t = call('erlang', 'time') as Tuple;
    expect(d.elements.length).toBe(3);
    expect(t.elements.length).toBe(3);
    const pc = call('os', 'perf_counter', [Atom.of('millisecond')]) as bigint;
    expect(pc > 0n).toBe(true);
  });
});
