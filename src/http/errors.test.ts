// Every error body carries a reason from the catalogue, whoever raised the error: our handlers, Fastify
// (validation, body size), the database (a lost race on a unique key), a bug (500) or the router (404).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { notFound } from '../errors/index.ts';
import { registerApiNotFound, registerErrorHandling } from './errors.ts';

async function app() {
  const app = Fastify({ bodyLimit: 16, logger: false });
  registerErrorHandling(app, '/hub/api/');
  app.post('/hub/api/things', { schema: { body: Type.Object({ name: Type.String() }) } }, async () => 'ok');
  app.get('/hub/api/race', async () => {
    throw Object.assign(new Error('UNIQUE constraint failed'), { code: 'ERR_SQLITE_ERROR', errcode: 2067 });
  });
  app.get('/hub/api/bug', async () => {
    throw new TypeError('undefined is not a function');
  });
  app.get('/hub/api/gone', async () => {
    throw notFound();
  });
  await registerApiNotFound(app, '/hub/api');
  return app;
}

test('each kind of error answers with its reason', async () => {
  const a = await app();
  const cases = [
    [{ method: 'POST', url: '/hub/api/things', payload: { nom: 1 } }, 400, 'invalid_request'],
    [{ method: 'POST', url: '/hub/api/things', payload: { name: 'x'.repeat(64) } }, 413, 'body_too_large'],
    [{ method: 'GET', url: '/hub/api/race' }, 409, 'conflict'],
    [{ method: 'GET', url: '/hub/api/bug' }, 500, 'internal_error'],
    [{ method: 'GET', url: '/hub/api/gone' }, 404, 'not_found'],
    [{ method: 'GET', url: '/hub/api/no-such-route' }, 404, 'not_found'],
    [{ method: 'GET', url: '/elsewhere' }, 404, 'not_found'],
  ] as const;
  for (const [req, status, reason] of cases) {
    const r = await a.inject(req);
    assert.equal(r.statusCode, status, req.url);
    const body = r.json();
    assert.equal(body.status, status, req.url);
    assert.equal(body.reason, reason, req.url);
    assert.equal(typeof body.message, 'string');
  }
  assert.equal((await a.inject({ method: 'GET', url: '/hub/api/bug' })).json().message, 'Internal Server Error');
  await a.close();
});

test('the API 404 carries the API rate class; other unknown paths none', async () => {
  const a = await app();
  const seen: unknown[] = [];
  a.addHook('onRequest', async (req) => {
    seen.push(req.routeOptions.config.rateLimit);
  });
  await a.inject({ method: 'GET', url: '/hub/api/nothing' });
  await a.inject({ method: 'GET', url: '/hub/nothing' });
  assert.deepEqual(seen, ['default', undefined]);
  await a.close();
});
