// Token binding for a service's tokens: the same body keys as a user's token request, enforced the same way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub, type TestHub } from './harness.ts';

let h: TestHub;
before(async () => {
  h = await startHub({});
});
after(() => h?.stop());

test("a service's token made with allowed_cidrs is refused from elsewhere; bad CIDRs are 400", async () => {
  const svc = await h.request('POST', 'hub/api/services/svc', { body: { url: 'http://127.0.0.1:9/' } });
  assert.equal(svc.status, 201, svc.text);
  const bad = await h.request('POST', 'hub/api/services/svc/tokens', { body: { allowed_cidrs: ['1.2.3.4/40'] } });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.json.reason, 'invalid_request');
  // The test client is 127.0.0.1: a token bound to 127.0.0.2 is refused, one bound to 127.0.0.0/8 works.
  const elsewhere = await h.request('POST', 'hub/api/services/svc/tokens', { body: { allowed_cidrs: ['127.0.0.2'] } });
  assert.equal(elsewhere.status, 201, elsewhere.text);
  assert.deepEqual(elsewhere.json.allowed_cidrs, ['127.0.0.2/32']);
  const refused = await h.request('GET', 'hub/api/user', { token: elsewhere.json.token });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.reason, 'token_ip_not_allowed');
  const here = await h.request('POST', 'hub/api/services/svc/tokens', { body: { allowed_cidrs: ['127.0.0.0/8'] } });
  assert.equal((await h.request('GET', 'hub/api/user', { token: here.json.token })).status, 200);
  const listed = await h.request('GET', 'hub/api/services/svc/tokens');
  const cidrs = (listed.json.api_tokens as { allowed_cidrs: string[] }[]).map((t) => t.allowed_cidrs);
  assert.deepEqual(cidrs.filter((c) => c.length).sort(), [['127.0.0.0/8'], ['127.0.0.2/32']]);
});
