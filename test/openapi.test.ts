import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

describe('OpenAPI document', () => {
  let h: TestHub;
  let doc: any;
  before(async () => {
    h = await startInProcessHub();
    const r = await h.request('GET', 'hub/api/openapi.json', { token: null });
    assert.equal(r.status, 200);
    doc = r.json;
  });
  after(() => h.stop());

  test('is OpenAPI 3 with the token security scheme', () => {
    assert.match(doc.openapi, /^3\./);
    assert.equal(doc.components.securitySchemes.token.in, 'header');
  });

  test('lists every API route the hub serves, each with a summary and responses', () => {
    const served = new Set<string>();
    for (const r of h.hub.routes) {
      if (!r.url.startsWith('/hub/api/') || r.hidden || r.method === 'HEAD' || r.method === 'OPTIONS') continue;
      served.add(`${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    }
    assert.ok(served.size >= 20, `only ${served.size} routes seen`);
    for (const entry of served) {
      const [method, path] = entry.split(' ') as [string, string];
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${entry} is missing from the OpenAPI document`);
      assert.ok(op.summary, `${entry} has no summary`);
      assert.ok(Object.keys(op.responses ?? {}).length > 0, `${entry} documents no responses`);
    }
  });

  test('the docs page is served', async () => {
    const r = await h.request('GET', 'hub/api/docs/', { token: null });
    assert.equal(r.status, 200);
    assert.match(r.text, /<html/i);
  });
});
