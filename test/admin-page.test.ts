// The admin page: the guard (login, admin-ui, the Admin link) over HTTP, then a whole admin session in
// headless Chromium against a real hub with real jupyterhub-singleuser servers.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(import.meta.dirname, '..', 'test-output', 'screenshots');

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the admin page guard', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub();
  });
  after(() => h?.stop());

  test('login first; 403 and no Admin link without admin-ui; the page and link with it', async () => {
    const anon = await new Browser(h).get('hub/admin');
    assert.equal(anon.status, 302);
    assert.equal(new URL(anon.location!).pathname, '/hub/login');

    const user = new Browser(h);
    await user.login('carol');
    const denied = await user.get('hub/admin');
    assert.equal(denied.status, 403);
    assert.match(denied.text, /admin-ui/);
    assert.doesNotMatch(denied.text, />Admin</);
    assert.doesNotMatch((await user.get('hub/home')).text, /href="\/hub\/admin"/);

    const admin = new Browser(h);
    await admin.login('admin');
    const r = await admin.get('hub/admin');
    assert.equal(r.status, 200);
    assert.match(r.text, /<a href="\/hub\/admin" aria-current="page">Admin<\/a>/);
    assert.match(r.text, /src="\/hub\/static\/admin\.js/);
    // The tab bar, its panels and the tabs' modules all follow the one list in admin.html.
    const tabs = [...r.text.matchAll(/role="tab" id="tab-(\w+)" aria-controls="panel-(\w+)"/g)].map((m) => [
      m[1],
      m[2],
    ]);
    // Users and Groups first; a tab added later (another entry in the list) needs only its panel.
    assert.deepEqual(
      tabs.slice(0, 2).map(([tab]) => tab),
      ['users', 'groups'],
    );
    for (const [id, panel] of tabs) {
      assert.equal(panel, id);
      assert.match(
        r.text,
        new RegExp(`<section id="panel-${id}" class="tab-panel" role="tabpanel" aria-labelledby="tab-${id}"`),
      );
    }
    for (const id of ['users', 'groups'])
      assert.match(r.text, new RegExp(`<script type="module" src="/hub/static/admin-${id}\\.js\\?v=\\w+">`));
    assert.doesNotMatch(r.headers.get('content-security-policy')!, /unsafe-inline/);
    assert.equal(Browser.jhdata(r.text).admin_page_size, 50);
    assert.match((await admin.get('hub/home')).text, /<a href="\/hub\/admin">Admin<\/a>/);
  });
});

