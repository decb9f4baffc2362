#!/usr/bin/env node
/**
 * The side-by-side benchmark suite: runs each program of bench/programs on
 * beamjs and on the real erl, alternately, and prints a table of in-program
 * and whole-process times (min and median over the rounds), their ratio, and
 * whether both VMs computed the same result. A result that differs from
 * erl's is reported as wrong and not timed.
 *
 *   node bench/run.mjs [--rounds R] [--timeout S] [--no-smp] [BENCHMARK...]
 *   node bench/run.mjs --profile BENCHMARK [--top N] [--arg N]
 *   node bench/run.mjs --smoke [BENCHMARK...]     (JSON; for test/bench/smoke.test.ts)
 *
 * (`npm run bench` builds beamjs first.) Writes bench/results.json as well.
 * Exit status: 0 even when beamjs fails or is wrong on a benchmark (the
 * table says so); 1 when the runner itself cannot work (no erl/erlc, a
 * program that does not compile, or a benchmark that fails on the real erl,
 * which is a bug of the suite); 2 for a bad command line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS, TARGETS } from './benchmarks.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROGRAMS = join(ROOT, 'bench', 'programs');
const EBIN = join(ROOT, 'bench', 'ebin');
const CLI = join(ROOT, 'dist', 'cli.js');
const RESULTS = join(ROOT, 'bench', 'results.json');
const PROFILES = join(ROOT, 'bench', 'profiles');

const USAGE = `usage: node bench/run.mjs [options] [BENCHMARK...]
  --rounds R         runs per VM and benchmark, alternating beamjs and erl (default 3)
  --timeout SECONDS  time limit of one run (default 120)
  --no-smp           skip the 1-vs-2-schedulers runs
  --profile NAME     run NAME once on beamjs under node --cpu-prof and print
                     the functions with the most self time (no erl run)
  --top N            rows of the profile and BIF-count tables (default 30)
  --arg N            the N given to the program (default: the benchmark's own)
  --smoke            every benchmark once at its smallest size on both VMs,
                     results as JSON (what test/bench/smoke.test.ts runs)
  --markdown         print bench/results.json as Markdown tables (for the README)
  --note TEXT        a remark kept in results.json (e.g. "machine shared with test runs")
benchmarks: ${BENCHMARKS.map((b) => b.name).join(' ')}`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { rounds: 3, timeoutS: 120, names: [], smp: true, profile: null, top: 30, arg: null, smoke: false };
  const positive = (flag, value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a positive integer, not ${value}`);
    return n;
  };
  const known = (name) => {
    if (!BENCHMARKS.some((b) => b.name === name)) throw new UsageError(`unknown benchmark ${name}`);
    return name;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? a.split(/=(.*)/s) : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--rounds') opts.rounds = positive('--rounds', value());
    else if (flag === '--timeout') opts.timeoutS = positive('--timeout', value());
    else if (flag === '--no-smp') opts.smp = false;
    else if (flag === '--profile') opts.profile = known(value());
    else if (flag === '--top') opts.top = positive('--top', value());
    else if (flag === '--arg') opts.arg = String(positive('--arg', value()));
    else if (flag === '--smoke') opts.smoke = true;
    else if (flag === '--markdown') opts.markdown = true;
    else if (flag === '--note') opts.note = value();
    else if (flag === '-h' || flag === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (flag.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else opts.names.push(known(a));
  }
  return opts;
}

// ---------------------------------------------------------------- running

/** Runs a command to completion; never throws for the command's own failure. */
function run(command, args, timeoutS) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error && r.error.code === 'ENOENT') throw new Error(`cannot run ${command}: not found`);
  const timedOut = r.error?.code === 'ETIMEDOUT';
  // Any other failure to run (ENOBUFS: more than 64 MB of output) is the
  // run's failure, reported in its row, not the runner's.
  const failed = r.error && !timedOut ? `${r.error.code ?? ''} ${r.error.message}`.trim() : '';
  return { stdout: r.stdout ?? '', stderr: failed || (r.stderr ?? ''), status: r.status, signal: r.signal, timedOut, wallMs };
}

