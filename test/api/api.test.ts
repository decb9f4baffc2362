/**
 * The embedding API (vm/api.ts): every call of BeamVM, the value mapping in
 * both directions, errors as ErlangError, JS natives (sync and async), JS
 * mailboxes, two VMs side by side. Where the VM produces output or raises,
 * the same code runs on the real erl and the results are compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import { join } from 'node:path';
import {
  Atom,
  BeamVM,
  Bitstring,
  ErlangError,
  ExportFun,
  Float,
  ImproperList,
  LocalFun,
  Pid,
  Ref,
  Tuple,
  VMStoppedError,
  atom,
  binary,
  charlist,
  formatValue,
  fromCharlist,
  improperList,
  text,
  tuple,
  type Value,
} from '../../vm/index.js';
import { erlEvalBytes } from '../support/erl.js';

let dir = '';

const SOURCES: Record<string, string> = {
  api_t: `-module(api_t).
-export([id/1, add/2, fail/1, closure/1, echo_loop/0, ask_js/1, ask_js_async/1, counter/2, crash_linked/0, tick/2, greet/0, read2/0, rev_fun/0]).
id(X) -> X.
add(A, B) -> A + B.
fail(error) -> error({bad, thing});
fail(throw) -> throw(ball);
fail(exit) -> exit(gone);
fail(badarith) -> 1 / zero(0);
fail(badmatch) -> {ok, _} = id(nope).
zero(X) -> X * 0.
closure(N) -> fun(X) -> X + N end.
echo_loop() ->
    receive
        {From, Msg} -> From ! {echo, self(), Msg}, echo_loop();
        stop -> ok
    end.
ask_js(X) -> {got, js:double(X)}.
ask_js_async(X) -> {got, js:later(X)}.
counter(N, Max) when N >= Max -> N;
counter(N, Max) -> counter(N + 1, Max).
crash_linked() ->
    spawn_link(fun() -> exit(boom) end),
    receive after infinity -> ok end.
tick(To, 0) -> To ! done;
tick(To, N) -> To ! {tick, N}, receive after 5 -> ok end, tick(To, N - 1).
greet() -> io:format("hello ~s ~p~n", ["world", [1.0, {a, <<"b">>}]]), io:format(standard_error, "oops~n", []).
read2() -> {io:get_line(""), io:get_line("")}.
rev_fun() -> fun lists:reverse/1.
`,
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'beamjs-api-'));
  for (const [name, src] of Object.entries(SOURCES)) writeFileSync(join(dir, `${name}.erl`), src);
  const erlc = spawnSync('erlc', ['-o', dir, ...Object.keys(SOURCES).map((n) => join(dir, `${n}.erl`))], { encoding: 'utf8' });
  expect(erlc.stderr).toBe('');
  expect(erlc.status).toBe(0);
});

const vms: BeamVM[] = [];
async function newVM(options: Parameters<typeof BeamVM.create>[0] = {}): Promise<BeamVM> {
  const vm = await BeamVM.create({ codePath: [dir], stdout: () => {}, ...options });
  vms.push(vm);
  return vm;
}
afterAll(async () => {
  for (const vm of vms) await vm.dispose();
});

// ---------------------------------------------------------------- values

/** Erlang source text of a term and the JS value it maps to. */
const CASES: Array<[string, Value]> = [
  ['0', 0],
  ['-7', -7],
  ['134217727', 134217727],
  ['134217728', 134217728],
  ['-134217729', -134217729],
  ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ['9007199254740992', 9007199254740992n],
  ['-9007199254740992', -9007199254740992n],
  ['123456789012345678901234567890', 123456789012345678901234567890n],
  ['1.5', 1.5],
  ['-0.25', -0.25],
  ['1.0', new Float(1)],
  ['-0.0', new Float(-0)],
  ['0.0', new Float(0)],
  ['1.0e300', new Float(1e300)],
  ['3.141592653589793', Math.PI],
  ['true', true],
  ['false', false],
  ['ok', atom('ok')],
  ["'hello world'", atom('hello world')],
  ["'héllo'", atom('héllo')],
  ['undefined', atom('undefined')],
  ['[]', []],
  ['[1,2,3]', [1, 2, 3]],
  ['"abc"', [97, 98, 99]],
  ['[a|b]', improperList([atom('a')], atom('b'))],
  ['[1,2|3.5]', improperList([1, 2], 3.5)],
  ['{}', tuple()],
  ['{a,1,{b,[]}}', tuple(atom('a'), 1, tuple(atom('b'), []))],
  ['<<>>', new Uint8Array(0)],
  ['<<1,2,255>>', Uint8Array.of(1, 2, 255)],
  ['<<"héllo"/utf8>>', binary('héllo')],
  ['<<5:3>>', new Bitstring(Uint8Array.of(0b10100000), 3)],
  ['<<1,2,3:4>>', new Bitstring(Uint8Array.of(1, 2, 0x30), 20)],
  ['#{}', new Map()],
  // A small map comes out in key order (atom < tuple < binary), as the VM iterates it.
  ['#{a => 1, <<"k">> => [2.5], {t} => #{}}', new Map<Value, Value>([[atom('a'), 1], [tuple(atom('t')), new Map()], [binary('k'), [2.5]]])],
  ['#{1 => one, 1.0 => float_one}', new Map<Value, Value>([[1, atom('one')], [new Float(1), atom('float_one')]])],
  [
    `maps:from_list([{K, K * 2} || K <- lists:seq(1, 40)])`,
    new Map<Value, Value>(Array.from({ length: 40 }, (_, i) => [i + 1, (i + 1) * 2] as [Value, Value])),
  ],
  ['fun lists:reverse/1', new ExportFun(atom('lists'), atom('reverse'), 1)],
];

