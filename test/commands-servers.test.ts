// The server commands end to end: the progress stream's headers, the CSP report route, and the spawn
// page refusing with the API's messages (one admission rule set for both).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findUser } from '../src/repo/users.ts';
import { getOrCreateSpawner } from '../src/repo/spawners.ts';
import { CSP_REPORT_LIMIT } from '../src/web/csp-report.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

describe('server commands', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({ slow_spawn_timeout: 0, allow_named_servers: true, named_server_limit_per_user: 1 });
    await h.addUsers(['alice']);
  });
  after(() => h.stop());

  test('the progress stream carries the security and RateLimit headers set before it', async () => {
    const token = await h.tokenFor('alice');
    const started = await h.request('POST', 'hub/api/users/alice/server', { token });
    assert.equal(started.status, 202, started.text);
    const res = await fetch(new URL('hub/api/users/alice/server/progress', h.url), {
      headers: { authorization: `token ${token}` },
      signal: AbortSignal.timeout(90_000),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(res.headers.get('x-jupyterhub-version') ?? '', /^\d/);
    assert.match(res.headers.get('ratelimit') ?? '', /;r=\d+;t=\d+$/);
    assert.ok(res.headers.get('ratelimit-policy'), 'RateLimit-Policy is sent');
    const events = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)));
    assert.equal(events.at(-1).ready, true, text);
    assert.equal((await h.request('DELETE', 'hub/api/users/alice/server', { token })).status, 204);
  });

  test('CSP reports: accepted without credentials or XSRF token, logged as a warning, bounded', async () => {
    const report = JSON.stringify({
      'csp-report': { 'document-uri': `${h.url}hub/home`, 'violated-directive': 'frame-ancestors-test-marker' },
    });
    const r = await h.request('POST', 'hub/security/csp-report', {
      token: null,
      rawBody: report,
      headers: { 'content-type': 'application/csp-report' },
    });
    assert.equal(r.status, 204, r.text);
    assert.ok(
      h.logs.some((l) => l.includes('Content security violation') && l.includes('frame-ancestors-test-marker')),
      'the report is logged',
    );
    const modern = await h.request('POST', 'hub/security/csp-report', {
      token: null,
      rawBody: JSON.stringify([{ type: 'csp-violation', body: {} }]),
      headers: { 'content-type': 'application/reports+json' },
    });
    assert.equal(modern.status, 204, modern.text);
    const browser = new Browser(h);
    await browser.login('alice');
    const signedIn = await browser.request('POST', 'hub/security/csp-report', {
      headers: { 'content-type': 'application/csp-report' },
      body: report,
    });
    assert.equal(signedIn.status, 204, `a signed-in browser posts no XSRF token: ${signedIn.text}`);
    const huge = await h.request('POST', 'hub/security/csp-report', {
      token: null,
      rawBody: 'x'.repeat(CSP_REPORT_LIMIT + 1),
      headers: { 'content-type': 'application/csp-report' },
    });
    assert.equal(huge.status, 413);
  });

  test("the spawn page refuses with the API's messages", async () => {
    const browser = new Browser(h);
    await browser.login('alice');
    const badPage = await browser.get('hub/spawn/alice/bad--name');
    const badApi = await h.request('POST', 'hub/api/users/alice/servers/bad--name');
    assert.equal(badApi.status, 400);
    assert.equal(badApi.json.message, "Invalid server_name: 'bad--name'");
    assert.equal(badPage.status, 400);
    assert.match(badPage.text, /Invalid server_name: (&#39;|')bad--name(&#39;|')/);

    const alice = (await findUser(h.hub.ctx.k, 'alice'))!;
    await getOrCreateSpawner(h.hub.ctx.k, alice.id, 'lab');
    const overPage = await browser.get('hub/spawn/alice/two');
    const overApi = await h.request('POST', 'hub/api/users/alice/servers/two');
    assert.equal(overApi.status, 400);
    assert.match(
      overApi.json.message,
      /^User alice already has the maximum of 1 named servers\. {2}One must be deleted/,
    );
    assert.equal(overPage.status, 400);
    assert.ok(overPage.text.includes(overApi.json.message), overPage.text);
  });
});
