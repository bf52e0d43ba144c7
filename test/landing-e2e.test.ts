// The landing flow with a real proxy and jupyterhub-singleuser: an nbgitpuller-style user-redirect link
// that starts the server and ends on it, the login landing on the server, the stopped-server chain
// (302 to /hub/user/..., then 424), public_url in the server models and the server's environment,
// implicit_spawn_seconds and the spawn-pending page's Stop in Chromium, shutdown_on_logout.
// The same keys without servers: landing-pages.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import type { ConfigInput } from '../src/config/index.ts';
import type { SpawnRequest } from '../src/spawners/spawner.ts';
import { findExecutable } from '../src/spawners/command.ts';
import { Browser, type PageReply } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { waitFor } from './wait-for.ts';

const SINGLEUSER = findExecutable('jupyterhub-singleuser', process.env.PATH, '/');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const PUBLIC = 'http://public.example.test/';

describe('landing on a real single-user server', {
  skip: SINGLEUSER ? false : 'jupyterhub-singleuser is not installed (Debian package jupyterhub)',
}, () => {
  let h: TestHub;
  before(async () => {
    // erin's starts take a while, so that a click on Stop surely comes while hers is in flight.
    const pre_spawn_hook = async (s: SpawnRequest) => {
      if (s.user.name === 'erin') await sleep(8000);
    };
    h = await startHub({
      slow_spawn_timeout: 0,
      implicit_spawn_seconds: 1,
      public_url: PUBLIC,
      shutdown_on_logout: true,
      spawner: { pre_spawn_hook },
    } as ConfigInput);
  });
  after(() => h?.stop());

  const serverOf = async (name: string) => (await h.request('GET', `hub/api/users/${name}`)).json.servers?.[''];
  const waitReady = (name: string) =>
    waitFor(
      `${name}'s server and its route`,
      async () =>
        (await serverOf(name))?.ready === true &&
        (await h.request('GET', 'hub/api/proxy')).json[`/user/${name}/`] !== undefined,
      60_000,
    );
  const waitStopped = (name: string) =>
    waitFor(
      `${name}'s server to stop and its route to go`,
      async () =>
        (await serverOf(name)) === undefined &&
        (await h.request('GET', 'hub/api/proxy')).json[`/user/${name}/`] === undefined,
      30_000,
    );

  /** Follows redirects as a browser would (its cookies, any host of the test), returning every hop. */
  async function follow(b: Browser, url: string, accept?: string): Promise<{ hops: string[]; last: PageReply }> {
    const hops: string[] = [];
    for (let i = 0; i < 15; i++) {
      hops.push(url);
      const last = await b.get(url, accept ? { headers: { accept } } : {});
      if (last.status < 300 || last.status >= 400 || !last.location) return { hops, last };
      url = last.location;
    }
    throw new Error(`too many redirects: ${hops.join(' → ')}`);
  }
  const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;

  test('an nbgitpuller-style link starts the server and ends on the path in it', async () => {
    const b = new Browser(h);
    const login = await b.login('alice');
    // A stopped server: the landing is the spawn page, which starts it (upstream's redirect_to_server).
    assert.equal(pathOf(login.location!), '/hub/spawn');
    let r = await b.get('hub/user-redirect/lab/tree/x.ipynb?a=1');
    assert.equal(r.status, 302);
    assert.equal(
      pathOf(r.location!),
      `/hub/spawn/alice?next=${encodeURIComponent('/user/alice/lab/tree/x.ipynb?a=1')}`,
    );
    r = await b.get(r.location!);
    assert.equal(r.status, 302, r.text.slice(0, 300));
    assert.equal(new URL(r.location!).pathname, '/hub/spawn-pending/alice');
    r = await b.get(r.location!);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const data = Browser.jhdata(r.text);
    assert.equal(data.next_url, '/hub/user/alice/lab/tree/x.ipynb?a=1');
    assert.equal(data.stop_url, '/hub/api/users/alice/server');
    assert.match(r.text, /<button type="button" id="stop-server"/);
    await waitReady('alice');
    // What the page's script does once the server is ready: on to next, through the server's OAuth login.
    const { hops, last } = await follow(b, new URL(data.next_url, h.url).href);
    const paths = hops.map(pathOf);
    const trail = `${paths.join('\n')}\n${last.status} ${last.text.slice(0, 300)}`;
    assert.ok(paths.includes('/user/alice/lab/tree/x.ipynb?a=1&redirects=1'), trail);
    // The answer is the single-user server's own (this Jupyter has no JupyterLab: its 404 page), not the hub's.
    assert.match(last.headers.get('server') ?? '', /TornadoServer/, trail);
    assert.equal(new URL(hops.at(-1)!).pathname, '/user/alice/lab/tree/x.ipynb', paths.join('\n'));
    // Once logged in to the server (its OAuth with the hub, on a page it serves), the same kind of link
    // to the server's API reaches the running server itself.
    const tree = await follow(b, new URL('hub/user-redirect/tree', h.url).href);
    const treePaths = tree.hops.map(pathOf);
    assert.ok(
      treePaths.some((p) => p.startsWith('/hub/api/oauth2/authorize')),
      treePaths.join('\n'),
    );
    assert.equal(tree.last.status, 200, treePaths.join('\n'));
    assert.equal(new URL(tree.hops.at(-1)!).pathname, '/user/alice/tree');
    const api = await follow(b, new URL('hub/user-redirect/api/status', h.url).href, 'application/json');
    assert.equal(api.last.status, 200, `${api.hops.join('\n')}\n${api.last.text.slice(0, 300)}`);
    assert.ok('started' in api.last.json, api.last.text);
  });

  test("a login without next, with the server running, lands on the server's URL", async () => {
    const r = await new Browser(h).login('alice');
    assert.equal(r.status, 302);
    assert.equal(r.location, `${h.url}user/alice/`);
  });

  test('public_url: full_url and full_progress_url in the model, JUPYTERHUB_PUBLIC_URL in the server', async () => {
    const server = await serverOf('alice');
    assert.equal(server.full_url, `${PUBLIC}user/alice/`);
    assert.equal(server.full_progress_url, `${PUBLIC}hub/api/users/alice/server/progress`);
    const pid = server.state?.pid;
    assert.ok(Number.isInteger(pid), JSON.stringify(server.state));
    const env = new Map(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
    );
    assert.equal(env.get('JUPYTERHUB_PUBLIC_URL'), `${PUBLIC}user/alice/`);
    assert.equal(env.get('JUPYTERHUB_PUBLIC_HUB_URL'), `${PUBLIC}hub/`);
  });

  test('a stopped server: /user/<name>/api/status → 302 to /hub/user/<name>/api/status → 424', async () => {
    const b = new Browser(h);
    await b.login('alice');
    // Running since the first test (when run alone: not started at all, or starting from the login's landing).
    assert.ok([202, 204].includes((await h.request('DELETE', 'hub/api/users/alice/server')).status));
    await waitStopped('alice');
    const json = { accept: 'application/json' };
    const r = await b.request('GET', 'user/alice/api/status', { headers: json });
    assert.equal(r.status, 302, r.text.slice(0, 200));
    assert.equal(pathOf(r.location!), '/hub/user/alice/api/status');
    const api = await b.request('GET', r.location!, { headers: json });
    assert.equal(api.status, 424);
    assert.equal(api.json.status, 424);
    // Upstream's message, word for word.
    assert.equal(
      api.json.message,
      `JupyterHub server no longer running at /user/alice/api/status. Restart the server at ${h.url}hub/spawn/alice`,
    );
    // A browser gets the page offering the start, which starts it by itself after implicit_spawn_seconds.
    const page = await follow(b, new URL('user/alice/tree', h.url).href);
    assert.equal(page.last.status, 424);
    assert.match(
      page.last.text,
      /<meta http-equiv="refresh" content="1;url=\/hub\/spawn\/alice\?next=%2Fhub%2Fuser%2Falice%2Ftree">/,
    );
    assert.match(page.last.text, /started in 1 seconds/);
  });

  test('the Stop button: DELETE on stop_url with the session and XSRF token cancels a start', async () => {
    const b = new Browser(h);
    await b.login('bob');
    let r = await b.get('hub/spawn/bob');
    assert.equal(r.status, 302, r.text.slice(0, 300));
    r = await b.get(r.location!);
    // Either still starting (the progress page) or already up (sent on to the server): stop it either way.
    const xsrf = b.cookie('_xsrf')?.value;
    assert.ok(xsrf);
    const stop = await b.request('DELETE', 'hub/api/users/bob/server', {
      headers: { 'X-XSRFToken': xsrf!, 'content-type': 'application/json' },
    });
    assert.ok([202, 204].includes(stop.status), `${stop.status} ${stop.text}`);
    await waitStopped('bob');
  });

  test('implicit_spawn_seconds in Chromium: a link to a stopped server starts it and lands on it', {
    skip: CHROMIUM ? false : 'Debian chromium is not installed',
  }, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(new URL(`hub/login?next=${encodeURIComponent('/user/carol/tree')}`, h.url).toString());
      await page.getByLabel('Username').fill('carol');
      await page.getByLabel('Password').fill('x');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/user\/carol\/tree$/);
      assert.match((await page.textContent('main')) ?? '', /will be started in 1 seconds/);
      // No click: the page moves on by itself, through the progress page, to the running server.
      await page.waitForURL(/\/user\/carol\/tree\?redirects=1$/, { timeout: 60_000 });
      assert.equal((await serverOf('carol'))?.ready, true);
      await page.close();
      // The Stop button on the progress page of a start cancels it.
      const erin = await browser.newPage();
      await erin.goto(new URL('hub/login', h.url).toString());
      await erin.getByLabel('Username').fill('erin');
      await erin.getByLabel('Password').fill('x');
      await erin.getByRole('button', { name: 'Sign in' }).click();
      await erin.waitForURL(/\/hub\/spawn-pending\/erin$/);
      assert.equal((await serverOf('erin'))?.pending, 'spawn');
      await erin.getByRole('button', { name: 'Stop server' }).click();
      await waitStopped('erin');
      await erin.waitForURL(/\/hub\/spawn-pending\/erin$/);
      assert.match((await erin.textContent('main')) ?? '', /not running|stopping/i);
    } finally {
      await browser.close();
    }
  });

  test("shutdown_on_logout: signing out stops the user's servers", async () => {
    const b = new Browser(h);
    await b.login('dave');
    assert.ok([201, 202].includes((await h.request('POST', 'hub/api/users/dave/server')).status));
    await waitReady('dave');
    const out = await b.get('hub/logout');
    assert.equal(out.status, 302);
    await waitStopped('dave');
  });
});
