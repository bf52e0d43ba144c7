// The token page's usage details in headless Chromium: the "Usage" button of a token row opens a row with
// the token's last IPs and user agents, its requests per day and its top routes, and closes it again.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe('token usage on the token page', { skip: CHROMIUM ? false : 'no chromium', timeout: 90_000 }, () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({}, { listen: true });
  });
  after(() => h?.stop());

  test('a token row shows its usage', async () => {
    await h.addUsers(['dora']);
    const token = await h.tokenFor('dora', { note: 'ci script' });
    for (const path of ['hub/api/user', 'hub/api/user', 'hub/api/users/nobody']) {
      const r = await fetch(new URL(path, h.url), {
        headers: { authorization: `token ${token}`, 'user-agent': 'usage-probe/1.0' },
      });
      await r.arrayBuffer();
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(new URL('hub/token', h.url).toString());
      await page.waitForURL(/\/hub\/login\?next=/);
      await page.getByLabel('Username').fill('dora');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/token$/);
      await page.locator('#list-status[data-loaded="true"]').waitFor({ state: 'attached' });

      await page.getByRole('button', { name: 'Usage of token \u201cci script\u201d' }).click();
      const details = page.locator('#api-tokens tr.usage-row .usage-details');
      await details.waitFor();
      const text = (await details.textContent())!;
      assert.match(text, /127\.0\.0\.1/);
      assert.match(text, /usage-probe\/1\.0/);
      assert.match(text, /GET \/hub\/api\/user2/, 'the route and its count');
      assert.match(text, /GET \/hub\/api\/users\/:name1/);
      const day = new Date().toISOString().slice(0, 10);
      assert.match(text, new RegExp(`${day}31`), 'the day: 3 requests, 1 error');

      const usageButton = page.getByRole('button', { name: 'Usage of token \u201cci script\u201d' });
      assert.equal(await usageButton.getAttribute('aria-expanded'), 'true');
      await usageButton.click();
      await page.locator('#api-tokens tr.usage-row').waitFor({ state: 'detached' });
      assert.equal(await usageButton.getAttribute('aria-expanded'), 'false');
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
