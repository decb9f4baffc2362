/**
 * The beamjs command line: a thin commander layer over the public API.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parseBeam, disasmErlang, disasmListing, BeamFormatError, DisasmError } from './index.js';

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

function fail(message: string): never {
  process.stderr.write(`beamjs: ${message}\n`);
  process.exit(1);
}

await program.parseAsync(process.argv);