/** A big binary (off-heap), built on both sides. */
const BIG = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);

describe('values', () => {
  it('JS → Erlang: each value is the term erl prints for the source text', async () => {
    const vm = await newVM();
    const exprs = CASES.map(([src]) => src);
    const erlOut = erlEvalBytes(`Ts = [${exprs.join(', ')}], [io:format("~w~n", [T]) || T <- Ts], halt().`)
      .toString('latin1')
      .split('\n');
    for (let i = 0; i < CASES.length; i++) {
      const [, v] = CASES[i]!;
      const printed = await vm.call('io_lib', 'format', ['~w', [v]]);
      expect(fromCharlist(flatten(printed)), CASES[i]![0]).toBe(erlOut[i]);
    }
  });

  it('Erlang → JS: terms parsed from source come out as the documented values, maps in the order erl prints them', async () => {
    const vm = await newVM();
    const erlOut = erlEvalBytes(`Ts = [${CASES.map(([src]) => src).join(', ')}], [io:format("~w~n", [T]) || T <- Ts], halt().`)
      .toString('latin1')
      .split('\n');
    for (let i = 0; i < CASES.length; i++) {
      const [src, v] = CASES[i]!;
      // (erl_eval builds `fun M:F/A` with erlang:make_fun/3, which beamjs lacks so far: a compiled one instead.)
      const out = src.startsWith('fun ') ? await vm.call('api_t', 'rev_fun') : await evalErl(vm, src);
      expect(same(out, v), `${src}: ${formatValue(out)}`).toBe(true);
      if (!(out instanceof ExportFun)) expect(formatValue(out)).toBe(erlOut[i]);
    }
  });

  it('round trips: JS → Erlang → JS keeps every value (identity function, messages, spawn arguments)', async () => {
    const vm = await newVM();
    const ref = await vm.call('erlang', 'make_ref');
    const self = await vm.call('erlang', 'self');
    const port = await evalErl(vm, 'list_to_port("#Port<0.7>")');
    const closure = await vm.call('api_t', 'closure', [10]);
    const all: Value[] = [...CASES.map(([, v]) => v), ref, self, port, closure, BIG, 'a string', new Float(2.5), 12345678901234567890n];
    for (const v of all) {
      const back = await vm.call('api_t', 'id', [v]);
      // Normalized on the way: a string comes back as its binary, a Float with a fraction as a number.
      const expected = typeof v === 'string' ? binary(v) : v instanceof Float && !Number.isInteger(v.value) ? v.value : v;
      expect(same(back, expected), formatValue(v)).toBe(true);
    }
    // Through a message and back.
    const box = vm.mailbox();
    const echo = vm.spawn('api_t', 'echo_loop');
    for (const v of all) {
      vm.send(echo, tuple(box.pid, v));
      const reply = (await box.receive({ timeout: 5000 })) as Tuple<Value>;
      expect(reply.elements[1]).toEqual(echo);
      expect(same(reply.elements[2]!, typeof v === 'string' ? binary(v) : v instanceof Float && !Number.isInteger(v.value) ? v.value : v), formatValue(v)).toBe(true);
    }
    vm.send(echo, atom('stop'));
    // As spawn arguments: erlang:send(Mailbox, V) in a new process.
    for (const v of all) {
      vm.spawn('erlang', 'send', [box.pid, v]);
      const got = (await box.receive({ timeout: 5000 }))!;
      expect(same(got, typeof v === 'string' ? binary(v) : v instanceof Float && !Number.isInteger(v.value) ? v.value : v), formatValue(v)).toBe(true);
    }
  });

  it('handles: a ref, a pid and funs keep their identity in the VM', async () => {
    const vm = await newVM();
    const ref = (await vm.call('erlang', 'make_ref')) as Ref;
    expect(ref).toBeInstanceOf(Ref);
    expect(await vm.call('erlang', '=:=', [ref, ref])).toBe(true);
    expect(await vm.call('erlang', 'is_reference', [ref])).toBe(true);
    const f = await vm.call('api_t', 'rev_fun');
    expect(f).toBeInstanceOf(ExportFun);
    expect(await vm.call('erlang', 'apply', [f, [[1, 2, 3]]])).toEqual([3, 2, 1]);
    const add10 = await vm.call('api_t', 'closure', [10]);
    expect(add10).toBeInstanceOf(LocalFun);
    expect(await vm.call('erlang', 'apply', [add10, [5]])).toBe(15);
    const pid = vm.spawn('api_t', 'echo_loop');
    expect(pid).toBeInstanceOf(Pid);
    expect(await vm.call('erlang', 'is_process_alive', [pid])).toBe(true);
  });

  it('helpers and refusals', async () => {
    expect(text(binary('héllo wörld'))).toBe('héllo wörld');
    expect(fromCharlist(charlist('añ€'))).toBe('añ€');
    expect(String(new Float(1))).toBe('1.0');
    const vm = await newVM();
    for (const bad of [NaN, Infinity, undefined, null, Symbol('x'), {}, () => 1]) {
      await expect(vm.call('api_t', 'id', [bad as unknown as Value])).rejects.toThrow(TypeError);
    }
    expect(() => new Float(NaN)).toThrow(TypeError);
    // 1 and 1n are one Erlang key: a Map holding both is refused, and nothing starts.
    await expect(vm.call('maps', 'size', [new Map<Value, Value>([[1, 1], [1n, 2]])])).rejects.toThrow(/duplicate key/);
    expect(() => vm.spawn('maps', 'size', [new Map<Value, Value>([[1, 1], [1n, 2]])])).toThrow(/duplicate key/);
    // -0 as a plain number is the integer 0.
    expect(await vm.call('erlang', 'is_integer', [-0])).toBe(true);
    expect(await vm.call('erlang', 'is_float', [new Float(-0)])).toBe(true);
  });
});