/**
 * The line that best says why a run failed: the first non-empty line of
 * stderr (else stdout), except when that is the source location heading
 * Node's uncaught-exception report (then the `SomeError: message` line below
 * it) or V8's fatal-error banner of `#` lines (then its first two messages).
 */
export function errorLine(out) {
  const nonEmpty = (text) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const lines = [...nonEmpty(out.stderr), ...nonEmpty(out.stdout)];
  let line = lines[0];
  if (line?.startsWith('#')) {
    line = lines.filter((l) => /^#\s*\S/.test(l)).slice(0, 2).map((l) => l.replace(/^#\s*/, '')).join(' / ');
  } else if (line !== undefined && /^(file:\/\/|node:|\/).*:\d+$/.test(line)) {
    line = lines.find((l) => /^[\w.$]*(Error|Exception)\b.*:/.test(l)) ?? line;
  }
  if (line !== undefined) return line.length > 400 ? `${line.slice(0, 400)}...` : line;
  return out.signal ? `killed by ${out.signal}` : `exit status ${out.status}, no output`;
}

/** Whether this beamjs CLI takes --schedulers N (its `run` usage lists it). */
function beamjsHasSchedulers() {
  if (!existsSync(CLI)) return false;
  for (const args of [['run', '--help'], ['help', 'run']]) {
    const out = run(process.execPath, [CLI, ...args], 30);
    if (out.status === 0 && /--schedulers\b/.test(out.stdout + out.stderr)) return true;
  }
  return false;
}

/** The command line of one run: [command, args]. */
function commandLine(vm, bench, { arg = bench.arg, iters = bench.iters, schedulers } = {}) {
  const ebin = relative(ROOT, EBIN);
  const progArgs = iters === undefined ? [arg] : [arg, String(iters)];
  if (vm === 'erl') {
    // -s erlang halt rather than -run init stop: init:stop's orderly shutdown
    // adds about a second that is not the program's (it would swamp the
    // whole-process time); halt/0 flushes standard output first.
    const sched = schedulers === undefined ? [] : ['+S', `${schedulers}:${schedulers}`];
    return ['erl', [...sched, '-noshell', '-pa', ebin, '-run', bench.module, 'main', ...progArgs, '-s', 'erlang', 'halt']];
  }
  const sched = schedulers === undefined ? [] : ['--schedulers', String(schedulers)];
  return [process.execPath, [CLI, 'run', ...sched, '-pa', ebin, bench.module, 'main', ...progArgs]];
}

/**
 * One run of one benchmark on one VM:
 * { us, minUs, checksum, wallMs, metrics } or { error, wallMs }.
 */
function runBenchmark(vm, bench, timeoutS, options = {}) {
  const [command, args] = commandLine(vm, bench, options);
  const out = run(command, args, timeoutS);
  return parseOutput(out, bench, timeoutS);
}

function parseOutput(out, bench, timeoutS) {
  if (out.timedOut) {
    // A VM that hangs after reporting an internal error: say what it reported.
    const said = out.stdout.trim() !== '' || out.stderr.trim() !== '' ? `: ${errorLine(out)}` : '';
    return { error: `timeout after ${timeoutS} s${said}`, wallMs: out.wallMs };
  }
  const m = new RegExp(`^RESULT ${bench.name} (\\d+) (-?\\d+) (\\d+)\\s*$`, 'm').exec(out.stdout);
  if (m === null) return { error: errorLine(out), wallMs: out.wallMs };
  const metrics = {};
  for (const [, key, value, unit] of out.stdout.matchAll(/^METRIC (\S+) (\S+) ?(.*)$/gm)) {
    metrics[key] = { value: value === 'n/a' ? null : Number(value), unit: unit.trim() };
  }
  // Checksums stay strings: they may exceed 2^53 and are only compared.
  return { us: Number(m[1]), checksum: m[2], minUs: Number(m[3]), wallMs: out.wallMs, metrics };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const min = (values) => (values.length === 0 ? undefined : Math.min(...values));

/**
 * The per-VM summary of a benchmark's rounds. `reference` is erl's checksum
 * (for beamjs): a run whose checksum differs is wrong and its time not used.
 */
function summarize(runs, reference) {
  const error = runs.find((r) => r.error !== undefined)?.error;
  const checksums = [...new Set(runs.filter((r) => r.checksum !== undefined).map((r) => r.checksum))];
  const good = runs.filter((r) => r.us !== undefined);
  const base = { runsUs: good.map((r) => r.us), runsWallMs: good.map((r) => Math.round(r.wallMs)) };
  if (error !== undefined) return { error, ...base, checksums };
  if (checksums.length > 1) return { wrong: `checksum differs between rounds: ${checksums.join(', ')}`, ...base, checksums };
  if (reference !== undefined && checksums[0] !== reference) {
    return { wrong: `result ${checksums[0]}, erl's is ${reference}`, checksum: checksums[0], runsUs: [], runsWallMs: [] };
  }
  const metrics = {};
  for (const key of Object.keys(good[0]?.metrics ?? {})) {
    const values = good.map((r) => r.metrics[key]?.value);
    metrics[key] = {
      value: values.some((v) => v === null || v === undefined) ? null : median(values),
      unit: good[0].metrics[key].unit,
    };
  }
  return {
    minUs: min(good.map((r) => r.minUs)),
    medianUs: median(good.map((r) => r.us)),
    wallMinMs: min(good.map((r) => r.wallMs)),
    wallMedianMs: median(good.map((r) => r.wallMs)),
    ...base,
    checksum: checksums[0],
    metrics,
  };
}

// ---------------------------------------------------------------- compiling

/** Compiles every program whose .beam is missing or older than its .erl or the shared include. */
function compilePrograms(benchmarks) {
  mkdirSync(EBIN, { recursive: true });
  const includes = readdirSync(PROGRAMS).filter((f) => f.endsWith('.hrl'));
  const newestInclude = Math.max(0, ...includes.map((f) => statSync(join(PROGRAMS, f)).mtimeMs));
  for (const b of benchmarks) {
    const source = join(PROGRAMS, `${b.module}.erl`);
    const beam = join(EBIN, `${b.module}.beam`);
    if (!existsSync(source)) throw new Error(`missing program ${relative(ROOT, source)}`);
    const beamTime = existsSync(beam) ? statSync(beam).mtimeMs : -1;
    if (beamTime >= statSync(source).mtimeMs && beamTime >= newestInclude) continue;
    const out = run('erlc', ['-o', relative(ROOT, EBIN), relative(ROOT, source)], 120);
    if (out.status !== 0) throw new Error(`erlc ${relative(ROOT, source)} failed:\n${out.stdout}${out.stderr}`);
    process.stderr.write(`compiled ${relative(ROOT, beam)}\n`);
  }
}

// ---------------------------------------------------------------- environment

function describeEnvironment() {
  const otp = run(
    'erl',
    [
      '-noshell',
      '-eval',
      'io:format("~s ~s ~s ~w", [erlang:system_info(otp_release), erlang:system_info(version), ' +
        'erlang:system_info(emu_flavor), erlang:system_info(schedulers_online)]), halt().',
    ],
    60,
  );
  const [release, erts, flavor, schedulers] = otp.stdout.trim().split(' ');
  if (release === undefined || erts === undefined) throw new Error(`cannot ask erl for its version: ${errorLine(otp)}`);
  const git = run('git', ['describe', '--always', '--dirty'], 30);
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    otp: { release, erts, flavor, schedulers: Number(schedulers) },
    beamjs: { commit: git.status === 0 ? git.stdout.trim() : 'unknown', cli: relative(ROOT, CLI), built: existsSync(CLI) },
    machine: {
      cpu: cpus[0]?.model.trim() ?? 'unknown',
      cores: cpus.length,
      memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadAverage: loadAverage(),
    },
  };
}

const loadAverage = () => os.loadavg().map((l) => Number(l.toFixed(2)));

// ---------------------------------------------------------------- output

/** Error notes are cut to this many characters in the table (results.json has them whole). */
const NOTE_WIDTH = 100;
const ms = (us) => (us === undefined ? '-' : (us / 1000).toFixed(1));
const fixed = (x, digits = 1) => (x === undefined || x === null ? '-' : x.toFixed(digits));
/** A metric's value: integers as they are, others with two decimals. */
const figure = (x) => (x === undefined || x === null ? 'n/a' : Number.isInteger(x) ? String(x) : x.toFixed(2));
const cut = (note) => (note.length > NOTE_WIDTH ? `${note.slice(0, NOTE_WIDTH)}...` : note);

/** Lines of a table; `numeric[i]` right-aligns column i; the last column is free text. */
function table(header, rows, numeric) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? String(c) : numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? Math.min(w, 4) : w))), ...rows.map(line)];
}

