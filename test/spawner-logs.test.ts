// A server's recent output for admins (GET /hub/api/users/{name}/server[s/{server}]/logs, a tshub
// extension needing admin:servers): read from the simple spawner's log file of a real
// jupyterhub-singleuser, refused to everyone else, and shown by the admin page's Logs button.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startHub, type TestHub } from './harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe('server logs for admins', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({ allow_named_servers: true, slow_spawn_timeout: 60 });
    await h.addUsers(['alice', 'bob']);
    for (const path of ['hub/api/users/alice/server', 'hub/api/users/alice/servers/lab']) {
      const r = await h.request('POST', path);
      assert.equal(r.status, 201, r.text);
    }
  });
  after(() => h?.stop());

  test("an admin reads a running server's last lines from its log file, default and named", async () => {
    const all = await h.request('GET', 'hub/api/users/alice/server/logs');
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.server, 'alice');
    assert.match(all.json.source, /alice\.log$/);
    assert.ok(all.json.lines.length > 1, all.text);
    assert.ok(
      all.json.lines.some((l: string) => /Jupyter|jupyterhub|Notebook/i.test(l)),
      'the server wrote its start-up lines there',
    );
    const one = await h.request('GET', 'hub/api/users/alice/server/logs?tail=1');
    assert.deepEqual(one.json.lines, all.json.lines.slice(-1));
    const named = await h.request('GET', 'hub/api/users/alice/servers/lab/logs?tail=5');
    assert.equal(named.status, 200, named.text);
    assert.equal(named.json.server, 'alice:lab');
    assert.match(named.json.source, /alice\/lab\.log$/);
    assert.ok(named.json.lines.length > 0 && named.json.lines.length <= 5, named.text);
  });

  test('everyone else is refused: the owner, another user, no credentials; bad tails and unknown servers', async () => {
    for (const [who, token] of [
      ['the owner', await h.tokenFor('alice')],
      ['another user', await h.tokenFor('bob')],
    ] as const) {
      const r = await h.request('GET', 'hub/api/users/alice/server/logs', { token });
      assert.equal(r.status, 403, `${who}: ${r.text}`);
      assert.equal(r.json.reason, 'insufficient_scope', who);
    }
    assert.equal((await h.request('GET', 'hub/api/users/alice/server/logs', { token: null })).status, 403);
    for (const tail of ['0', '-1', '10001', 'abc', '1.5', '', '1e3']) {
      const r = await h.request('GET', `hub/api/users/alice/server/logs?tail=${tail}`);
      assert.equal(r.status, 400, `tail=${tail}: ${r.text}`);
    }
    const stopped = await h.request('GET', 'hub/api/users/bob/server/logs');
    assert.equal(stopped.status, 404, stopped.text);
    assert.equal(stopped.json.message, 'bob is not running');
    assert.equal((await h.request('GET', 'hub/api/users/nobody/server/logs')).status, 404);
    assert.equal((await h.request('GET', 'hub/api/users/alice/servers/nope/logs')).status, 404);
  });

  test("the admin page's Logs button shows them", { skip: CHROMIUM ? false : 'no chromium' }, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(new URL('hub/login?next=/hub/admin', h.url).toString());
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/admin$/);
      await page.getByRole('button', { name: 'Show the server logs of alice' }).click();
      const dialog = page.getByRole('dialog', { name: 'Server logs of alice' });
      await dialog.waitFor();
      const text = page.locator('#logs-text');
      for (const deadline = Date.now() + 10_000; (await text.textContent()) === 'Loading…'; ) {
        assert.ok(Date.now() < deadline, 'the logs load');
        await page.waitForTimeout(100);
      }
      const last = (await h.request('GET', 'hub/api/users/alice/server/logs?tail=200')).json.lines.at(-1);
      const shown = (await text.textContent()) ?? '';
      assert.ok(shown.includes(last), shown);
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(
        await page.getByRole('button', { name: 'Show the server logs of bob' }).count(),
        0,
        'no Logs button for a stopped server',
      );
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