function flatten(v: Value): number[] {
  if (Array.isArray(v)) return v.flatMap(flatten);
  if (typeof v === 'number') return [v];
  throw new Error(`not chars: ${formatValue(v)}`);
}

/** Parses and evaluates Erlang source in the VM, as erl_eval does. */
async function evalErl(vm: BeamVM, src: string): Promise<Value> {
  const r = (await vm.call('erl_scan', 'string', [charlist(`${src}.`)])) as Tuple<Value>;
  const parsed = (await vm.call('erl_parse', 'parse_exprs', [r.elements[1]!])) as Tuple<Value>;
  const v = (await vm.call('erl_eval', 'exprs', [parsed.elements[1]!, await vm.call('erl_eval', 'new_bindings')])) as Tuple<Value>;
  return v.elements[1]!;
}

/** Deep equality of values: the same term (Map order and Float vs number matter). */
function same(a: Value, b: Value): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return Object.is(a, b);
  if (typeof a !== 'object' || a === null) return a === b;
  if (a instanceof Float) return b instanceof Float && Object.is(a.value, b.value);
  if (a instanceof Atom) return a === b;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]!));
  if (a instanceof Uint8Array) return b instanceof Uint8Array && !(b instanceof Bitstring) && Buffer.from(a).equals(Buffer.from(b));
  if (a instanceof Map) {
    // The same entries; the order is checked against erl's ~w where it matters.
    if (!(b instanceof Map) || a.size !== b.size) return false;
    const bs = [...b];
    return [...a].every(([k, v]) => bs.some(([k2, v2]) => same(k, k2) && same(v, v2)));
  }
  if (a instanceof Tuple) return b instanceof Tuple && same(a.elements, b.elements);
  if (a instanceof ImproperList) return b instanceof ImproperList && same(a.items, b.items) && same(a.tail, b.tail);
  return JSON.stringify(a, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x)) ===
    JSON.stringify(b, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x)) && a.constructor === b.constructor;
}