/** A VM's state in one word for the time columns: the time, or error / wrong. */
function cell(s, value) {
  if (s.error !== undefined) return 'error';
  if (s.wrong !== undefined) return 'wrong';
  return value;
}

function mainTable(results) {
  const header = [
    'benchmark', 'beamjs min', 'beamjs med', 'erl min', 'erl med', 'ratio',
    'proc beamjs', 'proc erl', 'proc ratio', 'result', 'note',
  ];
  const rows = results.map((r) => {
    const startup = r.kind === 'startup';
    const b = r.beamjs;
    const e = r.erl;
    return [
      r.name,
      cell(b, startup ? '-' : ms(b.minUs)),
      cell(b, startup ? '-' : ms(b.medianUs)),
      cell(e, startup ? '-' : ms(e.minUs)),
      cell(e, startup ? '-' : ms(e.medianUs)),
      r.ratio === null ? '-' : fixed(r.ratio, 2),
      cell(b, fixed(b.wallMedianMs, 0)),
      cell(e, fixed(e.wallMedianMs, 0)),
      r.wallRatio === null ? '-' : fixed(r.wallRatio, 2),
      r.result,
      [e.error && `erl error: ${e.error}`, b.error && `error: ${b.error}`, b.wrong && `WRONG: ${b.wrong}`]
        .filter(Boolean)
        .map(cut)
        .join('; '),
    ];
  });
  return table(header, rows, [false, true, true, true, true, true, true, true, true, false, false]);
}

