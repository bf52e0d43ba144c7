import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startHub, type TestHub } from './harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(import.meta.dirname, '..', 'test-output', 'screenshots');

describe('the login page in a real browser', { skip: CHROMIUM ? false : 'Debian chromium is not installed' }, () => {
  let h: TestHub;
  let browser: Browser;
  before(async () => {
    // Sign-ins land on /hub/home here (the landing on the server: landing-e2e.test.ts).
    h = await startHub({
      redirect_to_server: false,
      authenticator: { password: 'the-shared-secret' },
      allow_named_servers: true,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  test('a wrong password shows an error and keeps the form; the right one signs in', async () => {
    const page = await browser.newPage();
    await page.goto(new URL('hub/login', h.url).toString());
    await page.getByLabel('Username').fill('wanda');
    await page.getByLabel('Password').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /Invalid username or password/);
    assert.equal(await page.getByLabel('Username').inputValue(), 'wanda', 'the name is kept for the next try');
    await page.screenshot({ path: join(SHOTS, 'login-wrong-password.png'), fullPage: true });
    await page.getByLabel('Password').fill('the-shared-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/hub\/home$/);
    assert.match((await page.textContent('main')) ?? '', /Signed in as\s+wanda/);
    await page.close();
  });

  test('home: create a named server, reach it, stop it, delete it', async () => {
    const page = await browser.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(new URL('hub/login', h.url).toString());
    await page.getByLabel('Username').fill('nina');
    await page.getByLabel('Password').fill('the-shared-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/hub\/home$/);
    await page.getByLabel('New server name').fill('lab');
    await page.getByRole('button', { name: 'Create and start' }).click();
    // spawn-pending follows the progress stream and moves on to the server once it is ready.
    await page.waitForURL(/\/user\/nina\/lab\//, { timeout: 60_000 });
    await page.goto(new URL('hub/home', h.url).toString());
    const row = page.locator('tr[data-server="lab"]');
    assert.match((await row.textContent()) ?? '', /Running/);
    await page.screenshot({ path: join(SHOTS, 'home-named-servers.png'), fullPage: true });
    await page.getByRole('button', { name: 'Stop server lab' }).click();
    await page.getByRole('button', { name: 'Start server lab' }).waitFor();
    assert.equal((await h.request('GET', 'hub/api/users/nina')).json.servers.lab, undefined, 'stopped');
    await page.getByRole('button', { name: 'Delete server lab' }).click();
    await page.getByText('You have no named servers yet.').waitFor();
    const all = await h.request('GET', 'hub/api/users/nina?include_stopped_servers=1');
    assert.equal(all.json.servers.lab, undefined, 'removed');
    await page.close();
  });
});