// ---------------------------------------------------------------- calls and errors

describe('call', () => {
  it('returns plain values', async () => {
    const vm = await newVM();
    expect(await vm.call('api_t', 'add', [2, 3])).toBe(5);
    expect(await vm.call('api_t', 'add', [2 ** 52, 2 ** 52 - 1])).toBe(2 ** 53 - 1);
    expect(await vm.call('api_t', 'add', [2 ** 52, 2 ** 52])).toBe(2n ** 53n);
    expect(await vm.call('api_t', 'add', [-(2 ** 52), -(2 ** 52)])).toBe(-(2n ** 53n));
    expect(await vm.call('api_t', 'add', [0.5, new Float(1)])).toBe(1.5);
    expect(await vm.call('api_t', 'add', [0.5, 0.5])).toEqual(new Float(1));
    expect(await vm.call(atom('lists'), atom('seq'), [1, 4])).toEqual([1, 2, 3, 4]);
    expect(await vm.call('string', 'uppercase', ['héllo'])).toEqual(binary('HÉLLO'));
  });

  it('rejects with ErlangError: class, reason and stack trace as erl reports them', async () => {
    const vm = await newVM();
    const kinds = ['error', 'throw', 'exit', 'badarith', 'badmatch'];
    const erlOut = erlEvalBytes(
      `code:add_patha("${dir}"), [try api_t:fail(K) catch C:R:S -> [{M, F, A, L} | _] = S, io:format("~w ~w ~w~n", [C, R, {M, F, if is_list(A) -> length(A); true -> A end, proplists:get_value(line, L)}]) end || K <- [${kinds.join(',')}]], halt().`,
    )
      .toString('latin1')
      .trim()
      .split('\n');
    for (let i = 0; i < kinds.length; i++) {
      const e = await vm.call('api_t', 'fail', [atom(kinds[i]!)]).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(ErlangError);
      const err = e as ErlangError;
      const top = err.stacktrace[0]!;
      const mine = `${err.class} ${formatValue(err.reason)} {${top.module},${top.function},${top.arity},${top.line ?? 'undefined'}}`;
      expect(mine).toBe(erlOut[i]);
      expect(err.stacktrace.every((f) => f.module !== 'beamjs_host')).toBe(true);
      expect(err.message).toBe(`${err.class}: ${formatValue(err.reason)}`);
    }
    const undef = (await vm.tryCall('api_t', 'nope', [1])).error!;
    expect(undef.class).toBe('error');
    expect(undef.reason).toBe(atom('undef'));
    expect(undef.stacktrace[0]).toMatchObject({ module: 'api_t', function: 'nope', arity: 1, args: [1] });
    const badarg = (await vm.tryCall('erlang', 'atom_to_list', [42])).error!;
    expect(badarg.stack).toContain('at erlang:atom_to_list/1');
  });

  it('tryCall gives { value } or { error }', async () => {
    const vm = await newVM();
    expect(await vm.tryCall('api_t', 'add', [1, 1])).toEqual({ value: 2 });
    const r = await vm.tryCall('api_t', 'fail', [atom('throw')]);
    expect(r.value).toBeUndefined();
    expect(r.error?.class).toBe('throw');
    expect(r.error?.reason).toBe(atom('ball'));
  });

  it('a call whose process is killed by a link rejects with the exit reason', async () => {
    const vm = await newVM();
    const e = (await vm.tryCall('api_t', 'crash_linked')).error!;
    expect(e.class).toBe('exit');
    expect(e.reason).toBe(atom('boom'));
  });

  it('calls wait for timers without blocking the event loop', async () => {
    const vm = await newVM();
    let ticks = 0;
    const iv = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    expect(await vm.call('timer', 'sleep', [100])).toBe(atom('ok'));
    clearInterval(iv);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(ticks).toBeGreaterThan(5);
  });

  it('many calls at once', async () => {
    const vm = await newVM();
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => vm.call('api_t', 'counter', [0, 1000 * i])));
    expect(rs).toEqual(Array.from({ length: 50 }, (_, i) => 1000 * i));
  });
});

