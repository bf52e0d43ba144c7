// Our job wrapper run for real (python3, a loopback HTTP server in the hub's place): what it sends to
// POST …/batchspawner, and what the server command it becomes sees.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { findExecutable } from '../command.ts';
import { runCommand } from './run-command.ts';
import { wrapperWords } from './wrapper.ts';

const noPython = findExecutable('python3', process.env.PATH ?? '', '/') === null ? 'no python3' : false;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function fakeHub(status = 200): Promise<{ apiUrl: string; seen: Seen[]; close: () => void }> {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    res.writeHead(status, { 'content-type': 'application/json' }).end('{"message": "BatchSpawner data configured"}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { apiUrl: `http://127.0.0.1:${port}/prefix/hub/api`, seen, close: () => server.close() };
}

const env = (apiUrl: string) => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  JUPYTERHUB_API_URL: apiUrl,
  JUPYTERHUB_API_TOKEN: 'the-server-token',
  JUPYTERHUB_SERVICE_URL: 'http://0.0.0.0:0/user/ann/',
});

test('the wrapper reports a free port with the server token, then runs the command with it in the URL', {
  skip: noPython,
}, async () => {
  const hub = await fakeHub();
  try {
    const line = `${wrapperWords({ batchspawner_singleuser_cmd: null })} sh -c 'echo "$JUPYTERHUB_SERVICE_URL"'`;
    const out = await runCommand(line, env(hub.apiUrl));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(hub.seen.length, 1);
    const [report] = hub.seen;
    assert.equal(report!.method, 'POST');
    assert.equal(report!.url, '/prefix/hub/api/batchspawner');
    assert.equal(report!.headers.authorization, 'token the-server-token');
    assert.equal(report!.headers['content-type'], 'application/json');
    const { port } = JSON.parse(report!.body);
    assert.ok(Number.isInteger(port) && port > 0 && port < 65536, report!.body);
    assert.deepEqual(Object.keys(JSON.parse(report!.body)), ['port']);
    assert.equal(out.stdout.trim(), `http://0.0.0.0:${port}/user/ann/`);
  } finally {
    hub.close();
  }
});

test('a command not on PATH fails before any report; a refused report fails the job', { skip: noPython }, async () => {
  const hub = await fakeHub(403);
  try {
    const missing = await runCommand(
      `${wrapperWords({ batchspawner_singleuser_cmd: null })} no-such-server`,
      env(hub.apiUrl),
    );
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-server: No such file or directory/);
    assert.equal(hub.seen.length, 0, 'nothing reported for a server that cannot run');
    const refused = await runCommand(`${wrapperWords({ batchspawner_singleuser_cmd: null })} true`, env(hub.apiUrl));
    assert.notEqual(refused.code, 0, 'the server does not start without the hub knowing its port');
    assert.match(refused.stderr, /403/);
  } finally {
    hub.close();
  }
});

test('a configured wrapper is used as written', () => {
  assert.equal(wrapperWords({ batchspawner_singleuser_cmd: 'batchspawner-singleuser' }), 'batchspawner-singleuser');
});