function metricsTable(results) {
  const rows = [];
  for (const r of results) {
    if (r.kind !== 'metrics') continue;
    const keys = [...new Set([...Object.keys(r.beamjs.metrics ?? {}), ...Object.keys(r.erl.metrics ?? {})])];
    for (const key of keys) {
      const b = r.beamjs.metrics?.[key];
      const e = r.erl.metrics?.[key];
      const target = TARGETS[`${r.name}.${key}`];
      const bv = b?.value;
      const ev = e?.value;
      const both = typeof bv === 'number' && typeof ev === 'number';
      rows.push([
        `${r.name}.${key}`,
        r.beamjs.error ? 'error' : r.beamjs.wrong ? 'wrong' : figure(bv),
        r.erl.error ? 'error' : figure(ev),
        both && ev !== 0 ? fixed(bv / ev, 2) : '-',
        (b ?? e)?.unit ?? '',
        target === undefined ? '' : `${target.text}${typeof bv === 'number' ? (target.check(bv, ev) ? ' met' : ' NOT met') : ''}`,
      ]);
    }
  }
  if (rows.length === 0) return [];
  return table(['figure', 'beamjs', 'erl', 'beamjs/erl', 'unit', 'target'], rows, [false, true, true, true, false, false]);
}

function smpTable(smp) {
  const rows = smp.map((s) => {
    const t = (x) => (x.error ? 'error' : x.wrong ? 'wrong' : ms(x.medianUs));
    const speedup = (a, b) => (a.medianUs && b.medianUs ? `${(a.medianUs / b.medianUs).toFixed(2)}×` : '-');
    const bj = s.beamjs;
    return [
      s.name,
      bj.s1 ? t(bj.s1) : 'n/a',
      bj.s2 ? t(bj.s2) : 'n/a',
      bj.na ? bj.na : speedup(bj.s1, bj.s2),
      t(s.erl.s1),
      t(s.erl.s2),
      speedup(s.erl.s1, s.erl.s2),
      [s.erl.s1.error, s.erl.s2.error, bj.s1?.error, bj.s2?.error, bj.s1?.wrong, bj.s2?.wrong].filter(Boolean).map(cut).join('; '),
    ];
  });
  return table(
    ['benchmark', 'beamjs S1 ms', 'beamjs S2 ms', 'beamjs speedup', 'erl +S1 ms', 'erl +S2 ms', 'erl speedup', 'note'],
    rows,
    [false, true, true, true, true, true, true, false],
  );
}