// ---------------------------------------------------------------- load

describe('load', () => {
  it('loads from bytes and from a path, and the module is callable', async () => {
    const src = `-module(api_loaded).\n-export([v/0]).\nv() -> VERSION.\n`;
    const d = mkdtempSync(join(tmpdir(), 'beamjs-api-load-'));
    for (const v of [1, 2]) {
      writeFileSync(join(d, 'api_loaded.erl'), src.replace('VERSION', String(v)));
      expect(spawnSync('erlc', ['-o', d, join(d, 'api_loaded.erl')]).status).toBe(0);
      writeFileSync(join(d, `v${v}.beam`), readFileSync(join(d, 'api_loaded.beam')));
    }
    const vm = await newVM({ codePath: [] });
    expect(vm.load(readFileSync(join(d, 'v1.beam')))).toBe('api_loaded');
    expect(await vm.call('api_loaded', 'v')).toBe(1);
    expect(vm.load(join(d, 'v2.beam'))).toBe('api_loaded');
    expect(await vm.call('api_loaded', 'v')).toBe(2);
    expect(() => vm.load(Uint8Array.of(1, 2, 3))).toThrow();
  });
});

// ---------------------------------------------------------------- processes

describe('spawn, send, mailboxes, whereis', () => {
  it('spawn and send reach a process; its replies reach a JS mailbox', async () => {
    const vm = await newVM();
    const box = vm.mailbox();
    const echo = vm.spawn('api_t', 'echo_loop');
    expect(vm.send(echo, tuple(box.pid, atom('hi')))).toBe(true);
    expect(await box.receive()).toEqual(tuple(atom('echo'), echo, atom('hi')));
    vm.send(echo, atom('stop'));
    await vm.call('timer', 'sleep', [10]);
    expect(vm.isAlive(echo)).toBe(false);
    expect(vm.send(echo, atom('lost'))).toBe(false);
  });

  it('a named mailbox: Erlang sends to the name; whereis finds it; selective receive, timeouts, for await', async () => {
    const vm = await newVM();
    const box = vm.mailbox({ name: 'js_inbox' });
    expect(vm.whereis('js_inbox')).toEqual(box.pid);
    expect(vm.whereis('nobody')).toBeUndefined();
    vm.spawn('api_t', 'tick', [atom('js_inbox'), 3]);
    expect(await box.receive({ match: (v) => v === atom('done') })).toBe(atom('done'));
    expect(box.size).toBe(3);
    expect(box.tryReceive()).toEqual(tuple(atom('tick'), 3));
    expect(await box.receive({ timeout: 20, match: (v) => v === atom('never') })).toBeUndefined();
    const seen: Value[] = [];
    vm.send('js_inbox', atom('last'));
    for await (const m of box) {
      seen.push(m);
      if (m === atom('last')) break;
    }
    expect(seen).toEqual([tuple(atom('tick'), 2), tuple(atom('tick'), 1), atom('last')]);
    box.close();
    expect(await box.receive()).toBeUndefined();
    await vm.call('timer', 'sleep', [5]);
    expect(vm.whereis('js_inbox')).toBeUndefined();
  });

  it('whereis sees names Erlang registers', async () => {
    const vm = await newVM();
    const pid = vm.spawn('api_t', 'echo_loop');
    expect(await vm.call('erlang', 'register', [atom('echo_srv'), pid])).toBe(true);
    expect(vm.whereis('echo_srv')).toEqual(pid);
    expect(vm.whereis(atom('user'))).toBeInstanceOf(Pid);
  });
});

