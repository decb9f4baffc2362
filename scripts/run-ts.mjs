// Runs a TypeScript entry point: bundles it with esbuild into a temporary
// file and executes that with node, passing the remaining arguments on.
import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [ARGS...]');
  process.exit(2);
}
const out = join(mkdtempSync(join(tmpdir(), 'beamjs-run-')), 'main.mjs');
buildSync({ entryPoints: [resolve(entry)], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'warning' });
process.argv = [process.argv[0], out, ...args];
await import(pathToFileURL(out).href);
