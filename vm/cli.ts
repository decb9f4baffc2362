/**
 * The beamjs command line: a thin commander layer over the public API.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseBeam, disasmErlang, disasmListing, BeamFormatError, DisasmError } from './index.js';
import { VM } from './vm.js';
import { runMainOnSchedulers } from './smp.js';
import { schedulerOption } from '../scheduler/options.js';
import { LoadError } from './code/load.js';
import { ProcessStatus } from './process.js';
import { displayText } from './term/display.js';
import { mkList, mkString } from './term/make.js';
import type { Term } from './term/tags.js';

/** ["a", "b"] as a list of strings on the literal-free heap of a scratch process. */
function stringList(vm: VM, args: string[]): Term {
  const scratch = vm.scratchBuilder();
  return mkList(scratch, args.map((a) => mkString(scratch, a)));
}

const program = new Command();
program.name('beamjs').description('A BEAM virtual machine for Node.js').version('0.1.0');

program
  .command('disasm')
  .description('print the instructions of a .beam file')
  .argument('<file>', 'a .beam file')
  .option('--erlang', "print exactly what beam_disasm:file/1's terms print with ~w, one per line")
  .action((file: string, opts: { erlang?: boolean }) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      fail(`cannot read ${file}: ${(e as Error).message}`);
    }
    try {
      const beam = parseBeam(bytes);
      // ~w output never holds characters above 255, and erl writes it as Latin-1.
      if (opts.erlang) process.stdout.write(Buffer.from(disasmErlang(beam), 'latin1'));
      else process.stdout.write(disasmListing(beam));
    } catch (e) {
      if (e instanceof BeamFormatError || e instanceof DisasmError) fail(`${file}: ${e.message}`);
      throw e;
    }
  });

program
  .command('run')
  .description("run MODULE:FUNCTION (default start) like erl -noshell -run: no arguments → arity 0, else one list of strings")
  .usage('[-pa DIR]... [--schedulers N] MODULE [FUNCTION [ARG...]]')
  .helpOption(false)
  .allowUnknownOption(true)
  .allowExcessArguments(true)
  .argument('[args...]')
  .action(async (args: string[]) => {
    process.exitCode = await runCommand(args);
  });

/** `beamjs run`: erl -run's convention; exits with the VM's status. */
async function runCommand(argv: string[]): Promise<number> {
  const codePath: string[] = [];
  const rest: string[] = [];
  // Worker schedulers (0: inline on this thread).
  let schedulers = schedulerOption(undefined, 'cores');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (rest.length === 0 && (a === '-pa' || a === '--pa')) {
      const dir = argv[++i];
      if (dir === undefined) fail('-pa needs a directory');
      codePath.push(dir);
    } else if (rest.length === 0 && a === '--schedulers') {
      const n = argv[++i];
      try {
        schedulers = schedulerOption(n ?? '', 'cores');
      } catch (e) {
        fail(`--schedulers ${n ?? ''}: ${(e as RangeError).message.replace(/^schedulers: [^:]*: /, '')}`);
      }
    } else rest.push(a);
  }
  let [module, fun, ...args] = rest;
  if (module === undefined) fail('run: which module? (beamjs run [-pa DIR]... MODULE [FUNCTION [ARG...]])');
  let beamBytes: Uint8Array | undefined;
  if (module.endsWith('.beam')) {
    try {
      beamBytes = readFileSync(module);
    } catch (e) {
      fail(`cannot read ${module}: ${(e as Error).message}`);
    }
    codePath.unshift(dirname(module));
    module = basename(module, '.beam');
  }
  const options = { codePath: [...codePath, '.'], memory: { maxBytes: Number(process.env.BEAMJS_MAX_MEMORY ?? 2 ** 32) } };
  if (schedulers > 0) {
    const entry = (vm: VM): Term[] => (fun !== undefined && args.length > 0 ? [stringList(vm, args)] : []);
    let outcome;
    try {
      outcome = await runMainOnSchedulers(options, schedulers, module, fun ?? 'start', entry, beamBytes);
    } catch (e) {
      if (e instanceof LoadError || e instanceof BeamFormatError) fail(`${module}: ${(e as Error).message}`);
      throw e;
    }
    return exitWith(outcome.status, outcome.halted ? undefined : outcome.reason);
  }
  const vm = new VM(options);
  try {
    if (beamBytes !== undefined) vm.load(beamBytes);
  } catch (e) {
    fail(`${module}: ${(e as Error).message}`);
  }
  const entryArgs = fun !== undefined && args.length > 0 ? [stringList(vm, args)] : [];
  const { status, process: p, halted } = vm.runMain(module, fun ?? 'start', entryArgs);
  const crashed = !halted && status !== 0 && p.status === ProcessStatus.Exited;
  return exitWith(status, crashed ? displayText(vm, p.exitReason) : undefined);
}

/** The exit status of `run`, after erl's last words: halt's slogan, or the entry process's crash (`reason`). */
function exitWith(status: number | string, reason: string | undefined): number {
  if (typeof status === 'string') {
    process.stderr.write(`${status}\n`);
    return 1;
  }
  if (reason !== undefined && status !== 0) {
    // erl prints this line with erlang:display/1, hence CR LF.
    process.stdout.write(`{"init terminating in do_boot",${reason}}\r\n`);
    process.stderr.write(`init terminating in do_boot (${reason})\n`);
  }
  return status;
}

function fail(message: string): never {
  process.stderr.write(`beamjs: ${message}\n`);
  process.exit(1);
}

await program.parseAsync(process.argv);
