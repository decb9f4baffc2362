// An HTTP key-value store whose requests are served by an Erlang gen_server
// (kv_server.erl) running on beamjs inside this Node process.
//
//   erlc -o examples/http-kv examples/http-kv/kv_server.erl   (the .beam is committed too)
//   npm run build && node examples/http-kv/server.mjs
//   curl -X PUT --data 'world' localhost:8080/kv/hello
//   curl localhost:8080/kv/hello
//   curl localhost:8080/stats
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeamVM, ErlangError, Tuple, text } from 'beamjs';

const here = dirname(fileURLToPath(import.meta.url));
const vm = await BeamVM.create({ codePath: [here] });

// Erlang calls back into JS: kv_server's stats ask js:now() for the time.
vm.defineNative('js:now/0', () => Date.now());

await vm.call('kv_server', 'start');

/** Reads a request body. */
async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost');
    const key = url.pathname.startsWith('/kv/') ? decodeURIComponent(url.pathname.slice(4)) : undefined;
    if (key !== undefined && req.method === 'PUT') {
      // A JS string goes in as a UTF-8 binary; the body's bytes as a binary too.
      await vm.call('kv_server', 'put', [key, await body(req)]);
      res.writeHead(204).end();
    } else if (key !== undefined && req.method === 'GET') {
      const reply = await vm.call('kv_server', 'get', [key]);
      // {ok, Value} is a Tuple; not_found an Atom.
      if (reply instanceof Tuple) res.writeHead(200, { 'content-type': 'text/plain' }).end(text(reply.elements[1]));
      else res.writeHead(404).end('not found\n');
    } else if (url.pathname === '/stats') {
      const stats = await vm.call('kv_server', 'stats'); // an Erlang map: a JS Map with Atom keys
      const json = Object.fromEntries([...stats].map(([k, v]) => [k.name, v]));
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(json)}\n`);
    } else {
      res.writeHead(404).end('not found\n');
    }
  } catch (e) {
    const status = e instanceof ErlangError ? 500 : 400;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(`${e.message}\n`);
  }
});

const port = Number(process.env.PORT ?? 8080);
server.listen(port, () => console.log(`listening on http://localhost:${server.address().port}`));

// Ctrl-C: stop taking requests, then stop the VM.
process.on('SIGINT', () => server.close(() => vm.dispose()));