function writeResults(doc) {
  // Write then rename, so an interrupted run never leaves half a file.
  const tmp = `${RESULTS}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, RESULTS);
}

// ---------------------------------------------------------------- the suite

const log = (text) => process.stderr.write(`${text}\n`);
const describeRun = (r) => (r.error !== undefined ? `error: ${r.error}` : `${ms(r.us)} ms in, ${r.wallMs.toFixed(0)} ms process, result ${r.checksum}`);

function runSuite(opts, selected, env) {
  const results = [];
  for (const bench of selected) {
    const runs = { beamjs: [], erl: [] };
    const rounds = Math.min(opts.rounds, bench.rounds);
    for (let round = 1; round <= rounds; round++) {
      // Alternate which VM goes first, so a load spike or a warm cache does
      // not always favour the same one.
      const order = round % 2 === 1 ? ['beamjs', 'erl'] : ['erl', 'beamjs'];
      for (const vm of order) {
        // A failed run is not retried: failures are deterministic so far
        // (missing instructions or BIFs), and a timeout would only repeat.
        if (runs[vm].some((r) => r.error !== undefined)) continue;
        const r =
          vm === 'beamjs' && !env.beamjs.built
            ? { error: `${relative(ROOT, CLI)} not found (npm run build)`, wallMs: 0 }
            : runBenchmark(vm, bench, opts.timeoutS);
        runs[vm].push(r);
        log(`  ${bench.name} round ${round} ${vm.padEnd(6)} ${describeRun(r)}`);
      }
      // A wrong result is not timed again.
      const ref = runs.erl.find((r) => r.checksum !== undefined)?.checksum;
      if (ref !== undefined && runs.beamjs.some((r) => r.checksum !== undefined && r.checksum !== ref)) break;
    }
    const erl = summarize(runs.erl);
    const beamjs = summarize(runs.beamjs, erl.checksum);
    const bothTimed = erl.medianUs !== undefined && beamjs.medianUs !== undefined;
    const result =
      beamjs.error !== undefined || erl.error !== undefined ? 'error' : beamjs.wrong !== undefined || erl.wrong !== undefined ? 'WRONG' : 'same';
    results.push({
      name: bench.name,
      module: bench.module,
      arg: bench.arg,
      kind: bench.kind,
      rounds,
      result,
      beamjs,
      erl,
      ratio: bothTimed && bench.kind !== 'startup' ? beamjs.medianUs / erl.medianUs : null,
      wallRatio: bothTimed ? beamjs.wallMedianMs / erl.wallMedianMs : null,
    });
  }
  return results;
}

/** Issue 6: each smp benchmark with 1 and with 2 schedulers, on both VMs. */
function runSmp(opts, selected, env) {
  const smpBenches = selected.filter((b) => b.smp);
  if (!opts.smp || smpBenches.length === 0) return [];
  const hasFlag = env.beamjs.built && beamjsHasSchedulers();
  const out = [];
  for (const bench of smpBenches) {
    const runs = { erl: { 1: [], 2: [] }, beamjs: { 1: [], 2: [] } };
    for (let round = 1; round <= opts.rounds; round++) {
      for (const s of [1, 2]) {
        for (const vm of hasFlag ? ['beamjs', 'erl'] : ['erl']) {
          if (runs[vm][s].some((r) => r.error !== undefined)) continue;
          const r = runBenchmark(vm, bench, opts.timeoutS, { schedulers: s });
          runs[vm][s].push(r);
          log(`  ${bench.name} S${s} round ${round} ${vm.padEnd(6)} ${describeRun(r)}`);
        }
      }
    }
    const erl = { s1: summarize(runs.erl[1]), s2: summarize(runs.erl[2]) };
    const ref = erl.s1.checksum;
    let beamjs = { na: 'n/a (no --schedulers)' };
    if (hasFlag) {
      beamjs = { s1: summarize(runs.beamjs[1], ref), s2: summarize(runs.beamjs[2], ref) };
      // A CLI that takes --schedulers but does not act on it: the program
      // itself says how many schedulers it had.
      for (const s of [1, 2]) {
        const online = beamjs[`s${s}`].metrics?.schedulers_online?.value;
        if (online !== undefined && online !== null && online !== s) {
          beamjs.na = `n/a (--schedulers ${s} gave schedulers_online = ${online})`;
          break;
        }
      }
    }
    out.push({ name: bench.name, arg: bench.arg, beamjs, erl });
  }
  return out;
}

// ---------------------------------------------------------------- smoke

/**
 * Every selected benchmark once, at its smallest size and one iteration, on
 * both VMs; erl runs them all in one VM (its start-up is a second), beamjs
 * one process each (so one crash cannot hide the others). Prints JSON:
 * [{ name, erl: { checksum } | { error }, beamjs: ... }].
 */
function runSmoke(opts, selected) {
  compilePrograms(selected);
  const calls = selected
    .map((b) => `catch ${b.module}:main(["${b.small}", "1"])`)
    .join(', ');
  const erlOut = run('erl', ['-noshell', '-pa', relative(ROOT, EBIN), '-eval', `_ = [${calls}], halt().`], opts.timeoutS);
  const out = [];
  for (const bench of selected) {
    const erl = parseOutput(erlOut, bench, opts.timeoutS);
    const beamjs = runBenchmark('beamjs', bench, opts.timeoutS, { arg: bench.small, iters: 1 });
    out.push({
      name: bench.name,
      small: bench.small,
      erl: erl.error !== undefined ? { error: erl.error } : { checksum: erl.checksum },
      beamjs: beamjs.error !== undefined ? { error: beamjs.error } : { checksum: beamjs.checksum, ms: Math.round(beamjs.wallMs) },
    });
  }
  console.log(JSON.stringify(out, null, 2));
  return 0;
}

// ---------------------------------------------------------------- profile

/**
 * Runs one benchmark on beamjs under `node --cpu-prof` and prints the
 * functions with the most self time (V8 CPU profile, sampled every 100 µs),
 * with their inclusive time. The profile itself stays in bench/profiles/
 * for Chrome DevTools (Performance tab, "Load profile").
 */
async function runProfile(opts) {
  const bench = BENCHMARKS.find((b) => b.name === opts.profile);
  compilePrograms([bench]);
  if (!existsSync(CLI)) throw new Error(`${relative(ROOT, CLI)} not found (npm run build)`);
  rmSync(PROFILES, { recursive: true, force: true });
  mkdirSync(PROFILES, { recursive: true });
  const name = `${bench.name}.cpuprofile`;
  const [, args] = commandLine('beamjs', bench, { arg: opts.arg ?? bench.arg });
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', relative(ROOT, PROFILES), '--cpu-prof-name', name, '--cpu-prof-interval', '100', ...args];
  log(`node ${nodeArgs.join(' ')}`);
  const out = run(process.execPath, nodeArgs, opts.timeoutS);
  const r = parseOutput(out, bench, opts.timeoutS);
  if (r.error !== undefined) log(`beamjs: ${r.error} (profiling what ran anyway)`);
  else log(`${bench.name}: ${ms(r.us)} ms in the program (median), ${r.wallMs.toFixed(0)} ms process, result ${r.checksum}`);
  const file = join(PROFILES, name);
  if (!existsSync(file)) throw new Error(`node wrote no profile (${errorLine(out)})`);
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), opts.top);
  console.log(`\nbeamjs ${bench.name} ${opts.arg ?? bench.arg}: ${fixed(summary.totalMs, 0)} ms sampled; top ${opts.top} by self time`);
  console.log(summary.lines.join('\n'));
  console.log(`\nby file (self time): ${summary.byFile.map(([f, t]) => `${f} ${fixed((100 * t) / summary.totalMs, 1)}%`).join(', ')}`);
  console.log(`\nprofile: ${relative(ROOT, file)} (open in Chrome DevTools)`);
  await printBifCounts(bench, opts);
  return 0;
}

/**
 * A second run, without the profiler, through bench/bif_counts.ts (bundled
 * here with esbuild): every BIF wrapped in a counter. Prints the most
 * called BIFs. Instruction counts would need a hook in the interpreter's
 * loop and are not shown.
 */
async function printBifCounts(bench, opts) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    log('BIF counts: esbuild is not installed, skipped');
    return;
  }
  const driver = join(PROFILES, 'bif_counts.mjs');
  await esbuild.build({
    entryPoints: [join(ROOT, 'bench', 'bif_counts.ts')],
    outfile: driver,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['pako', 'commander'],
    logLevel: 'warning',
  });
  const [, args] = commandLine('beamjs', bench, { arg: opts.arg ?? bench.arg });
  const out = run(process.execPath, [driver, ...args.slice(args.indexOf('-pa'))], opts.timeoutS);
  const line = out.stderr.split('\n').reverse().find((l) => l.startsWith('{"status"'));
  if (line === undefined) {
    log(`BIF counts: the counting run failed: ${errorLine(out)}`);
    return;
  }
  const { bifCounts } = JSON.parse(line);
  const total = bifCounts.reduce((sum, [, n]) => sum + n, 0);
  const rows = bifCounts.slice(0, opts.top).map(([key, n], i) => [String(i + 1), String(n), fixed((100 * n) / total, 1), key]);
  console.log(
    `\nBIF calls through the BIF table (a separate run without the profiler; arithmetic and comparisons ` +
      `done inline by the interpreter or the JIT are not calls): ${total} calls of ${bifCounts.length} BIFs; top ${rows.length}`,
  );
  console.log(table(['#', 'calls', '%', 'BIF'], rows, [true, true, true, false]).join('\n'));
}

/** Self and inclusive time per function of a V8 .cpuprofile. */
export function summarizeProfile(profile, top) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const maps = new Map();
  /** The source map of a bundled file (dist/*.js.map), to name TypeScript files and lines. */
  const sourceMap = (path) => {
    if (!maps.has(path)) {
      let map = null;
      try {
        if (path.startsWith(ROOT) && existsSync(`${path}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
      } catch {
        map = null;
      }
      maps.set(path, map);
    }
    return maps.get(path);
  };
  const where = (n) => {
    const f = n.callFrame;
    const url = f.url.replace(/^file:\/\//, '');
    const entry = url === '' || f.lineNumber < 0 ? undefined : sourceMap(url)?.findEntry(f.lineNumber, f.columnNumber);
    if (entry?.originalSource) {
      const src = entry.originalSource.replace(/^file:\/\//, '');
      const file = relative(ROOT, resolve(dirname(url), src));
      return { fn: f.functionName || '(anonymous)', file, line: entry.originalLine + 1 };
    }
    const file = url === '' ? '' : url.startsWith(ROOT) ? relative(ROOT, url) : url.replace(/^.*\/node_modules\//, '');
    return { fn: f.functionName || '(anonymous)', file, line: f.lineNumber + 1 };
  };
  const keyOf = (n) => {
    const w = where(n);
    return w.file === '' ? w.fn : `${w.fn} ${w.file}:${w.line}`;
  };
  const self = new Map();
  const incl = new Map();
  const fileSelf = new Map();
  let totalUs = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the time after it is what it stands for.
    const dt = timeDeltas[i + 1] ?? timeDeltas[i] ?? 0;
    totalUs += dt;
    const node = byId.get(samples[i]);
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    const file = where(node).file || node.callFrame.functionName;
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + dt);
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const k = keyOf(byId.get(id));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  }
  const totalMs = totalUs / 1000;
  const ranked = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const rows = ranked.map(([k, t], i) => [
    String(i + 1),
    fixed(t / 1000, 1),
    fixed((100 * t) / totalUs, 1),
    fixed((incl.get(k) ?? 0) / 1000, 1),
    fixed((100 * (incl.get(k) ?? 0)) / totalUs, 1),
    k,
  ]);
  const lines = table(['#', 'self ms', 'self %', 'total ms', 'total %', 'function (file:line)'], rows, [true, true, true, true, true, false]);
  const byFile = [...fileSelf.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([f, t]) => [f, t / 1000]);
  return { totalMs, lines, byFile, ranked };
}