describe('the admin page in a real browser', { skip: CHROMIUM ? false : 'no chromium' }, () => {
  let h: TestHub;
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    h = await startHub({ slow_spawn_timeout: 0 });
  });
  after(() => h?.stop());

  test('add users, search, sort, start and stop a server, make admin, delete, groups, shut down', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
      });
      const row = (name: string) => page.locator('#users tbody tr', { has: page.locator(`th:text-is("${name}")`) });
      const names = async () => page.locator('#users tbody th').allTextContents();
      const status = page.locator('#admin-status');
      // The table re-renders after each request: poll its names until they match.
      const namesBecome = async (want: (n: string[]) => boolean, what: string) => {
        for (const deadline = Date.now() + 15_000; !want(await names()); await page.waitForTimeout(100)) {
          assert.ok(Date.now() < deadline, `${what}: ${(await names()).join(', ')}`);
        }
      };

      await page.goto(new URL('hub/admin', h.url).toString());
      await page.waitForURL(/\/hub\/login\?next=/);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/admin$/);
      await row('admin').waitFor();
      assert.deepEqual(await names(), ['admin']);

      // Bulk add (one per line, blank lines ignored); an invalid name shows the API's message.
      await page.getByLabel('Usernames').fill('no/slashes');
      await page.getByRole('button', { name: 'Add users' }).click();
      await page.locator('#admin-error', { hasText: 'Invalid username' }).waitFor();
      await page.getByLabel('Usernames').fill('alice\n\nbob\n');
      await page.getByRole('button', { name: 'Add users' }).click();
      await status.filter({ hasText: 'Added alice, bob.' }).waitFor();
      await row('bob').waitFor();
      assert.deepEqual(await names(), ['admin', 'alice', 'bob']);
      assert.match((await page.locator('#page-range').textContent())!, /Users 1–3 of 3/);
      await shot(page, 'admin-01-users-added');

      // Sort by name, descending, then search narrows the list through name_filter.
      await page.getByRole('button', { name: 'Name', exact: true }).click();
      await page.locator('#users th[data-sort="name"][aria-sort="descending"]').waitFor();
      await namesBecome((n) => n[0] === 'bob', 'bob first');
      assert.deepEqual(await names(), ['bob', 'alice', 'admin']);
      await page.getByLabel('Search users by name').fill('ali');
      await namesBecome((n) => n.length === 1, 'one match');
      assert.deepEqual(await names(), ['alice']);
      await shot(page, 'admin-02-search');
      await page.getByLabel('Search users by name').fill('');
      await row('bob').waitFor();

      // Start alice's server with the Start button: pending, then ready (a real jupyterhub-singleuser).
      assert.equal(await row('alice').locator('.server-status').textContent(), 'stopped');
      await row('alice').getByRole('button', { name: 'Start' }).click();
      await row('alice').locator('.server-status', { hasText: 'ready' }).waitFor({ timeout: 90_000 });
      const api = await h.request('GET', 'hub/api/users/alice');
      assert.equal(api.json.servers[''].ready, true);
      await shot(page, 'admin-03-server-ready');
      await row('alice').getByRole('button', { name: 'Stop' }).click();
      await row('alice').locator('.server-status', { hasText: 'stopped' }).waitFor({ timeout: 60_000 });
      assert.deepEqual((await h.request('GET', 'hub/api/users/alice')).json.servers, {});

      // Make bob an admin, and back.
      await row('bob').getByRole('button', { name: 'Make admin' }).click();
      await row('bob').locator('.badge', { hasText: 'admin' }).waitFor();
      assert.equal((await h.request('GET', 'hub/api/users/bob')).json.admin, true);
      await row('bob').getByRole('button', { name: 'Remove admin' }).click();
      await row('bob').getByRole('button', { name: 'Make admin' }).waitFor();
      assert.equal((await h.request('GET', 'hub/api/users/bob')).json.admin, false);

      // Groups (their own tab): create one, add alice and bob, remove bob.
      await page.getByRole('tab', { name: 'Groups' }).click();
      await page.getByLabel('New group name').fill('team');
      await page.getByRole('button', { name: 'Create group' }).click();
      const team = page.locator('#groups li.group[data-group="team"]');
      await team.waitFor();
      for (const who of ['alice', 'bob']) {
        await page.getByLabel('Add a member to team').fill(who);
        await page.getByRole('button', { name: 'Add member to team' }).click();
        await team.getByRole('listitem').filter({ hasText: who }).waitFor();
      }
      await team.getByRole('button', { name: 'Remove bob from team' }).click();
      await status.filter({ hasText: 'Removed bob from team.' }).waitFor();
      assert.deepEqual((await h.request('GET', 'hub/api/groups/team')).json.users, ['alice']);
      await shot(page, 'admin-04-groups');
      await page.getByRole('tab', { name: 'Users' }).click();

      // Delete bob: cancelling keeps him; confirming in the dialog removes him.
      await row('bob').getByRole('button', { name: 'Delete' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      assert.match((await dialog.textContent())!, /Delete the user bob\?/);
      await shot(page, 'admin-05-confirm-delete');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await row('bob').count(), 1);
      await row('bob').getByRole('button', { name: 'Delete' }).click();
      await dialog.getByRole('button', { name: 'Delete bob' }).click();
      await status.filter({ hasText: 'Deleted bob.' }).waitFor();
      await namesBecome((n) => !n.includes('bob'), 'bob gone');
      assert.equal((await h.request('GET', 'hub/api/users/bob')).status, 404);

      // Pages of 50: next and previous, and sorting by last activity (newest first) from the button.
      await h.addUsers(Array.from({ length: 50 }, (_, i) => `user${String(i).padStart(2, '0')}`));
      await page.reload();
      const range = page.locator('#page-range');
      await range.filter({ hasText: 'Users 1–50 of 52' }).waitFor();
      assert.ok(await page.getByRole('button', { name: 'Previous' }).isDisabled());
      await page.getByRole('button', { name: 'Next' }).click();
      await range.filter({ hasText: 'Users 51–52 of 52' }).waitFor();
      // Names Z to A, as sorted above: the sort is in the URL and outlived the reload.
      assert.deepEqual(await names(), ['alice', 'admin']);
      assert.ok(await page.getByRole('button', { name: 'Next' }).isDisabled());
      // The page is in the URL: a reload stays on it.
      assert.equal(new URL(page.url()).searchParams.get('offset'), '50');
      await page.reload();
      await range.filter({ hasText: 'Users 51–52 of 52' }).waitFor();
      await page.getByRole('button', { name: 'Previous' }).click();
      await range.filter({ hasText: 'Users 1–50 of 52' }).waitFor();
      // Pages of 25 (in the URL too): three pages, and a reload keeps the size.
      await page.getByLabel('Users per page').selectOption('25');
      await range.filter({ hasText: 'Users 1–25 of 52' }).waitFor();
      assert.equal(new URL(page.url()).searchParams.get('limit'), '25');
      await page.getByRole('button', { name: 'Next' }).click();
      await range.filter({ hasText: 'Users 26–50 of 52' }).waitFor();
      await page.reload();
      await range.filter({ hasText: 'Users 26–50 of 52' }).waitFor();
      assert.equal(await page.getByLabel('Users per page').inputValue(), '25');
      await page.getByLabel('Users per page').selectOption('50');
      await range.filter({ hasText: 'Users 1–50 of 52' }).waitFor();
      assert.equal(new URL(page.url()).searchParams.get('limit'), null);
      await page.getByRole('button', { name: 'Last activity' }).click();
      await page.locator('#users th[data-sort="last_activity"][aria-sort="descending"]').waitFor();
      const newest = (await h.request('GET', 'hub/api/users?sort=-last_activity&limit=3')).json.map(
        (u: { name: string }) => u.name,
      );
      await namesBecome((n) => n.slice(0, 3).join() === newest.join(), `newest first (${newest.join()})`);

      // Shut down, confirmed: the hub answers 202 before it goes.
      await page.getByRole('button', { name: 'Shut down hub' }).click();
      await dialog.getByRole('button', { name: 'Shut down' }).click();
      await status.filter({ hasText: 'The hub is shutting down.' }).waitFor();
      assert.ok(h.logs.some((l) => l.includes('shutdown requested through the API')));
      await shot(page, 'admin-06-shutdown');

      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } finally {
      await browser.close();
    }
  });
});
