/**
 * Security headers on every kind of answer (API, page, error, 404): no sniffing, no framing, no
 * referrer leaks, isolated browsing context; API answers and pages are never cached; HSTS only when
 * the public URL is https.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const COMMON: Record<string, RegExp> = {
  'x-content-type-options': /^nosniff$/,
  'content-security-policy': /frame-ancestors 'none'/,
  'x-frame-options': /^DENY$/,
  'referrer-policy': /^(same-origin|no-referrer|strict-origin)$/,
  'cross-origin-opener-policy': /^same-origin$/,
  'cross-origin-resource-policy': /^same-origin$/,
};

describe('security headers', () => {
  let h: TestHub;
  let https: TestHub;
  before(async () => {
    h = await startInProcessHub();
    https = await startInProcessHub({ bind_url: 'https://127.0.0.1:8443/' });
  });
  after(async () => {
    await h.stop();
    await https.stop();
  });

  const answers: [string, string, Record<string, string>, boolean][] = [
    ['API answer', 'hub/api/', {}, true],
    ['API error', 'hub/api/users', {}, true],
    ['API 404', 'hub/api/nope', {}, true],
    ['page', 'hub/login', { accept: 'text/html' }, false],
    ['page 404', 'hub/nope', { accept: 'text/html' }, false],
    ['bad URL', 'hub/api/users/%zz', {}, true],
  ];

  for (const [label, path, headers, api] of answers) {
    test(`${label} (${path})`, async () => {
      const r = await h.request('GET', path, { headers, token: path === 'hub/api/users' ? null : undefined });
      for (const [name, re] of Object.entries(COMMON))
        assert.match(r.headers.get(name) ?? '', re, `${name} on ${label}: ${r.status}`);
      if (api) assert.equal(r.headers.get('cache-control'), 'no-store', `Cache-Control on ${label}`);
      assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS over http');
    });
  }

  test('the token page is not cached', async () => {
    const r = await h.request('GET', 'hub/token', { token: null, headers: { accept: 'text/html' } });
    // Signed out it redirects to the login page; the login page is what shows then.
    const page =
      r.status === 200 ? r : await h.request('GET', 'hub/login', { token: null, headers: { accept: 'text/html' } });
    assert.equal(page.headers.get('cache-control'), 'no-store');
  });

  test('HSTS when bind_url is https, on API answers, pages and errors', async () => {
    for (const path of ['hub/api/', 'hub/login', 'hub/api/nope']) {
      const r = await https.request('GET', path, { token: null });
      assert.match(r.headers.get('strict-transport-security') ?? '', /^max-age=\d{7,}/, path);
    }
  });
});

describe('CSP report-uri under a base URL', () => {
  test('names the report route where the hub serves it, and that route takes a report', async () => {
    const h = await startInProcessHub({ bind_url: 'http://127.0.0.1:8000/jhub/' });
    try {
      const page = await h.request('GET', 'hub/login', { headers: { accept: 'text/html' } });
      assert.match(
        page.headers.get('content-security-policy') ?? '',
        /report-uri \/jhub\/hub\/security\/csp-report(;|$)/,
      );
      const report = await h.request('POST', 'hub/security/csp-report', {
        token: null,
        rawBody: JSON.stringify({ 'csp-report': {} }),
        headers: { 'content-type': 'application/csp-report' },
      });
      assert.equal(report.status, 204, report.text);
    } finally {
      await h.stop();
    }
  });
});
