#!/usr/bin/env node
/**
 * The side-by-side benchmark suite: runs each program of bench/programs on
 * the real erl and on beamjs, in alternation, and prints a table of the
 * median times, their ratio and whether both VMs computed the same checksum.
 *
 *   node bench/run.mjs [--rounds R] [--timeout SECONDS] [BENCHMARK...]
 *
 * (`npm run bench` builds beamjs first.) Writes bench/results.json as well.
 * Exit status: 0 even when beamjs fails a benchmark (the table says "error");
 * 1 when the runner itself cannot work (no erl/erlc, a program that does not
 * compile, or a benchmark that fails on the real erl, which is a bug of the
 * suite); 2 for a bad command line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROGRAMS = join(ROOT, 'bench', 'programs');
const EBIN = join(ROOT, 'bench', 'ebin');
const CLI = join(ROOT, 'dist', 'cli.js');
const RESULTS = join(ROOT, 'bench', 'results.json');

/** Every benchmark, in table order: its name, its module and the N its main/1 gets. */
const BENCHMARKS = [
  { name: 'fib', arg: '27' },
  { name: 'tak', arg: '24' },
  { name: 'nrev', arg: '500' },
  { name: 'qsort', arg: '20000' },
  { name: 'binary_ops', arg: '4096' },
  { name: 'maps_ops', arg: '10000' },
  { name: 'string_ops', arg: '2000' },
  { name: 'spawn_msg', arg: '1000' },
  { name: 'float_ops', arg: '200' },
  { name: 'ets_ops', arg: '10000' },
].map((b) => ({ ...b, module: `bench_${b.name}` }));

const USAGE = `usage: node bench/run.mjs [--rounds R] [--timeout SECONDS] [BENCHMARK...]
  --rounds R         runs per VM and benchmark, alternating erl and beamjs (default 3)
  --timeout SECONDS  time limit of one run (default 120)
benchmarks: ${BENCHMARKS.map((b) => b.name).join(' ')}`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { rounds: 3, timeoutS: 120, names: [] };
  const positive = (flag, value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a positive integer, not ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? a.split(/=(.*)/s) : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--rounds') opts.rounds = positive('--rounds', value());
    else if (flag === '--timeout') opts.timeoutS = positive('--timeout', value());
    else if (flag === '-h' || flag === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (flag.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (!BENCHMARKS.some((b) => b.name === a)) throw new UsageError(`unknown benchmark ${a}`);
    else opts.names.push(a);
  }
  return opts;
}

// ---------------------------------------------------------------- running

/** Runs a command to completion; never throws for the command's own failure. */
function run(command, args, timeoutS) {
  const r = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  if (r.error && r.error.code === 'ENOENT') throw new Error(`cannot run ${command}: not found`);
  const timedOut = r.error?.code === 'ETIMEDOUT';
  if (r.error && !timedOut) throw r.error;
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status, signal: r.signal, timedOut };
}

/**
 * The line that best says why a run failed: the first non-empty line of
 * stderr (else stdout), except when that is the source location heading
 * Node's uncaught-exception report (then the `SomeError: message` line below
 * it) or V8's fatal-error banner of `#` lines (then its first two messages).
 */
function errorLine(out) {
  const nonEmpty = (text) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const lines = [...nonEmpty(out.stderr), ...nonEmpty(out.stdout)];
  let line = lines[0];
  if (line?.startsWith('#')) {
    // V8's fatal-error banner: "# Fatal error in ..." then "# Fatal JavaScript ...".
    line = lines.filter((l) => /^#\s*\S/.test(l)).slice(0, 2).map((l) => l.replace(/^#\s*/, '')).join(' / ');
  } else if (line !== undefined && /^(file:\/\/|node:|\/).*:\d+$/.test(line)) {
    line = lines.find((l) => /^[\w.$]*(Error|Exception)\b.*:/.test(l)) ?? line;
  }
  if (line !== undefined) return line.length > 400 ? `${line.slice(0, 400)}...` : line;
  return out.signal ? `killed by ${out.signal}` : `exit status ${out.status}, no output`;
}

/** One run of one benchmark on one VM: { us, checksum } or { error }. */
function runBenchmark(vm, bench, timeoutS) {
  const ebin = relative(ROOT, EBIN);
  const out =
    vm === 'erl'
      ? run('erl', ['-noshell', '-pa', ebin, '-run', bench.module, 'main', bench.arg, '-run', 'init', 'stop'], timeoutS)
      : run(process.execPath, [CLI, 'run', '-pa', ebin, bench.module, 'main', bench.arg], timeoutS);
  if (out.timedOut) {
    // A VM that hangs after reporting an internal error: say what it reported.
    const said = out.stdout.trim() !== '' || out.stderr.trim() !== '' ? `: ${errorLine(out)}` : '';
    return { error: `timeout after ${timeoutS} s${said}` };
  }
  const m = /^RESULT (\S+) (\d+) (-?\d+)\s*$/m.exec(out.stdout);
  if (m === null || m[1] !== bench.name) return { error: errorLine(out) };
  // Checksums stay strings: they may exceed 2^53 and are only compared.
  return { us: Number(m[2]), checksum: m[3] };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The per-VM summary of a benchmark's rounds. */
function summarize(runs) {
  const error = runs.find((r) => r.error !== undefined)?.error;
  const checksums = [...new Set(runs.filter((r) => r.checksum !== undefined).map((r) => r.checksum))];
  const times = runs.filter((r) => r.us !== undefined).map((r) => r.us);
  if (error !== undefined) return { error, runsUs: times, checksums };
  if (checksums.length > 1) return { error: `checksum differs between rounds: ${checksums.join(', ')}`, runsUs: times, checksums };
  return { medianUs: median(times), runsUs: times, checksum: checksums[0] };
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
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    },
  };
}

