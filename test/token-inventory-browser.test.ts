// The admin page's Tokens tab in headless Chromium: the hygiene figures, filters, paging and a bulk revoke
// (counted first, then confirmed) against the in-process hub, listening on loopback.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { type FilledToken, fillInventory } from './token-inventory-fixture.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(import.meta.dirname, '..', 'test-output', 'screenshots');

describe('the Tokens tab of the admin page', { skip: CHROMIUM ? false : 'no chromium' }, () => {
  let h: TestHub;
  let filled: FilledToken[];
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    h = await startInProcessHub({ rate_limits: { enabled: false } }, { listen: true });
    filled = await fillInventory(h.hub.ctx.k, { users: 50, tokens: 300, nowMs: Date.now(), baseUrl: '/', seed: 7 });
  });
  after(() => h?.stop());

  test('hygiene, filters, paging, and a bulk revoke counted then confirmed', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
      });
      await page.goto(new URL('hub/admin', h.url).toString());
      await page.waitForURL(/\/hub\/login\?next=/);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/admin$/);
      await page.getByRole('tab', { name: 'Tokens' }).click();
      const status = page.locator('#tokens-status');
      await page.getByText(/^\d+ tokens match\.$/).waitFor();
      const all = (
        await h.request('GET', 'hub/api/tokens?limit=1', {
          headers: { accept: 'application/jupyterhub-pagination+json' },
        })
      ).json._pagination.total;
      assert.equal(await status.textContent(), `${all} tokens match.`);
      assert.equal(await page.locator('#tokens tbody tr').count(), 50);
      assert.equal(await page.locator('#tokens-range').textContent(), `1–50 of ${all}`);
      await page.locator('#tokens-next').click();
      await page.locator('#tokens-range', { hasText: `51–100 of ${all}` }).waitFor();

      const summary = (await h.request('GET', 'hub/api/tokens/summary')).json;
      await page.getByRole('link', { name: `${summary.never_expires} never expire` }).click();
      await page.locator('#tokens-status', { hasText: `${summary.never_expires} tokens match.` }).waitFor();
      await page.screenshot({ path: join(SHOTS, 'admin-tokens-hygiene.png'), fullPage: true });

      await page.getByLabel('Note contains').fill('laptop');
      await page.getByLabel('Kind').selectOption('api');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      const dry = (
        await h.request('POST', 'hub/api/tokens/revoke', {
          body: { filter: { note: 'laptop', kind: 'api' }, dry_run: true },
        })
      ).json;
      assert.ok(dry.matched > 0);
      await page.getByRole('button', { name: 'Revoke matching tokens…' }).click();
      await page.locator('#confirm-text', { hasText: `Revoke ${dry.matched} token` }).waitFor();
      await page.getByRole('button', { name: `Revoke ${dry.matched}` }).click();
      await page.locator('#tokens-status', { hasText: `Revoked ${dry.matched} tokens.` }).waitFor();
      const ids = new Set<string>(dry.ids);
      for (const t of filled.filter((f) => ids.has(`a${f.id}`))) {
        const r = await h.request('GET', 'hub/api/user', { token: t.raw });
        assert.equal(r.json.reason, 'token_revoked');
      }
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