// ---------------------------------------------------------------- natives

describe('native functions', () => {
  it('a JS function called from Erlang', async () => {
    const vm = await newVM();
    vm.defineNative('js:double/1', (x: number) => x * 2);
    expect(await vm.call('api_t', 'ask_js', [21])).toEqual(tuple(atom('got'), 42));
    let self: Pid | undefined;
    vm.defineNatives('jsmod', {
      'whoami/0': function () {
        self = this.self;
        return atom('me');
      },
      'concat/2': (a: Uint8Array, b: Uint8Array) => binary(text(a) + text(b)),
    });
    expect(await vm.call('jsmod', 'whoami')).toBe(atom('me'));
    expect(self).toBeInstanceOf(Pid);
    expect(await vm.call('jsmod', 'concat', ['ab', 'cd'])).toEqual(binary('abcd'));
    expect(() => vm.defineNative('js:double/1', () => 0)).toThrow(/already defined/);
    expect(() => vm.defineNative('nonsense', () => 0)).toThrow(TypeError);
  });

  it('errors from natives: ErlangError keeps its class, other exceptions become {js_error, Message}', async () => {
    const vm = await newVM();
    vm.defineNatives('jsfail', {
      'throws/0': () => {
        throw new ErlangError('throw', tuple(atom('my'), 1));
      },
      'oops/0': () => {
        throw new Error('kaput');
      },
      'bad/0': () => undefined as unknown as Value,
      'dup/0': () => new Map<Value, Value>([[1, 1], [1n, 2]]),
    });
    const t = (await vm.tryCall('jsfail', 'throws')).error!;
    expect([t.class, t.reason]).toEqual(['throw', tuple(atom('my'), 1)]);
    const o = (await vm.tryCall('jsfail', 'oops')).error!;
    expect([o.class, o.reason]).toEqual(['error', tuple(atom('js_error'), binary('kaput'))]);
    expect(o.stacktrace[0]).toMatchObject({ module: 'jsfail', function: 'oops', arity: 0 });
    const b = (await vm.tryCall('jsfail', 'bad')).error!;
    expect(b.reason).toEqual(tuple(atom('js_error'), binary('undefined is not an Erlang term')));
    expect((await vm.tryCall('jsfail', 'dup')).error!.reason).toEqual(tuple(atom('js_error'), binary('fromETerm: a map with a duplicate key')));
    // Caught in Erlang like any exception.
    expect(await evalErl(vm, 'try jsfail:oops() catch error:{js_error, M} -> {caught, M} end')).toEqual(tuple(atom('caught'), binary('kaput')));
  });

  it('an async native suspends only its caller: other processes and calls run meanwhile', async () => {
    const vm = await newVM();
    const events: string[] = [];
    let release!: (v: Value) => void;
    vm.defineNative('js:later/1', (x: number) => {
      events.push('native called');
      return new Promise<Value>((resolve) => {
        release = (v) => resolve(v);
      }).then((v) => (v as number) + x);
    });
    const slow = vm.call('api_t', 'ask_js_async', [1]).then((v) => {
      events.push('slow done');
      return v;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['native called']);
    // The VM is not blocked: another call (CPU work in another process) completes first.
    expect(await vm.call('api_t', 'counter', [0, 200000])).toBe(200000);
    const box = vm.mailbox();
    vm.spawn('api_t', 'tick', [box.pid, 2]);
    expect(await box.receive({ match: (v) => v === atom('done') })).toBe(atom('done'));
    events.push('others done');
    release(100);
    expect(await slow).toEqual(tuple(atom('got'), 101));
    expect(events).toEqual(['native called', 'others done', 'slow done']);
  });

  it('an async native that rejects raises in its caller; a message does not wake it early', async () => {
    const vm = await newVM();
    let caller: Pid | undefined;
    vm.defineNative('js:later/1', function (x: number) {
      caller = this.self;
      return new Promise<Value>((_, reject) => setTimeout(() => reject(new ErlangError('exit', tuple(atom('late'), x))), 30));
    });
    const pending = vm.tryCall('api_t', 'ask_js_async', [7]);
    // Sends to the caller while it waits: it re-parks and still waits for the promise.
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 3; i++) expect(vm.send(caller!, atom('noise'))).toBe(true);
    const e = (await pending).error!;
    expect([e.class, e.reason]).toEqual(['exit', tuple(atom('late'), 7)]);
  });

  it('natives called from JIT-compiled code, and without the JIT', async () => {
    for (const jit of [{ threshold: 1 }, false as const]) {
      const vm = await newVM({ jit });
      vm.defineNative('js:double/1', (x: number) => x * 2);
      vm.defineNative('js:later/1', async (x: number) => x + 1);
      for (let i = 0; i < 5; i++) {
        expect(await vm.call('api_t', 'ask_js', [i])).toEqual(tuple(atom('got'), 2 * i));
        expect(await vm.call('api_t', 'ask_js_async', [i])).toEqual(tuple(atom('got'), i + 1));
      }
    }
  });

  it('many async calls in parallel', async () => {
    const vm = await newVM();
    vm.defineNative('js:later/1', async (x: number) => {
      await new Promise((r) => setTimeout(r, 10));
      return x * 3;
    });
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => vm.call('api_t', 'ask_js_async', [i])));
    expect(rs).toEqual(Array.from({ length: 20 }, (_, i) => tuple(atom('got'), i * 3)));
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

// ---------------------------------------------------------------- isolation

describe('several VMs', () => {
  it('two VMs side by side: separate natives, processes, names and atoms', async () => {
    const a = await newVM();
    const b = await newVM();
    a.defineNative('js:double/1', (x: number) => x * 2);
    b.defineNative('js:double/1', (x: number) => x * 1000);
    const [ra, rb] = await Promise.all([a.call('api_t', 'ask_js', [2]), b.call('api_t', 'ask_js', [2])]);
    expect(ra).toEqual(tuple(atom('got'), 4));
    expect(rb).toEqual(tuple(atom('got'), 2000));
    a.defineNative('only_a:f/0', () => atom('a'));
    expect(await a.call('only_a', 'f')).toBe(atom('a'));
    expect((await b.tryCall('only_a', 'f')).error?.reason).toBe(atom('undef'));
    const c = await newVM();
    expect((await c.tryCall('only_a', 'f')).error?.reason).toBe(atom('undef'));
    expect((await c.tryCall('js', 'double', [1])).error?.reason).toBe(atom('undef'));
    a.mailbox({ name: 'shared_name' });
    expect(b.whereis('shared_name')).toBeUndefined();
    expect(b.mailbox({ name: 'shared_name' }).pid).toBeInstanceOf(Pid);
    // Both run at once, interleaved on the one thread.
    const [x, y] = await Promise.all([a.call('api_t', 'counter', [0, 300000]), b.call('api_t', 'counter', [0, 300000])]);
    expect([x, y]).toEqual([300000, 300000]);
    await a.dispose();
    expect(await b.call('api_t', 'add', [1, 2])).toBe(3);
  });
});

// ---------------------------------------------------------------- I/O, halt, dispose

describe('standard I/O, halt and dispose', () => {
  it('stdout and stderr go to callbacks or streams, byte for byte what erl writes', async () => {
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    const vm = await newVM({ stdout: (b) => out.push(b), stderr: { write: (b: Uint8Array) => err.push(b) } });
    await vm.call('api_t', 'greet');
    const erl = spawnSync('erl', ['-noshell', '-pa', dir, '-run', 'api_t', 'greet', '-run', 'init', 'stop'], { encoding: 'latin1' });
    expect(Buffer.concat(out).toString('latin1')).toBe(erl.stdout);
    expect(Buffer.concat(err).toString('latin1')).toBe(erl.stderr);
  });

  it('stdin from a string', async () => {
    const vm = await newVM({ stdin: 'one\ntwo\n' });
    expect(await vm.call('api_t', 'read2')).toEqual(tuple(charlist('one\n'), charlist('two\n')));
    const vm2 = await newVM();
    expect(await vm2.call('api_t', 'read2')).toEqual(tuple(atom('eof'), atom('eof')));
    const lines = ['fir', 'st\nsec', 'ond\n'];
    const vm3 = await newVM({ stdin: Readable.from(lines.map((l) => Buffer.from(l))) });
    expect(await vm3.call('api_t', 'read2')).toEqual(tuple(charlist('first\n'), charlist('second\n')));
    // A stream that has nothing yet: the reader waits, other calls go on.
    const input = new PassThrough();
    const vm4 = await newVM({ stdin: input });
    const reading = vm4.call('api_t', 'read2');
    expect(await vm4.call('api_t', 'add', [1, 2])).toBe(3);
    input.write('late\n');
    input.end();
    expect(await reading).toEqual(tuple(charlist('late\n'), atom('eof')));
  });

  it('erlang:halt stops the VM: waiting calls reject with VMStoppedError', async () => {
    const vm = await newVM();
    const waiting = vm.call('timer', 'sleep', [10000]);
    const halting = vm.call('erlang', 'halt', [3]);
    for (const p of [waiting, halting]) {
      const e = await p.catch((x: unknown) => x);
      expect(e).toBeInstanceOf(VMStoppedError);
      expect((e as VMStoppedError).status).toBe(3);
    }
    expect(vm.halted).toBe(3);
    expect(() => vm.spawn('api_t', 'echo_loop')).toThrow(VMStoppedError);
  });

  it('dispose and Symbol.asyncDispose: pending work rejects, mailboxes close, the VM refuses new work', async () => {
    const vm = await newVM();
    const box = vm.mailbox();
    const receiving = box.receive();
    const pending = vm.call('timer', 'sleep', [10000]);
    await vm[Symbol.asyncDispose]();
    expect(vm.isDisposed).toBe(true);
    await expect(pending).rejects.toBeInstanceOf(VMStoppedError);
    expect(await receiving).toBeUndefined();
    await expect(vm.call('api_t', 'add', [1, 2])).rejects.toBeInstanceOf(VMStoppedError);
    expect(() => vm.send(box.pid, 1)).toThrow(VMStoppedError);
    await vm.dispose(); // twice is fine
  });

  it('Elixir modules, and OTP/Elixir locations as options', async () => {
    const vm = await newVM();
    expect(await vm.call('Elixir.String', 'upcase', ['héllo'])).toEqual(binary('HÉLLO'));
    expect(await vm.call('Elixir.Enum', 'sum', [[1, 2, 3]])).toBe(6);
    const root = erlEvalBytes('io:format("~s", [code:root_dir()]), halt().').toString();
    const located = await newVM({ otpRoot: root, elixirRoot: '/usr/lib/elixir' });
    expect(fromCharlist(await located.call('code', 'root_dir'))).toBe(root);
    expect(await located.call('Elixir.Enum', 'reverse', [[1, 2]])).toEqual([2, 1]);
    const bare = await newVM({ otpLibraries: false });
    expect((await bare.tryCall('lists', 'seq', [1, 2])).error?.reason).toBe(atom('undef'));
  });

  it('the memory limit is an option', async () => {
    const vm = await newVM({ memoryLimit: 64 * 2 ** 20 });
    expect(await vm.call('lists', 'sum', [[1, 2, 3]])).toBe(6);
  });
});
