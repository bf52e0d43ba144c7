// The browser login to a real jupyterhub-singleuser (notebook 6) through the proxy: OAuth with the hub
// (authorize → oauth_callback → the notebook) and, in a real browser, Start, progress, Stop and sign-out.
// The OAuth2 provider's own cases: test/oauth.test.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { findExecutable } from '../src/spawners/command.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

const SINGLEUSER = findExecutable('jupyterhub-singleuser', process.env.PATH, '/');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe('browser login to a real jupyterhub-singleuser', {
  skip: SINGLEUSER ? false : 'jupyterhub-singleuser is not installed (Debian package jupyterhub)',
}, () => {
  let h: TestHub;
  before(async () => {
    // jupyterhub-singleuser runs jupyter-server's app when it is installed, and Debian's jupyter-server has
    // no web interface of its own (its pages 404): these tests walk the classic notebook's pages.
    h = await startHub({
      slow_spawn_timeout: 0,
      spawner: { environment: { JUPYTERHUB_SINGLEUSER_APP: 'notebook.notebookapp.NotebookApp' } },
    });
  });
  after(() => h?.stop());

  test('/user/alice/ → authorize → oauth_callback → the notebook, for alice only', async () => {
    const alice = new Browser(h);
    await alice.login('alice');
    const start = await h.request('POST', 'hub/api/users/alice/server');
    assert.ok([201, 202].includes(start.status), start.text);
    const deadline = Date.now() + 45_000;
    // Ready: the hub says so, and the proxy has the route (added last in a start).
    let routes: Record<string, unknown> = {};
    for (;;) {
      routes = (await h.request('GET', 'hub/api/proxy')).json;
      const ready = (await h.request('GET', 'hub/api/users/alice')).json.servers?.['']?.ready === true;
      if (ready && routes['/user/alice/']) break;
      assert.ok(Date.now() < deadline, 'the server did not become ready');
      await new Promise((r) => setTimeout(r, 200));
    }
    let r = await alice.get('user/alice/tree');
    assert.equal(r.status, 302, `expected the server to send us to the hub: ${r.status} ${r.text.slice(0, 200)}`);
    const authorize = new URL(r.location!);
    assert.equal(authorize.pathname, '/hub/api/oauth2/authorize', `routes: ${JSON.stringify(routes)}`);
    assert.equal(authorize.searchParams.get('client_id'), 'jupyterhub-user-alice');
    r = await alice.get(r.location!);
    assert.equal(r.status, 302, r.text.slice(0, 300));
    assert.equal(new URL(r.location!).pathname, '/user/alice/oauth_callback');
    r = await alice.get(r.location!);
    assert.equal(r.status, 302, `the callback failed: ${r.status} ${r.text.slice(0, 300)}`);
    assert.ok(alice.cookie('jupyterhub-user-alice'), 'the server set its own login cookie');
    r = await alice.get(r.location!);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(r.text, /<html/i);
    // Logging out of the hub also drops the server's own login cookie (on the server's path).
    const out = await alice.get('hub/logout');
    assert.ok(
      out.setCookies.some((c) => /^jupyterhub-user-alice=; Path=\/user\/alice\/; Max-Age=0/.test(c)),
      out.setCookies.join('\n'),
    );
    assert.equal(alice.cookie('jupyterhub-user-alice'), undefined);
    assert.equal((await alice.get('user/alice/tree')).status, 302, 'the server asks the hub again');

    // Bob has no access to alice's server: the hub refuses to authorize him.
    const bob = new Browser(h);
    await bob.login('bob');
    r = await bob.get('user/alice/tree');
    assert.equal(r.status, 302);
    r = await bob.get(r.location!);
    assert.equal(r.status, 403);
  });

  test('in a real browser: sign in, Start on the home page, progress, the notebook, Stop, sign out', {
    skip: CHROMIUM ? false : 'no chromium',
  }, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(new URL('hub/home', h.url).toString());
      await page.waitForURL(/\/hub\/login\?next=/);
      await page.getByLabel('Username').fill('carl');
      await page.getByLabel('Password').fill('anything');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/home$/);
      await page.getByRole('button', { name: 'Start my server' }).click();
      // The page's fetch carries the XSRF token; the progress page follows the event stream, then goes to
      // the server, which logs carl in through the hub's OAuth (his own server: no consent page).
      await page.waitForURL(/\/hub\/spawn-pending\/carl/, { timeout: 10_000 });
      await page.waitForURL(/\/user\/carl\/tree/, { timeout: 45_000 });
      assert.match(await page.title(), /Home/);
      await page.goto(new URL('hub/home', h.url).toString());
      await page.getByRole('button', { name: 'Stop my server' }).click();
      await page.getByRole('button', { name: 'Start my server' }).waitFor({ timeout: 20_000 });
      await page.getByRole('link', { name: 'Sign out' }).first().click();
      await page.waitForURL(/\/hub\/login$/);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
