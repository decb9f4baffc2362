/**
 * `beamjs run` as a user runs it (the built CLI, dist/cli.js), against the
 * real `erl -noshell -run ... -run init stop` on the same .beam files:
 * standard output, the uncaught-error line, and exit statuses.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
let dir = '';

const SOURCES: Record<string, string> = {
  greet: `-module(greet).
-export([start/0, main/1]).
start() -> io:format("hello~n").
main(Args) -> io:format("args: ~p~n", [Args]).`,
  crash: `-module(crash).
-export([start/0]).
start() -> X = lists:seq(1, 3), foo(X).
foo(X) -> atom_to_list(X).`,
  halter: `-module(halter).
-export([start/0]).
start() -> io:format("bye~n"), erlang:halt(3).`,
  reader: `-module(reader).
-export([start/0]).
start() ->
    L = io:get_line("name? "),
    io:format("got ~p~n", [L]),
    io:format("read ~p~n", [io:read("term? ")]),
    io:format("chars ~p~n", [io:get_chars("", 3)]),
    io:format("rest ~p~n", [io:get_line("")]),
    io:format("eof ~p~n", [io:get_line("")]).`,
  thrower: `-module(thrower).
-export([start/0]).
start() -> throw(ball).`,
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'beamjs-cli-'));
  for (const [name, src] of Object.entries(SOURCES)) writeFileSync(join(dir, `${name}.erl`), src);
  const erlc = spawnSync('erlc', ['-o', dir, ...Object.keys(SOURCES).map((n) => join(dir, `${n}.erl`))]);
  expect(erlc.status).toBe(0);
});

function erl(args: string[], input = ''): { stdout: string; status: number | null } {
  const r = spawnSync('erl', ['-noshell', '-pa', dir, '-run', ...args, '-run', 'init', 'stop'], {
    encoding: 'latin1',
    input,
    env: { ...process.env, ERL_CRASH_DUMP_SECONDS: '0' },
  });
  return { stdout: r.stdout, status: r.status };
}

function beamjs(args: string[], input = ''): { stdout: string; status: number | null } {
  const r = spawnSync(process.execPath, [cli, 'run', '-pa', dir, ...args], { encoding: 'latin1', input });
  return { stdout: r.stdout, status: r.status };
}

/** erl's uncaught-error line ends with init's frames, which direct start-up does not have. */
const withoutInitFrames = (s: string): string => s.replace(/,\{init,[a-z_]+,\d+,\[\]\}/g, '');

describe('beamjs run, compared with erl -run', () => {
  it('default function start/0', () => {
    expect(beamjs(['greet'])).toEqual(erl(['greet']));
  });
  it('a function with arguments gets one list of strings', () => {
    expect(beamjs(['greet', 'main', 'a', 'b c'])).toEqual(erl(['greet', 'main', 'a', 'b c']));
  });
  it('a .beam path works as the module', () => {
    const r = spawnSync(process.execPath, [cli, 'run', join(dir, 'greet.beam')], { encoding: 'latin1' });
    expect(r.stdout).toBe(erl(['greet']).stdout);
  });
  it('standard input: get_line, read, get_chars, eof, with prompts', () => {
    const input = 'Joe\n{a, [1,2]}.\nabcdef\n';
    expect(beamjs(['reader'], input)).toEqual(erl(['reader'], input));
  });
  it('erlang:halt(N) exits with N', () => {
    expect(beamjs(['halter'])).toEqual(erl(['halter']));
  });
  it('an uncaught error prints the init terminating line and exits 1', () => {
    const ours = beamjs(['crash']);
    const theirs = erl(['crash']);
    expect(ours.status).toBe(1);
    expect(theirs.status).toBe(1);
    // (No output before the crash: erl writes the error line with erlang:display, racing its own I/O server.)
    expect(ours.stdout).toBe(withoutInitFrames(theirs.stdout));
  });
  it('an uncaught throw', () => {
    const ours = beamjs(['thrower']);
    const theirs = erl(['thrower']);
    expect(ours.status).toBe(theirs.status);
    expect(ours.stdout).toBe(withoutInitFrames(theirs.stdout));
  });
  it('an undefined module is undef, status 1', () => {
    const ours = beamjs(['no_such_module']);
    const theirs = erl(['no_such_module']);
    expect(ours.status).toBe(1);
    expect(ours.stdout).toBe(withoutInitFrames(theirs.stdout));
  });
});
