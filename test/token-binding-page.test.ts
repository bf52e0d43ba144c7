// Token binding on the token page in headless Chromium: the create form's networks and not-before, the
// binding shown on the token's row, and the Bind button changing it; checked against the hub's API.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startHub, type TestHub } from './harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe('token binding on the token page', { skip: CHROMIUM ? false : 'no chromium' }, () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({});
  });
  after(() => h?.stop());

  test('create a bound token, see its binding, change it with Bind', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      const tokens = async () => (await h.request('GET', 'hub/api/users/dora/tokens')).json.api_tokens as any[];

      await page.goto(new URL('hub/token', h.url).toString());
      await page.getByLabel('Username').fill('dora');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/token$/);

      // A bad network: the hub's 400 is shown, and no token is made.
      await page.getByLabel('Name', { exact: true }).fill('bound');
      await page.getByLabel('Only from networks').fill('10.0.0.0/33');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.locator('#token-message.error').waitFor();
      assert.match((await page.locator('#token-message').textContent()) ?? '', /10\.0\.0\.0\/33/);
      assert.equal((await tokens()).length, 0);

      await page.getByLabel('Only from networks').fill('127.0.0.1, 10.0.0.0/8');
      await page.getByLabel('Not before').fill('2030-01-31T09:00');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByLabel('New token', { exact: true }).waitFor();
      const row = page.locator('#api-tokens tbody tr', { hasText: 'bound' });
      await row.getByText('only from 127.0.0.1/32, 10.0.0.0/8').waitFor();
      const [made] = await tokens();
      assert.deepEqual(made.allowed_cidrs, ['127.0.0.1/32', '10.0.0.0/8']);
      // The form's time is local; the API holds the same instant in UTC.
      const local = await page.evaluate(() => new Date('2030-01-31T09:00').toISOString());
      assert.equal(made.not_before, local);
      const value = await page.getByLabel('New token', { exact: true }).inputValue();
      const early = await h.request('GET', 'hub/api/user', { token: value });
      assert.equal(early.json?.reason, 'token_not_yet_valid');

      // Bind: two prompts, the networks then the start time; both lifted here.
      const answers = ['', ''];
      page.on('dialog', (d) => void d.accept(answers.shift()));
      await row.getByRole('button', { name: /Change where and from when/ }).click();
      await page.getByText('usable from anywhere, at any time').waitFor();
      const [after] = await tokens();
      assert.deepEqual(after.allowed_cidrs, []);
      assert.equal(after.not_before, null);
      assert.equal((await h.request('GET', 'hub/api/user', { token: value })).status, 200);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
