import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { rateClassOf, routePolicyDefaults } from './route-policy.ts';

test("a plugin's defaults apply to its routes unless a route names its own; other routes have none", async () => {
  const app = Fastify();
  await app.register(async (api) => {
    routePolicyDefaults(api, { rateLimit: 'default' });
    api.get('/api/plain', async (req) => rateClassOf(req));
    api.post('/api/strict', { config: { rateLimit: 'spawn', cookieAuth: false } }, async (req) => [
      rateClassOf(req),
      req.routeOptions.config.cookieAuth,
    ]);
  });
  app.get('/page', async (req) => rateClassOf(req));
  assert.equal((await app.inject({ method: 'GET', url: '/api/plain' })).body, 'default');
  assert.deepEqual((await app.inject({ method: 'POST', url: '/api/strict' })).json(), ['spawn', false]);
  assert.equal((await app.inject({ method: 'GET', url: '/page' })).body, 'none');
  await app.close();
});
