// The admin page's named servers, bulk actions, renaming, group properties and URL view state, driven in
// headless Chromium against a real hub. Servers are the spawner tests' fake singleuser server (a real
// process the hub spawns, routes and stops), so starting a dozen of them stays quick.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { type Browser as Chromium, chromium, type Page } from 'playwright-core';
import type { ConfigInput } from '../src/config/index.ts';
import type { SpawnRequest } from '../src/spawners/spawner.ts';
import { fakeServerCmd, tempDir } from '../src/spawners/test-helpers.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(import.meta.dirname, '..', 'test-output', 'screenshots');

/** Polls the API until `want` holds for the user's model (servers included, stopped ones too). */
async function userBecomes(h: TestHub, name: string, want: (u: any) => boolean, what: string): Promise<any> {
  for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
    const u = (await h.request('GET', `hub/api/users/${name}?include_stopped_servers=1`)).json;
    if (want(u)) return u;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(u?.servers)}`);
  }
}

const ready = (s: any) => s?.ready === true && !s.pending;
const stopped = (s: any) => s !== undefined && s.stopped === true && !s.pending;

describe('the admin page: servers, bulk actions, renaming, properties, view state', {
  skip: CHROMIUM ? false : 'no chromium',
}, () => {
  let h: TestHub;
  let browser: Chromium;
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    h = await startHub({
      allow_named_servers: true,
      // Starts answer once the server is up (or failed), so a failed start shows in Start all's answers.
      slow_spawn_timeout: 20,
      spawner: {
        cmd: fakeServerCmd(tempDir('tshub-admin-browser-')),
        // erin's starts fail, for the bulk errors.
        pre_spawn_hook: (req: SpawnRequest) => {
          if (req.user.name === 'erin') throw new Error('no GPUs left for erin');
        },
      },
    } as ConfigInput);
    await h.addUsers(['alice', 'bob', 'carol', 'dave']);
    // alice: a running named server "lab" and a stopped one "gpu".
    for (const s of ['lab', 'gpu']) {
      const r = await h.request('POST', `hub/api/users/alice/servers/${s}`);
      assert.ok([201, 202].includes(r.status), r.text);
    }
    await userBecomes(h, 'alice', (u) => ready(u.servers.lab) && ready(u.servers.gpu), 'alice up');
    assert.ok([202, 204].includes((await h.request('DELETE', 'hub/api/users/alice/servers/gpu')).status));
    await userBecomes(h, 'alice', (u) => stopped(u.servers.gpu), 'gpu stopped');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  test('a user without admin-ui gets 403 on /hub/admin', async () => {
    const carol = new Browser(h);
    await carol.login('carol');
    const r = await carol.get('hub/admin');
    assert.equal(r.status, 403);
    assert.match(r.text, /admin-ui/);
  });

  test('the whole admin session', async () => {
    const page: Page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
    });
    const userRow = (name: string) =>
      page.locator('#users > tbody > tr:not(.detail)', { has: page.locator(`th:text-is("${name}")`) });
    const names = () => page.locator('#users > tbody > tr:not(.detail) > th').allTextContents();
    const namesBecome = async (want: string[], what: string) => {
      for (const deadline = Date.now() + 15_000; (await names()).join() !== want.join(); await page.waitForTimeout(100))
        assert.ok(Date.now() < deadline, `${what}: ${(await names()).join(', ')}`);
    };
    const status = page.locator('#admin-status');
    const alert = page.locator('#admin-error');
    const query = () => new URL(page.url()).searchParams;

    await page.goto(new URL('hub/admin', h.url).toString());
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('anything');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/hub\/admin$/);
    await namesBecome(['admin', 'alice', 'bob', 'carol', 'dave'], 'all users');
    assert.match((await userRow('alice').textContent())!, /\+2 named/);

    // Opening alice's row lists her servers (default first) with links, and puts her in the URL.
    const toggle = userRow('alice').getByRole('button', { name: 'Servers of alice' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    const servers = page.locator('#users table.servers');
    await servers.waitFor();
    assert.equal(
      await userRow('alice').getByRole('button', { name: 'Servers of alice' }).getAttribute('aria-expanded'),
      'true',
    );
    assert.deepEqual(query().getAll('expand'), ['alice']);
    const serverRow = (s: string) => servers.locator(`tbody tr[data-server="${s}"]`);
    assert.deepEqual(
      await servers.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-server'))),
      ['', 'gpu', 'lab'],
    );
    assert.equal(await serverRow('lab').locator('.server-status').textContent(), 'ready');
    assert.equal(await serverRow('gpu').locator('.server-status').textContent(), 'stopped');
    assert.equal(
      await page.getByRole('link', { name: 'Open the server lab of alice' }).getAttribute('href'),
      '/user/alice/lab/',
    );
    assert.equal(
      await page.getByRole('link', { name: 'Open the default server of alice' }).getAttribute('href'),
      '/user/alice/',
    );
    assert.equal(
      await page.getByRole('link', { name: 'Spawn page of the server gpu of alice' }).getAttribute('href'),
      '/hub/spawn/alice/gpu',
    );
    assert.equal(
      await page.getByRole('link', { name: 'Spawn page of the server lab of alice' }).count(),
      0,
      'lab runs',
    );
    // The link reaches that server through the proxy (the fake server answers with its environment).
    const reached = await page.context().request.get(new URL('/user/alice/lab/', h.url).toString());
    const env = (await reached.json()).env;
    assert.deepEqual([env.JUPYTERHUB_USER, env.JUPYTERHUB_SERVER_NAME], ['alice', 'lab']);
    await page.screenshot({ path: join(SHOTS, 'admin-named-servers.png'), fullPage: true });

    // Start gpu, stop lab, delete lab for good (confirmed), each checked through the API.
    await page.getByRole('button', { name: 'Start the server gpu of alice' }).click();
    await serverRow('gpu').locator('.server-status', { hasText: 'ready' }).waitFor({ timeout: 30_000 });
    await userBecomes(h, 'alice', (u) => ready(u.servers.gpu), 'gpu started');
    await page.getByRole('button', { name: 'Stop the server lab of alice' }).click();
    await serverRow('lab').locator('.server-status', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    await userBecomes(h, 'alice', (u) => stopped(u.servers.lab), 'lab stopped');
    // The re-rendered table keeps focus on that server's row (Stop became Start).
    assert.equal(await page.locator(':focus').getAttribute('aria-label'), 'Start the server lab of alice');
    await page.getByRole('button', { name: 'Delete the server lab of alice' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete lab' }).click();
    await status.filter({ hasText: 'Deleted the server lab of alice.' }).waitFor();
    await serverRow('lab').waitFor({ state: 'detached' });
    assert.equal((await userBecomes(h, 'alice', (u) => !('lab' in u.servers), 'lab removed')).servers.gpu.ready, true);

    // Start all on a filtered view: only bob and carol (names with an "o") start; alice and dave do not.
    await page.getByLabel('Search users by name').fill('o');
    await namesBecome(['bob', 'carol'], 'filtered');
    assert.equal(query().get('name_filter'), 'o');
    await page.getByRole('button', { name: 'Start all' }).click();
    assert.match((await dialog.textContent())!, /Start 2 stopped default servers of the users whose name contains “o”/);
    await dialog.getByRole('button', { name: 'Start 2' }).click();
    await status.filter({ hasText: 'Asked 2 servers to start.' }).waitFor({ timeout: 30_000 });
    for (const who of ['bob', 'carol']) await userBecomes(h, who, (u) => ready(u.servers['']), `${who} started`);
    assert.deepEqual((await h.request('GET', 'hub/api/users/dave')).json.servers, {});
    assert.equal((await h.request('GET', 'hub/api/users/alice')).json.servers[''], undefined);

    // Active only, no name filter: the users with a running server; the view survives a reload.
    await page.getByLabel('Search users by name').fill('');
    await namesBecome(['admin', 'alice', 'bob', 'carol', 'dave'], 'filter cleared');
    await page.getByLabel('Only users with a running server').check();
    await namesBecome(['alice', 'bob', 'carol'], 'active only');
    assert.equal(query().get('state'), 'active');
    await page.getByRole('button', { name: 'Last activity' }).click();
    await page.locator('#users th[data-sort="last_activity"][aria-sort="descending"]').waitFor();
    assert.equal(query().get('sort'), '-last_activity');
    await page.reload();
    await page.locator('#users-status[data-loaded]').waitFor({ state: 'attached' });
    assert.ok(await page.getByLabel('Only users with a running server').isChecked());
    await page.locator('#users th[data-sort="last_activity"][aria-sort="descending"]').waitFor();
    assert.equal((await names()).sort().join(), 'alice,bob,carol');
    await servers.waitFor(); // alice's row is still open
    await page.screenshot({ path: join(SHOTS, 'admin-active-only.png'), fullPage: true });
    // Back undoes the sort, then the filter.
    await page.goBack();
    await page.locator('#users th[data-sort="name"][aria-sort="ascending"]').waitFor();
    await page.goBack();
    await namesBecome(['admin', 'alice', 'bob', 'carol', 'dave'], 'back to all');
    assert.equal(await page.getByLabel('Only users with a running server').isChecked(), false);

    // Stop all on "o" + active only: bob's and carol's servers stop, alice's gpu keeps running.
    await page.getByLabel('Only users with a running server').check();
    await page.getByLabel('Search users by name').fill('o');
    await namesBecome(['bob', 'carol'], 'active with o');
    await page.getByRole('button', { name: 'Stop all' }).click();
    assert.match((await dialog.textContent())!, /Stop 2 running servers/);
    await dialog.getByRole('button', { name: 'Stop 2' }).click();
    await status.filter({ hasText: 'Asked 2 servers to stop.' }).waitFor({ timeout: 30_000 });
    for (const who of ['bob', 'carol'])
      await userBecomes(h, who, (u) => !u.servers[''] || stopped(u.servers['']), `${who} stopped`);
    await namesBecome([], 'nobody left in the view');
    assert.match(
      (await page.locator('#users-status').textContent())!,
      /No users whose name contains “o” and with a running server/,
    );
    assert.equal((await h.request('GET', 'hub/api/users/alice')).json.servers.gpu.ready, true);
    await page.getByLabel('Search users by name').fill('');
    await page.getByLabel('Only users with a running server').uncheck();
    await namesBecome(['admin', 'alice', 'bob', 'carol', 'dave'], 'all again');

    // Rename dave (his row open): the row, its server link and the URL follow; a taken name is refused.
    await userRow('dave').getByRole('button', { name: 'Servers of dave' }).click();
    await page.getByLabel('New name for dave').waitFor();
    assert.deepEqual(query().getAll('expand'), ['alice', 'dave']);
    await page.getByLabel('New name for dave').fill('david');
    await page.getByRole('button', { name: 'Rename dave' }).click();
    await status.filter({ hasText: 'Renamed dave to david.' }).waitFor();
    await namesBecome(['admin', 'alice', 'bob', 'carol', 'david'], 'renamed');
    assert.deepEqual(query().getAll('expand'), ['alice', 'david']);
    assert.equal(
      await page.getByRole('link', { name: 'Open the default server of david' }).getAttribute('href'),
      '/user/david/',
    );
    assert.equal((await h.request('GET', 'hub/api/users/david')).status, 200);
    assert.equal((await h.request('GET', 'hub/api/users/dave')).status, 404);
    await page.getByLabel('New name for david').fill('alice');
    await page.getByRole('button', { name: 'Rename david' }).click();
    await alert
      .filter({ hasText: 'Could not rename david: User alice already exists, username must be unique' })
      .waitFor();
    assert.equal((await h.request('GET', 'hub/api/users/david')).status, 200);

    // A start that fails in Start all is listed in the alert region with the hub's message.
    await h.addUsers(['erin']);
    await page.getByLabel('Search users by name').fill('r');
    await namesBecome(['carol', 'erin'], 'names with r');
    await page.getByRole('button', { name: 'Start all' }).click();
    await dialog.getByRole('button', { name: 'Start 2' }).click();
    await alert.filter({ hasText: 'Could not start 1 server: erin (' }).waitFor({ timeout: 30_000 });
    assert.match((await alert.textContent())!, /no GPUs left for erin/);
    await userBecomes(h, 'carol', (u) => ready(u.servers['']), 'carol started despite erin');
    // Deleting a user whose row is open takes them out of the URL too.
    await userRow('erin').getByRole('button', { name: 'Servers of erin' }).click();
    await page.getByLabel('New name for erin').waitFor();
    assert.deepEqual(query().getAll('expand'), ['alice', 'david', 'erin']);
    await userRow('erin').getByRole('button', { name: 'Delete user erin' }).click();
    await dialog.getByRole('button', { name: 'Delete erin' }).click();
    await status.filter({ hasText: 'Deleted erin.' }).waitFor();
    await namesBecome(['carol'], 'erin gone');
    assert.deepEqual(query().getAll('expand'), ['alice', 'david']);

    // Groups tab: the tab is in the URL; properties are edited as rows and saved with PUT.
    await h.request('POST', 'hub/api/groups/team');
    await h.request('PUT', 'hub/api/groups/team/properties', { body: { limit: 3, note: 'old' } });
    await page.getByRole('tab', { name: 'Groups' }).click();
    assert.equal(query().get('tab'), 'groups');
    assert.equal(await page.getByRole('tab', { name: 'Groups' }).getAttribute('aria-selected'), 'true');
    assert.ok(await page.locator('#panel-users').isHidden());
    const team = page.locator('#groups li.group[data-group="team"]');
    await team.waitFor();
    assert.equal(await page.getByLabel('Property 1 key of team').inputValue(), 'limit');
    assert.equal(await page.getByLabel('Property 1 value of team').inputValue(), '3');
    await page.getByLabel('Property 2 value of team').fill('new');
    await page.getByRole('button', { name: 'Add a property to team' }).click();
    await page.getByLabel('Property 3 key of team').fill('course');
    await page.getByLabel('Property 3 value of team').fill('ml101');
    await page.getByRole('button', { name: 'Save the properties of team' }).click();
    await status.filter({ hasText: 'Saved the properties of team.' }).waitFor();
    assert.deepEqual((await h.request('GET', 'hub/api/groups/team')).json.properties, {
      limit: 3,
      note: 'new',
      course: 'ml101',
    });
    // A key twice is refused before anything is sent; removing a row and saving drops the key.
    await page.getByRole('button', { name: 'Add a property to team' }).click();
    await page.getByLabel('Property 4 key of team').fill('course');
    await page.getByRole('button', { name: 'Save the properties of team' }).click();
    await alert.filter({ hasText: 'the key “course” is there twice' }).waitFor();
    await page.getByRole('button', { name: 'Remove property 4 of team' }).click();
    await page.getByRole('button', { name: 'Remove property 1 of team' }).click();
    await page.getByRole('button', { name: 'Save the properties of team' }).click();
    await status.filter({ hasText: 'Saved the properties of team.' }).waitFor();
    assert.deepEqual((await h.request('GET', 'hub/api/groups/team')).json.properties, { note: 'new', course: 'ml101' });
    await page.screenshot({ path: join(SHOTS, 'admin-group-properties.png'), fullPage: true });

    // Members still work from the tab; a reload comes back to the Groups tab.
    await page.getByLabel('Add a member to team').fill('david');
    await page.getByRole('button', { name: 'Add member to team' }).click();
    await team.getByRole('listitem').filter({ hasText: 'david' }).waitFor();
    await page.reload();
    await team.waitFor();
    assert.ok(await page.locator('#panel-groups').isVisible());
    assert.ok(await page.locator('#panel-users').isHidden());
    // Arrow keys move between tabs (and the URL follows).
    await page.getByRole('tab', { name: 'Groups' }).focus();
    await page.keyboard.press('ArrowLeft');
    await page.locator('#panel-users').waitFor();
    assert.equal(query().get('tab'), null);

    // Names with characters that URLs, ids and selectors escape: open, rename, and the row follows.
    await h.addUsers(['zoë.o@example.org']);
    await page.getByLabel('Search users by name').fill('@example');
    await namesBecome(['zoë.o@example.org'], 'zoë');
    await userRow('zoë.o@example.org').getByRole('button', { name: 'Servers of zoë.o@example.org' }).click();
    await page.getByLabel('New name for zoë.o@example.org').fill('zoë_o+x@example.org');
    await page.getByRole('button', { name: 'Rename zoë.o@example.org' }).click();
    await namesBecome(['zoë_o+x@example.org'], 'zoë renamed');
    assert.deepEqual(query().getAll('expand'), ['alice', 'david', 'zoë_o+x@example.org']);
    await page.getByLabel('New name for zoë_o+x@example.org').waitFor();
    assert.equal((await h.request('GET', `hub/api/users/${encodeURIComponent('zoë_o+x@example.org')}`)).status, 200);

    assert.deepEqual(problems, [], 'no script errors or CSP violations');
    await page.close();
  });
});
