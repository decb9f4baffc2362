/**
 * Bundles a TypeScript worker entry with esbuild so tests can run it in a
 * real worker_thread (vitest does not transform worker files).
 */
import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function bundleWorker(entryRelativeToTest: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'beamjs-worker-')), 'worker.mjs');
  buildSync({
    entryPoints: [fileURLToPath(new URL(`../${entryRelativeToTest}`, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'warning',
  });
  return out;
}
