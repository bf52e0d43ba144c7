// Sharing end to end, as people meet it: real hub, proxy and jupyterhub-singleuser (classic notebook), in
// headless Chromium. alice shares her running server with bob, who opens /user/alice/ through the hub's
// OAuth and runs code in a kernel there; carol accepts a share code on the accept page and gets in;
// alice revokes and their next requests are refused; the revoked code and an expired one are refused.
import { executeOverChannels } from './kernel-execute.ts';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { parseDbUrl } from '../src/config/db-url.ts';
import { connect } from '../src/db/connect.ts';
import { findExecutable } from '../src/spawners/command.ts';
import { startHub, type TestHub } from './harness.ts';

const SINGLEUSER = findExecutable('jupyterhub-singleuser', process.env.PATH, '/');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Signs in on the login page (any password: the test authenticator) and lands on `next`. */
async function signIn(page: Page, h: TestHub, name: string, next: string): Promise<void> {
  await page.goto(new URL(`hub/login?next=${encodeURIComponent(next)}`, h.url).toString());
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill('anything');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Through /user/alice/tree: the server sends the browser to the hub's OAuth, whose consent page is approved. */
async function openAlicesServer(page: Page, h: TestHub): Promise<void> {
  await page.goto(new URL('user/alice/tree', h.url).toString());
  await page.getByRole('button', { name: 'Authorize' }).click({ timeout: 20_000 });
  await page.waitForURL(/\/user\/alice\/tree/, { timeout: 20_000 });
}

/**
 * In the page, as the notebook's JavaScript does with the user's login cookie: start a kernel through
 * the proxy (with the notebook's XSRF cookie), run `code` over its channels WebSocket, return the result.
 */
async function runInKernel(page: Page, code: string): Promise<string> {
  const url = await page.evaluate(async () => {
    // runs in the page: its document and location (this file is type-checked without the DOM library)
    const { document, location } = globalThis as unknown as {
      document: { cookie: string };
      location: { host: string };
    };
    const xsrf = /(?:^|; )_xsrf=([^;]+)/.exec(document.cookie)?.[1] ?? '';
    const started = await fetch('/user/alice/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-xsrftoken': decodeURIComponent(xsrf) },
      body: '{}',
    });
    if (started.status !== 201) throw new Error(`kernel start: ${started.status} ${await started.text()}`);
    const { id } = (await started.json()) as { id: string };
    return `ws://${location.host}/user/alice/api/kernels/${id}/channels`;
  });
  return page.evaluate(executeOverChannels, { url, code });
}

const pastServerCache = () => new Promise((r) => setTimeout(r, 1_500));

/** The status of a request from the page to alice's server with the page's cookies. */
const statusFromPage = (page: Page, path: string) => page.evaluate(async (p) => (await fetch(p)).status, path);

