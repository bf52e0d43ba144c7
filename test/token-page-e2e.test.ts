// The token page in headless Chromium: the whole life of a token (create, copy, use, "last used", revoke,
// the limit, rotate) against a real hub.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { findUser } from '../src/repo/users.ts';
import { issueToken } from '../src/tokens/issue.ts';
import { startHub, type TestHub } from './harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(import.meta.dirname, '..', 'test-output', 'screenshots');

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
        // The shown prefix is the token's start, after `tshub_` (a typed token's kind and hub id lead it).
        token.startsWith(`tshub_${(await row.locator('code').first().textContent())!.replace(/^tshub_/, '')}`),
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
