/**
 * BIF call counts for `node bench/run.mjs --profile NAME`: runs one program
 * the way `beamjs run` does, with every entry of the BIF table wrapped in a
 * counter, then prints one line of JSON on stderr after the program's own
 * output: {"bifCounts": [["erlang:+/2", 123], ...]} (most called first).
 *
 * bench/run.mjs bundles this file with esbuild at profile time (the counts
 * come from the sources in this tree, not from dist/). Usage:
 *   node bif_counts.mjs -pa DIR MODULE FUNCTION ARG...
 */
import { BIF_TABLE, type BifFn } from '../bifs/registry.js';
import { VM } from '../vm/vm.js';
import { mkList, mkString } from '../vm/term/make.js';

const calls = new Map<string, number>();
for (const entry of BIF_TABLE) {
  const fn: BifFn = entry.fn;
  const key = entry.key;
  // The registry's entries are plain objects; `readonly` is only TypeScript's.
  (entry as { fn: BifFn }).fn = (p, args) => {
    calls.set(key, (calls.get(key) ?? 0) + 1);
    return fn(p, args);
  };
}

const argv = process.argv.slice(2);
const codePath: string[] = [];
while (argv[0] === '-pa') {
  codePath.push(argv[1]!);
  argv.splice(0, 2);
}
const [module, fun, ...args] = argv;
if (module === undefined || fun === undefined) throw new Error('usage: bif_counts -pa DIR MODULE FUNCTION ARG...');
const vm = new VM({ codePath: [...codePath, '.'], memory: { maxBytes: 2 ** 32 } });
const scratch = vm.scratchBuilder();
const entryArgs = args.length > 0 ? [mkList(scratch, args.map((a) => mkString(scratch, a)))] : [];
const { status } = vm.runMain(module, fun, entryArgs);
const counts = [...calls.entries()].sort((a, b) => b[1] - a[1]);
process.stderr.write(`\n${JSON.stringify({ status, bifCounts: counts })}\n`);
