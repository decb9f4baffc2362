// Bundles the entry points with esbuild and writes the .d.ts files with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: ['pako', 'commander'],
  logLevel: 'warning',
};

await build({ ...common, entryPoints: { index: 'vm/index.ts' }, outdir: 'dist' });
await build({
  ...common,
  entryPoints: { cli: 'vm/cli.ts' },
  outdir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync('dist/cli.js', 0o755);
// A scheduler thread's entry (scheduler/pool.ts starts it from beside the bundle that imports the pool).
await build({ ...common, entryPoints: { scheduler: 'scheduler/worker.ts' }, outdir: 'dist' });
// The VM's runner on those threads (vm/smp.ts names it).
await build({ ...common, entryPoints: { smp_runner: 'vm/smp_runner.ts' }, outdir: 'dist' });
// The VM's own runtime modules (beamjs_io, beamjs_host), found beside the bundle (vm/vm.ts runtimeDir).
cpSync('vm/runtime', 'dist/runtime', { recursive: true, filter: (src) => !src.endsWith('.erl') });

if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