// ---------------------------------------------------------------- markdown

/** The tables of the last run (bench/results.json) as Markdown, for the README. */
function printMarkdown() {
  const doc = JSON.parse(readFileSync(RESULTS, 'utf8'));
  const md = (lines) => {
    // Reuse the text tables: split columns on two or more spaces.
    const [head, , ...rows] = lines;
    const cells = (l) => l.split(/\s{2,}/).map((c) => c.replaceAll('|', '\\|'));
    const h = cells(head);
    return [`| ${h.join(' | ')} |`, `| ${h.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${cells(r).join(' | ')} |`)].join('\n');
  };
  const m = doc.machine;
  console.log(
    `${doc.date.slice(0, 10)}, beamjs ${doc.beamjs.commit}, Node ${doc.node}, OTP ${doc.otp.release} (${doc.otp.flavor}); ` +
      `${m.cpu}, ${m.cores} cores; load average ${m.loadAverage[0]} at the start, ${doc.finished?.loadAverage?.[0]} at the end; ` +
      `${doc.rounds} rounds, ${doc.finished?.seconds} s.${doc.note ? ` Note: ${doc.note}.` : ''}\n`,
  );
  console.log(md(mainTable(doc.benchmarks).map((l) => l.trimEnd())));
  const metrics = metricsTable(doc.benchmarks);
  if (metrics.length > 0) console.log(`\n${md(metrics)}`);
  if (doc.smp?.length > 0) console.log(`\n${md(smpTable(doc.smp))}`);
  return 0;
}

