/**
 * The package as a user gets it: `npm pack` (which builds dist/ through the
 * prepare script), the tarball installed into a fresh consumer project with
 * no network (`npm install ./beamjs-0.1.0.tgz --offline`), and there: the
 * README's library example run with node (its output compared with the
 * output the README shows), a TypeScript file type-checked against the
 * installed .d.ts files, and the installed `beamjs run` CLI.
 *
 * Offline: npm 11 resolves a dependency's version range from the registry's
 * full metadata, which the npm cache does not hold; the cache does hold the
 * tarballs of the versions this repository's package-lock.json pins. So the
 * consumer project gets a package-lock.json that pins commander and pako to
 * those versions (copied from ours) and npm installs from the cache.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
let consumer = '';

/** The README's library example and the output it shows. */
function readmeExample(): { code: string; output: string } {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The library'));
  const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  const output = /```text\n([\s\S]*?)```/.exec(section)![1]!;
  return { code, output };
}

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'beamjs-pack-'));
  const packed = execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tgz = packed.trim().split('\n').pop()!;
  expect(tgz).toBe('beamjs-0.1.0.tgz');
  consumer = join(dir, 'consumer');
  execFileSync('mkdir', ['-p', consumer]);
  execFileSync('cp', [join(dir, tgz), consumer]);
  const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const ourLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const lock = {
    name: 'consumer',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'consumer', dependencies: { beamjs: `file:${tgz}` } },
      'node_modules/beamjs': {
        version: ours.version,
        resolved: `file:${tgz}`,
        license: ours.license,
        dependencies: ours.dependencies,
        bin: ours.bin,
        engines: ours.engines,
      },
      ...Object.fromEntries(Object.keys(ours.dependencies).map((n) => [`node_modules/${n}`, ourLock.packages[`node_modules/${n}`]])),
    },
  };
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(lock, null, 2));
  const install = spawnSync('npm', ['install', `./${tgz}`, '--offline', '--no-audit', '--no-fund'], { cwd: consumer, encoding: 'utf8' });
  expect(install.stderr.split('\n').filter((l) => l.includes('ERR')).join('\n')).toBe('');
  expect(install.status).toBe(0);
}, 300_000);

describe('the packed package', () => {
  it('installs with its dependencies and nothing of the repository but dist/', () => {
    expect(readdirSync(join(consumer, 'node_modules')).sort()).toEqual(['.bin', '.package-lock.json', 'beamjs', 'commander', 'pako']);
    expect(readdirSync(join(consumer, 'node_modules', 'beamjs')).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json'].filter((f) => f !== 'LICENSE' || readdirSync(root).includes('LICENSE')));
    // every runtime module the VM ships (vm/runtime/*.beam), and nothing else
    const runtime = readdirSync(join(root, 'vm', 'runtime')).filter((f) => f.endsWith('.beam')).sort();
    expect(runtime.length).toBeGreaterThanOrEqual(3);
    expect(readdirSync(join(consumer, 'node_modules', 'beamjs', 'dist', 'runtime')).sort()).toEqual(runtime);
  });

  it("runs the README's library example and prints what the README says", () => {
    const { code, output } = readmeExample();
    writeFileSync(join(consumer, 'example.mjs'), code);
    const r = spawnSync(process.execPath, ['example.mjs'], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(output);
    expect(r.status).toBe(0);
  });

  it('type-checks a TypeScript consumer against the installed declarations', () => {
    writeFileSync(
      join(consumer, 'check.ts'),
      `import { BeamVM, ErlangError, Float, Mailbox, tuple, atom, type Value, type BeamVMOptions, type StackFrame } from 'beamjs';
const options: BeamVMOptions = { schedulers: 0, codePath: [], stdout: (b: Uint8Array) => void b, stdin: 'x\\n' };
const vm = await BeamVM.create(options);
vm.defineNative('js:add/2', (a: number, b: number) => a + b);
vm.defineNative('js:later/0', async () => new Float(1));
const v: Value = await vm.call('lists', 'reverse', [[1, new Float(2), tuple(atom('x')), new Map([[1, 2n]])]]);
const r = await vm.tryCall('erlang', 'error', [atom('x')]);
if (r.error) { const e: ErlangError = r.error; const f: StackFrame | undefined = e.stacktrace[0]; console.log(e.class, f?.module); }
const box: Mailbox = vm.mailbox();
const m: Value | undefined = await box.receive({ timeout: 1 });
console.log(Array.isArray(v), m);
await vm[Symbol.asyncDispose]();
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
        files: ['check.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: consumer, encoding: 'utf8' });
    expect(tsc.stdout).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('the installed CLI runs a .beam file', () => {
    const r = spawnSync(join(consumer, 'node_modules', '.bin', 'beamjs'), ['run', join(root, 'fixtures', 'erlang', 'hello.beam')], { encoding: 'latin1' });
    expect(r.stdout).toBe(readFileSync(join(root, 'fixtures', 'erlang', 'hello.out'), 'latin1'));
    expect(r.status).toBe(0);
  });
});
