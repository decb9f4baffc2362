/**
 * examples/http-kv, as the README walks through it: the Node server starts,
 * an Erlang gen_server serves its requests, and the gen_server calls back
 * into JS. The server imports 'beamjs', which resolves to this package's
 * dist/ (built here when missing).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
let server: ChildProcess | undefined;
let base = '';

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'index.js'))) execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: root });
  server = spawn(process.execPath, [join(root, 'examples', 'http-kv', 'server.mjs')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server!.on('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
  });
}, 60_000);

afterAll(() => {
  server?.kill('SIGINT');
});

it('serves PUT, GET and stats through the gen_server', async () => {
  expect((await fetch(`${base}/kv/hello`, { method: 'PUT', body: 'wörld' })).status).toBe(204);
  const got = await fetch(`${base}/kv/hello`);
  expect(got.status).toBe(200);
  expect(await got.text()).toBe('wörld');
  expect((await fetch(`${base}/kv/missing`)).status).toBe(404);
  const before = Date.now();
  const stats = (await (await fetch(`${base}/stats`)).json()) as { keys: number; requests: number; time: number };
  expect(stats.keys).toBe(1);
  expect(stats.requests).toBe(3);
  expect(stats.time).toBeGreaterThanOrEqual(before - 1000);
  // Concurrent requests all reach the one gen_server.
  await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${base}/kv/k${i}`, { method: 'PUT', body: String(i) })));
  expect(((await (await fetch(`${base}/stats`)).json()) as { keys: number }).keys).toBe(21);
  expect(await (await fetch(`${base}/kv/k7`)).text()).toBe('7');
});