// ---------------------------------------------------------------- output

/** Error notes are cut to this many characters in the table (results.json has them whole). */
const NOTE_WIDTH = 110;
const ms = (us) => (us === undefined ? '-' : (us / 1000).toFixed(1));

function tableRows(results) {
  const header = ['benchmark', 'erl (ms)', 'beamjs (ms)', 'beamjs/erl', 'checksum', 'note'];
  const rows = results.map((r) => [
    r.name,
    r.erl.error !== undefined ? 'error' : ms(r.erl.medianUs),
    r.beamjs.error !== undefined ? 'error' : ms(r.beamjs.medianUs),
    r.ratio === null ? '-' : r.ratio.toFixed(2),
    r.checksumMatch === null ? '-' : r.checksumMatch ? 'yes' : 'NO',
    [r.erl.error && `erl error: ${r.erl.error}`, r.beamjs.error && `error: ${r.beamjs.error}`]
      .filter(Boolean)
      .map((note) => (note.length > NOTE_WIDTH ? `${note.slice(0, NOTE_WIDTH)}...` : note))
      .join('; '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const numeric = [false, true, true, true, false, false];
  const line = (cells) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w, i) => (i === widths.length - 1 ? '-'.repeat(4) : '-'.repeat(w)))), ...rows.map(line)];
}

function writeResults(doc) {
  // Write then rename, so an interrupted run never leaves half a file.
  const tmp = `${RESULTS}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, RESULTS);
}

// ---------------------------------------------------------------- main

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const selected = opts.names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => opts.names.includes(b.name));

  const env = describeEnvironment();
  console.log(`beamjs ${env.beamjs.commit} vs erl — ${env.date}`);
  console.log(`Node ${env.node}; OTP ${env.otp.release} (erts ${env.otp.erts}, ${env.otp.flavor}, ${env.otp.schedulers} schedulers)`);
  console.log(`${env.machine.cpu}, ${env.machine.cores} cores, ${env.machine.memoryGiB} GiB; ${env.machine.os}; load ${env.machine.loadAverage.join(' ')}`);
  console.log(`${opts.rounds} round(s) per VM; time = median over rounds of each run's in-program median\n`);

  compilePrograms(selected);

  const results = [];
  for (const bench of selected) {
    const runs = { erl: [], beamjs: [] };
    for (let round = 1; round <= opts.rounds; round++) {
      for (const vm of ['erl', 'beamjs']) {
        // A failed run is not retried: the failures seen so far are deterministic
        // (missing instructions or BIFs), and a timeout would only repeat.
        if (runs[vm].some((r) => r.error !== undefined)) continue;
        const r = vm === 'beamjs' && !env.beamjs.built ? { error: `${relative(ROOT, CLI)} not found (npm run build)` } : runBenchmark(vm, bench, opts.timeoutS);
        runs[vm].push(r);
        const what = r.error !== undefined ? `error: ${r.error}` : `${ms(r.us)} ms, checksum ${r.checksum}`;
        process.stderr.write(`  ${bench.name} round ${round} ${vm.padEnd(6)} ${what}\n`);
      }
    }
    const erl = summarize(runs.erl);
    const beamjs = summarize(runs.beamjs);
    const bothRan = erl.error === undefined && beamjs.error === undefined;
    results.push({
      name: bench.name,
      module: bench.module,
      arg: bench.arg,
      erl,
      beamjs,
      ratio: bothRan ? beamjs.medianUs / erl.medianUs : null,
      checksumMatch: bothRan ? erl.checksum === beamjs.checksum : null,
    });
  }

  console.log(tableRows(results).join('\n'));
  writeResults({ ...env, rounds: opts.rounds, timeoutS: opts.timeoutS, benchmarks: results });
  console.log(`\nwrote ${relative(ROOT, RESULTS)}`);

  const erlFailures = results.filter((r) => r.erl.error !== undefined);
  if (erlFailures.length > 0) {
    process.stderr.write(`bench: the real erl failed ${erlFailures.map((r) => r.name).join(', ')}: the suite itself is broken\n`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