// ---------------------------------------------------------------- main

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const selected = opts.names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => opts.names.includes(b.name));
  if (opts.profile !== null) return runProfile(opts);
  if (opts.smoke) return runSmoke(opts, selected);
  if (opts.markdown) return printMarkdown();

  const started = Date.now();
  const env = describeEnvironment();
  console.log(`beamjs ${env.beamjs.commit} vs erl — ${env.date}`);
  console.log(`Node ${env.node}; OTP ${env.otp.release} (erts ${env.otp.erts}, ${env.otp.flavor}, ${env.otp.schedulers} schedulers)`);
  console.log(`${env.machine.cpu}, ${env.machine.cores} cores, ${env.machine.memoryGiB} GiB; ${env.machine.os}; load ${env.machine.loadAverage.join(' ')}`);
  env.machine.busy = env.machine.loadAverage[0] > 0.5 * env.machine.cores;
  if (opts.note) console.log(`note: ${opts.note}`);
  if (env.machine.busy) {
    console.log(`note: the machine is busy (load ${env.machine.loadAverage[0]} on ${env.machine.cores} cores): times are noisy`);
  }
  console.log(
    `up to ${opts.rounds} round(s) per VM, alternating; in-program time: min and median over rounds of each run's ` +
      `in-program min and median; proc: median whole-process wall time (ms)\n`,
  );

  compilePrograms(selected);
  const results = runSuite(opts, selected, env);
  const smp = runSmp(opts, selected, env);
  const finished = { loadAverage: loadAverage(), seconds: Math.round((Date.now() - started) / 1000) };

  console.log(mainTable(results).join('\n'));
  const metrics = metricsTable(results);
  if (metrics.length > 0) console.log(`\n${metrics.join('\n')}`);
  if (smp.length > 0) console.log(`\nschedulers: 1 vs 2 (median in-program ms; speedup = S1 time / S2 time)\n${smpTable(smp).join('\n')}`);
  console.log(`\n${finished.seconds} s; load at the end ${finished.loadAverage.join(' ')}`);
  writeResults({ ...env, ...(opts.note ? { note: opts.note } : {}), finished, rounds: opts.rounds, timeoutS: opts.timeoutS, benchmarks: results, smp });
  console.log(`wrote ${relative(ROOT, RESULTS)}`);

  const erlFailures = results.filter((r) => r.erl.error !== undefined);
  if (erlFailures.length > 0) {
    process.stderr.write(`bench: the real erl failed ${erlFailures.map((r) => r.name).join(', ')}: the suite itself is broken\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = await main();
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