describe('sharing a running server in a browser', {
  skip: !SINGLEUSER ? 'jupyterhub-singleuser is not installed' : !CHROMIUM ? 'no chromium' : false,
}, () => {
  let h: TestHub;
  let browser: Browser;
  let alice: string;
  const api = (method: string, path: string, body?: unknown) =>
    h.request(method, `hub/api/${path}`, { token: alice, body });

  before(async () => {
    h = await startHub({
      slow_spawn_timeout: 0,
      load_roles: [{ name: 'sharers', scopes: ['shares!user', 'read:users:name'], users: ['alice'] }],
      spawner: {
        environment: { JUPYTERHUB_SINGLEUSER_APP: 'notebook.notebookapp.NotebookApp' },
        // The server trusts the hub's answer about a token for HubAuth.cache_max_age (5 minutes by default,
        // 0 is forever): one second here, so a revocation shows on the next request a second later
        // (docs/sharing.md). The hub itself applies it at once (test/shares-api.test.ts).
        args: ['--HubOAuth.cache_max_age=1'],
      },
    });
    await h.addUsers(['alice', 'bob', 'carol', 'dave']);
    alice = await h.tokenFor('alice');
    const start = await h.request('POST', 'hub/api/users/alice/server');
    assert.ok([201, 202].includes(start.status), start.text);
    const deadline = Date.now() + 45_000;
    for (;;) {
      const ready = (await h.request('GET', 'hub/api/users/alice')).json.servers?.['']?.ready === true;
      if (ready && (await h.request('GET', 'hub/api/proxy')).json['/user/alice/']) break;
      assert.ok(Date.now() < deadline, 'the server did not become ready');
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  /** alice's home page, signed in (one browser context for both tests). */
  let alicePage: Page | undefined;
  const alicesHome = async (): Promise<Page> => {
    if (!alicePage) {
      alicePage = await (await browser.newContext()).newPage();
      await signIn(alicePage, h, 'alice', '/hub/home');
    } else await alicePage.goto(new URL('hub/home', h.url).toString());
    await alicePage.waitForURL(/\/hub\/home/);
    await alicePage.getByRole('heading', { name: 'Share', exact: true }).waitFor();
    return alicePage;
  };

  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  test('alice shares on her home page; bob runs code on her server; her revocation refuses his next request', async () => {
    const bob = await (await browser.newContext()).newPage();
    await signIn(bob, h, 'bob', '/hub/home');
    await bob.waitForURL(/\/hub\/home/);
    // not shared yet: the hub refuses to authorize him for alice's server
    const refused = await bob.goto(new URL('user/alice/tree', h.url).toString());
    assert.equal(refused?.status(), 403);

    const home = await alicesHome();
    await home.getByLabel('Name to share your server with').fill('bob');
    await home.getByRole('button', { name: 'Share', exact: true }).click();
    await home.getByRole('button', { name: 'Revoke the share with user bob' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(
      (await api('GET', 'shares/alice/')).json.map((x: any) => x.user?.name),
      ['bob'],
    );
    await openAlicesServer(bob, h);
    assert.equal(await runInKernel(bob, '6 * 7'), '42');

    await home.getByRole('button', { name: 'Revoke the share with user bob' }).click();
    await home.getByText('Nobody yet.').waitFor({ timeout: 10_000 });
    await pastServerCache();
    assert.equal(await statusFromPage(bob, '/user/alice/api/kernels'), 403);
  });

  test('carol accepts an invitation link from alice’s home page and gets in; revoked and expired codes are refused', async () => {
    const home = await alicesHome();
    await home.getByRole('button', { name: 'Make an invitation link' }).click();
    const link = home.getByLabel('Invitation link (shown only now: copy it)');
    await link.waitFor({ timeout: 10_000 });
    const acceptUrl = new URL(await link.inputValue());
    assert.equal(acceptUrl.pathname, '/hub/accept-share');
    const carol = await (await browser.newContext()).newPage();
    await signIn(carol, h, 'carol', acceptUrl.pathname + acceptUrl.search);
    await carol.waitForURL(/\/hub\/accept-share\?code=/);
    assert.match((await carol.locator('#share-heading').textContent()) ?? '', /alice shares their server with you/);
    await carol.getByRole('button', { name: 'Accept' }).click();
    await carol.getByRole('button', { name: 'Authorize' }).click({ timeout: 20_000 });
    await carol.waitForURL(/\/user\/alice\/tree/, { timeout: 20_000 });
    assert.equal(await statusFromPage(carol, '/user/alice/api/status'), 200);

    // alice revokes the link and carol's share: the link no longer works, and carol is out
    await home.getByRole('button', { name: 'Revoke all invitation links' }).click();
    await home.getByText('Every invitation link of this server is revoked.').waitFor({ timeout: 10_000 });
    assert.deepEqual((await api('GET', 'share-codes/alice/')).json, []);
    assert.equal((await api('PATCH', 'shares/alice/', { user: 'carol' })).status, 200);
    await pastServerCache();
    assert.equal(await statusFromPage(carol, '/user/alice/api/status'), 403);
    const dave = await (await browser.newContext()).newPage();
    await signIn(dave, h, 'dave', acceptUrl.pathname + acceptUrl.search);
    await dave.waitForURL(/\/hub\/accept-share/);
    assert.match(await dave.content(), /Share not found or expired/);

    // an expired code: made, then aged past its expiry in the database
    const soon = await api('POST', 'share-codes/alice/', { expires_in: 60 });
    const db = connect(parseDbUrl(h.dbUrl, h.dir));
    try {
      await db.k
        .updateTable('share_codes')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', Number(soon.json.id.slice(3)))
        .execute();
    } finally {
      await db.close();
    }
    const expired = await dave.goto(new URL(soon.json.accept_url, h.url).toString());
    assert.equal(expired?.status(), 404);
    assert.equal(await statusFromPage(dave, '/user/alice/api/status'), 403);
  });
});
