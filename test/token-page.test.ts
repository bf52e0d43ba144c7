// The token page's expiry choices, template_paths and the page headers, on the in-process hub; the whole
// life of a token in headless Chromium: token-page-e2e.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { expiryChoices } from '../src/web/token.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const DAY = 86400;

describe('expiry choices', () => {
  test('7/30/90/180/365 days and never; 30 days preselected', () => {
    const { choices, selected } = expiryChoices(null, null);
    assert.deepEqual(
      choices.map((c) => c.label),
      ['7 days', '30 days', '90 days', '180 days', '365 days', 'Never'],
    );
    assert.equal(selected, 30 * DAY);
  });

  test('a maximum drops the longer choices and replaces "never"', () => {
    const { choices, selected } = expiryChoices(100 * DAY, null);
    assert.deepEqual(
      choices.map((c) => [c.label, c.seconds]),
      [
        ['7 days', 7 * DAY],
        ['30 days', 30 * DAY],
        ['90 days', 90 * DAY],
        ['Maximum (100 days)', 100 * DAY],
      ],
    );
    assert.equal(selected, 30 * DAY);
    assert.deepEqual(
      expiryChoices(90 * DAY, 7 * DAY).choices.map((c) => c.label),
      ['7 days', '30 days', '90 days'],
    );
    assert.equal(expiryChoices(90 * DAY, 7 * DAY).selected, 7 * DAY);
    assert.deepEqual(expiryChoices(3600, null), {
      choices: [{ seconds: 3600, label: 'Maximum (1 hour)' }],
      selected: 3600,
    });
  });
});

describe('page templates and headers', () => {
  let h: TestHub;
  const dir = mkdtempSync(join(tmpdir(), 'tshub-templates-'));
  before(async () => {
    // A deployment's own error page, extending the built-in frame.
    writeFileSync(
      join(dir, 'error.html'),
      '{% extends "page.html" %}{% block main %}<h1>Custom {{ status_code }}</h1><p>{{ message }}</p>{% endblock %}',
    );
    h = await startInProcessHub(
      { template_paths: [dir], tokens: { expires_in_max_seconds: 90 * DAY } },
      { listen: true },
    );
  });
  after(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('template_paths come before the built-in templates, and values stay escaped', async () => {
    const b = new Browser(h);
    const r = await b.get('hub/error/404?url=/nothing/<b>here</b>');
    assert.equal(r.status, 404);
    assert.match(r.text, /<h1>Custom 404<\/h1>/);
    assert.match(r.text, /&#60;b&#62;here&#60;\/b&#62;/);
    assert.doesNotMatch(r.text, /<b>here/);
  });

  test('the token page: login first, then strict CSP, no store, the capped expiry select, jhdata by nonce', async () => {
    const b = new Browser(h);
    const anon = await b.get('hub/token');
    assert.equal(anon.status, 302);
    assert.equal(new URL(anon.location!).pathname, '/hub/login');
    await b.login('erin');
    const r = await b.get('hub/token');
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy')!;
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /style-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    assert.equal(r.headers.get('cache-control'), 'no-store');
    // The one inline script is jhdata, and it carries this response's nonce.
    const scripts = [...r.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    assert.deepEqual(
      scripts.filter((a) => !/src="\/hub\/static\//.test(a)),
      [` nonce="${nonce}"`],
    );
    assert.equal(Browser.jhdata(r.text).user, 'erin');
    assert.match(r.text, /<option value="7776000"[^>]*>90 days<\/option>/);
    assert.doesNotMatch(r.text, /365 days|Never</);
    assert.match(r.text, /0 of 5 tokens in use/);
    assert.match(r.text, /<label for="token-note">Name<\/label>/);
    assert.match(r.text, /value="tokens!user"/, 'scopes offered filtered to the user');
    assert.doesNotMatch(r.text, /value="admin:users"/, 'not offered what the user does not hold');
    assert.match(r.text, /<a href="\/hub\/token" aria-current="page">Token<\/a>/);
    assert.doesNotMatch(r.text, />Admin</, 'no admin link without admin-ui');
  });

  test('static files: hashed URLs cached for good, nothing outside the directory', async () => {
    const b = new Browser(h);
    const css = await b.get('hub/static/style.css?v=nope');
    assert.equal(css.status, 200);
    assert.equal(css.headers.get('cache-control'), 'no-cache');
    assert.match(css.headers.get('content-type')!, /text\/css/);
    for (const bad of ['hub/static/..%2Fhtml.ts', 'hub/static/%2e%2e%2ftemplates.ts', 'hub/static/nope.js']) {
      assert.equal((await b.get(bad)).status, 404, bad);
    }
  });
});
