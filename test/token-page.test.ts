// The token page and the page templates: the whole life of a token in headless Chromium (create,
// copy, use, "last used", revoke, the limit, rotate), plus template_paths and the page headers.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { findUser } from '../src/repo/users.ts';
import { issueToken } from '../src/tokens/issue.ts';
import { expiryChoices } from '../src/web/token.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(import.meta.dirname, '..', 'test-output', 'screenshots');
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
    h = await startHub({ template_paths: [dir], tokens: { expires_in_max_seconds: 90 * DAY } });
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

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the token page in a real browser', { skip: CHROMIUM ? false : 'no chromium' }, () => {
  let h: TestHub;
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    h = await startHub({ activity_resolution: 1, tokens: { max_active_per_user: 2 } });
  });
  after(() => h?.stop());

  test('create, copy, use, last used, revoke, the limit, rotate', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const origin = new URL(h.url).origin;
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
      });
      const api = async (token: string) => {
        const r = await fetch(new URL('hub/api/user', h.url), { headers: { authorization: `token ${token}` } });
        return { status: r.status, json: (await r.json()) as any };
      };
      const tokenRow = (name: string) => page.locator('#api-tokens tbody tr', { hasText: name });
      const loaded = () => page.locator('#list-status[data-loaded="true"]').waitFor({ state: 'attached' });

      // Sign in through the real form, coming back to the token page.
      await page.goto(new URL('hub/token', h.url).toString());
      await page.waitForURL(/\/hub\/login\?next=/);
      await shot(page, '01-login');
      await page.getByLabel('Username').fill('dora');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/token$/);
      await loaded();
      assert.equal(await page.locator('#token-limit').textContent(), '0 of 2 tokens in use');
      assert.ok(await page.getByText('You have no API tokens.').isVisible());
      await shot(page, '02-token-empty');

      // Create one, read it from the one-time display, copy it.
      await page.getByLabel('Name', { exact: true }).fill('ci script');
      await page.getByLabel('Expires after').selectOption({ label: '7 days' });
      await page.getByRole('button', { name: 'Create token' }).click();
      const field = page.getByLabel('New token', { exact: true });
      await field.waitFor();
      const token = await field.inputValue();
      assert.match(token, /^.{20,}$/);
      assert.equal(await field.getAttribute('readonly'), '');
      await page.getByRole('button', { name: 'Copy', exact: true }).click();
      await page.getByText('Copied to the clipboard.').waitFor();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), token);
      await tokenRow('ci script').waitFor();
      assert.equal(await page.locator('#token-limit').textContent(), '1 of 2 tokens in use');
      const row = tokenRow('ci script');
      assert.match((await row.textContent())!, /Never/, 'not used yet');
      assert.ok(
        token.slice(0, 16).includes((await row.locator('code').first().textContent())!),
        'the prefix is the start of the token',
      );
      await shot(page, '03-token-created');

      // Use it; after a reload it shows as used, from our address, and the secret is gone for good.
      const me = await api(token);
      assert.equal(me.status, 200);
      assert.equal(me.json.name, 'dora');
      let used = '';
      for (const deadline = Date.now() + 15_000; ; ) {
        await page.reload();
        await loaded();
        const cell = tokenRow('ci script').locator('.last-used');
        used = (await cell.count()) ? (await cell.textContent())! : '';
        if (used) break;
        assert.ok(Date.now() < deadline, `last used never appeared: ${await tokenRow('ci script').textContent()}`);
        await new Promise((r) => setTimeout(r, 500));
        await api(token);
      }
      assert.match(used, /from 127\.0\.0\.1/);
      assert.ok(await page.locator('#new-token').isHidden(), 'the token is shown only once');
      assert.ok(!(await page.content()).includes(token), 'the secret is nowhere in the page after a reload');
      await shot(page, '04-token-last-used');

      // Revoke it (confirming), and the API refuses it at once.
      let confirmText = '';
      page.once('dialog', (d) => {
        confirmText = d.message();
        void d.accept();
      });
      await page.getByRole('button', { name: 'Revoke token “ci script”' }).click();
      await page.locator('#inactive-tokens tbody tr', { hasText: 'ci script' }).waitFor();
      assert.match(confirmText, /Revoke token “ci script”/);
      assert.equal(await tokenRow('ci script').count(), 0);
      assert.match(
        (await page.locator('#inactive-tokens tbody tr', { hasText: 'ci script' }).textContent())!,
        /Revoked/,
      );
      const refused = await api(token);
      assert.equal(refused.status, 403);
      assert.match(JSON.stringify(refused.json), /token_revoked/);
      assert.equal(await page.locator('#token-limit').textContent(), '0 of 2 tokens in use');
      await shot(page, '05-token-revoked');

      // An OAuth application's token is listed apart, grouped by client.
      const dora = (await findUser(h.hub.ctx.k, 'dora'))!;
      await issueToken(h.hub.ctx.k, h.hub.ctx.db.kind, {
        owner: { kind: 'user', id: dora.id },
        kind: 'oauth',
        clientId: 'service-reports',
        note: 'oauth',
        scopes: ['read:users:name!user'],
        expiresIn: 3600,
      });

      // Two more fill the quota; a third gets the API's message.
      for (const name of ['first', 'second']) {
        await page.getByLabel('Name', { exact: true }).fill(name);
        await page.getByRole('button', { name: 'Create token' }).click();
        await tokenRow(name).waitFor();
      }
      await page.locator('#token-limit', { hasText: '2 of 2 tokens in use' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill('third');
      await page.getByRole('button', { name: 'Create token' }).click();
      const alert = page.locator('#token-message');
      await alert.filter({ hasText: 'Token limit reached' }).waitFor();
      assert.match((await alert.textContent())!, /Revoke one before creating another/);
      assert.ok(await page.locator('#new-token').isHidden(), 'no token shown after a refusal');
      assert.ok(await page.locator('#apps tbody tr', { hasText: 'service-reports' }).isVisible());
      await shot(page, '06-token-limit');

      // Rotate: a new token with the same name; the old one stops working.
      await page.reload();
      await loaded();
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: 'Rotate token “first”' }).click();
      await page.getByText('The replacement of token “first”').waitFor();
      const rotated = await page.getByLabel('New token', { exact: true }).inputValue();
      assert.equal((await api(rotated)).status, 200);
      await page.locator('#inactive-tokens tbody tr', { hasText: 'Replaced' }).waitFor();
      assert.equal(await tokenRow('first').count(), 1);
      await shot(page, '07-token-rotated');

      // The other pages, for the record.
      await page.goto(new URL('hub/home', h.url).toString());
      await page.getByRole('button', { name: 'Start my server' }).waitFor();
      await shot(page, '08-home');
      await page.goto(new URL('hub/error/404?url=/nowhere', h.url).toString());
      await shot(page, '09-error');

      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } finally {
      await browser.close();
    }
  });
});
