import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { Permissions } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import { buildConfig } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { createLogger } from '../lib/logger.ts';
import { registerErrorHandling } from '../http/errors.ts';
import { grantRole, upsertRole } from '../repo/roles.ts';
import { insertUser } from '../repo/users.ts';
import { RateLimiter, type RateLimitTrip } from './limiter.ts';

// The limiter in a real Fastify server (requests injected) over a real in-memory database.

let db: Db;
let userId: number;
let roleId: number;
before(async () => {
  db = await openTestDb();
  userId = (await insertUser(db.k, 'kim', false)).id;
  roleId = (await upsertRole(db.k, 'loader', null, ['self'])).id;
});
after(() => db.close());

function principal(tokenId: number): Principal {
  return {
    kind: 'user',
    id: userId,
    name: 'kim',
    admin: false,
    user: null,
    service: null,
    sessionId: null,
    token: { id: tokenId } as Principal['token'],
    scopes: new Set(),
    ownerScopes: new Set(),
  };
}

async function server(
  trips: RateLimitTrip[],
  who: Principal | null,
): Promise<{ app: FastifyInstance; permissions: Permissions; counter: Counter<'bucket'> }> {
  const config = buildConfig({
    rate_limits: {
      api: { rate_per_minute: 1, burst: 2 },
      spawn: { rate_per_minute: 1, burst: 1 },
      roles: { loader: { api: { rate_per_minute: 1, burst: 4 } } },
    },
  }).rate_limits;
  const counter = new Counter({ name: 'trips', help: 'trips', labelNames: ['bucket'], registers: [new Registry()] });
  const permissions = new Permissions();
  const limiter = new RateLimiter(config, {
    db: db.k,
    log: createLogger('silent'),
    permissions,
    trips: counter,
    onTrip: (t) => trips.push(t),
  });
  const app = Fastify();
  registerErrorHandling(app, '/hub/api/');
  app.addHook('onRequest', async (req) => {
    req.principal = who;
  });
  app.addHook('onRequest', limiter.check);
  app.get('/hub/api/user', { config: { rateLimit: 'default' } }, async () => ({ ok: true }));
  app.post('/hub/api/users/:name/server', { config: { rateLimit: 'spawn' } }, async () => ({ ok: true }));
  return { app, permissions, counter };
}

test('onTrip hears of the first refusal of an episode only, the metric of every refusal', async () => {
  const trips: RateLimitTrip[] = [];
  const { app, counter } = await server(trips, principal(7));
  const get = () => app.inject({ method: 'GET', url: '/hub/api/user', remoteAddress: '127.0.0.8' });
  assert.equal((await get()).statusCode, 200);
  assert.equal((await get()).statusCode, 200);
  for (let i = 0; i < 3; i++) assert.equal((await get()).statusCode, 429);
  assert.equal(trips.length, 1);
  assert.deepEqual(trips[0], {
    bucket: 'api',
    retryAfter: 60,
    ip: '127.0.0.8',
    method: 'GET',
    route: '/hub/api/user',
    principal: { kind: 'user', id: userId, name: 'kim' },
    tokenId: 7,
  });
  assert.equal((await counter.get()).values[0]!.value, 3);
  await app.close();
});

test("a role's limits apply once the principal holds it and permissions are invalidated", async () => {
  const { app, permissions } = await server([], principal(8));
  const policy = async () => (await app.inject({ method: 'GET', url: '/hub/api/user' })).headers['ratelimit-policy'];
  assert.equal(await policy(), '"api";q=2;w=120');
  await grantRole(db.k, 'user', userId, roleId);
  assert.equal(await policy(), '"api";q=2;w=120', 'limits per principal are cached');
  permissions.invalidate();
  assert.equal(await policy(), '"api";q=4;w=240');
  await app.close();
});

test("a route's rate class charges its stricter bucket too", async () => {
  const { app } = await server([], principal(9));
  const r = await app.inject({ method: 'POST', url: '/hub/api/users/kim/server' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['ratelimit-policy'], '"spawn";q=1;w=60');
  await app.close();
});

test('routes without a rate class are not limited', async () => {
  const { app } = await server([], null);
  app.get('/hub/home', async () => 'home');
  for (let i = 0; i < 5; i++) {
    const r = await app.inject({ method: 'GET', url: '/hub/home' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers.ratelimit, undefined);
  }
  await app.close();
});
