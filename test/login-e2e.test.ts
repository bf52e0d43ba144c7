// Hub pages for user URLs, spawning and the proxy's error target, on a real hub (proxy, single-user server);
// the rest of the login pages: login.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findUser } from '../src/repo/users.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

describe('hub pages for user URLs, spawning, and proxy errors', () => {
  let h: TestHub;
  let alice: Browser;
  let bob: Browser;
  const setServer = async (name: string, values: { server_url: string | null; pending: string | null }) => {
    const { ctx } = h.hub;
    const user = (await findUser(ctx.k, name))!;
    const row = await ctx.k
      .selectFrom('spawners')
      .select('id')
      .where('user_id', '=', user.id)
      .where('name', '=', '')
      .executeTakeFirst();
    if (row) await ctx.k.updateTable('spawners').set(values).where('id', '=', row.id).execute();
    else
      await ctx.k
        .insertInto('spawners')
        .values({
          user_id: user.id,
          name: '',
          display_name: null,
          state: '{}',
          started: null,
          last_activity: null,
          user_options: '{}',
          oauth_client_id: null,
          ...values,
        })
        .execute();
  };
  before(async () => {
    h = await startHub();
    alice = new Browser(h);
    bob = new Browser(h);
    await alice.login('alice');
    await bob.login('bob');
  });
  after(async () => {
    // Rows marked running here have no process behind them: mark them stopped before the hub cleans up.
    await h?.hub.ctx.k.updateTable('spawners').set({ server_url: null, pending: null }).execute();
    await h?.stop();
  });

  test('the proxy error target answers with the status it is given', async () => {
    const anon = new Browser(h);
    const r = await anon.get(`hub/error/503?url=${encodeURIComponent('/user/alice/lab')}`);
    assert.equal(r.status, 503);
    assert.match(r.text, /The server at <code>\/user\/alice\/<\/code> is not running/);
    assert.match(r.text, /href="\/hub\/home"/);
    assert.equal((await anon.get('hub/error/404?url=%2Fnothing')).status, 404);
    assert.equal((await anon.get('hub/error/502')).status, 502);
    assert.equal((await anon.get('hub/error/abc')).status, 404);
  });

  test('/user/... at the hub: GETs go to /hub/user/..., where API calls get 424; other methods get it at once', async () => {
    const anon = new Browser(h);
    const r = await anon.get('user/alice/tree/x.ipynb?a=1');
    assert.equal(r.status, 302);
    assert.equal(new URL(r.location!).pathname + new URL(r.location!).search, '/hub/user/alice/tree/x.ipynb?a=1');
    const hop = await anon.request('GET', 'user/alice/api/contents', { headers: { accept: 'application/json' } });
    assert.equal(hop.status, 302);
    assert.equal(new URL(hop.location!).pathname, '/hub/user/alice/api/contents');
    const api = await anon.request('GET', 'hub/user/alice/api/contents', { headers: { accept: 'application/json' } });
    assert.equal(api.status, 424);
    assert.equal(api.json.status, 424);
    assert.equal(
      api.json.message,
      `JupyterHub server no longer running at /user/alice/api/contents. Restart the server at ${h.url}hub/spawn/alice`,
    );
    assert.equal((await anon.request('POST', 'user/alice/api/sessions', { json: {} })).status, 424);
  });

  test('/hub/user/...: login first, then only servers one may access', async () => {
    const anon = new Browser(h);
    const r = await anon.get('hub/user/alice/tree');
    assert.equal(r.status, 302);
    assert.match(r.location!, /\/hub\/login\?next=%2Fhub%2Fuser%2Falice%2Ftree$/);
    assert.equal((await bob.get('hub/user/alice/tree')).status, 404);
    assert.equal((await bob.get('hub/user/nobody/tree')).status, 404);
  });

  test('a stopped server: 424 page offering to start it, or 424 JSON for API calls', async () => {
    const r = await alice.get('hub/user/alice/tree');
    assert.equal(r.status, 424);
    assert.match(r.text, /is not running/);
    assert.match(r.text, /href="\/hub\/spawn\/alice\?next=%2Fhub%2Fuser%2Falice%2Ftree"/);
    const api = await alice.request('GET', 'hub/user/alice/api/status', { headers: { accept: 'application/json' } });
    assert.equal(api.status, 424);
    assert.equal(api.json.status, 424);
  });

  test('a pending server: 303 to spawn-pending, which shows progress fed by the event stream', async () => {
    await setServer('alice', { server_url: null, pending: 'spawn' });
    const r = await alice.get('hub/user/alice/lab');
    assert.equal(r.status, 303);
    assert.equal(new URL(r.location!).pathname, '/hub/spawn-pending/alice');
    assert.equal(new URL(r.location!).searchParams.get('next'), '/hub/user/alice/lab');
    const pending = await alice.get(r.location!);
    assert.equal(pending.status, 200);
    assert.match(pending.text, /<progress id="progress-bar"/);
    // The progress script is a static file (the CSP runs no inline script but jhdata, by nonce).
    const script = /<script src="(\/hub\/static\/spawn-pending\.js\?v=[0-9a-f]+)"><\/script>/.exec(pending.text);
    assert.ok(script, 'the page loads spawn-pending.js');
    const js = await alice.get(script[1]!);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type')!, /text\/javascript/);
    assert.match(js.text, /new EventSource\(d\.progress_url\)/);
    assert.match(pending.headers.get('content-security-policy')!, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+';/);
    assert.doesNotMatch(pending.headers.get('content-security-policy')!, /unsafe-inline/);
    const data = Browser.jhdata(pending.text);
    assert.equal(data.next_url, '/hub/user/alice/lab');
    const url = new URL(data.progress_url, h.url);
    assert.equal(url.pathname, '/hub/api/users/alice/server/progress');
    // An EventSource request is not a navigation: it passes the XSRF check with ?_xsrf (the manager knows
    // no spawn for this hand-made row, hence 404 rather than 403).
    const stream = await alice.request('GET', url.pathname + url.search, {
      headers: { 'sec-fetch-mode': 'cors', accept: 'text/event-stream' },
    });
    assert.equal(stream.status, 404, stream.text);
    assert.equal((await bob.get('hub/spawn-pending/alice')).status, 404);
  });

  test('a ready server without a route: redirect back to it, counting, then give up', async () => {
    await setServer('alice', { server_url: 'http://127.0.0.1:9', pending: null });
    const r = await alice.get('hub/user/alice/tree?x=1');
    assert.equal(r.status, 302);
    const loc = new URL(r.location!);
    assert.equal(loc.pathname, '/user/alice/tree');
    assert.equal(loc.searchParams.get('x'), '1');
    assert.equal(loc.searchParams.get('redirects'), '1');
    const again = await alice.get('hub/user/alice/tree?redirects=2');
    assert.equal(new URL(again.location!).searchParams.get('redirects'), '3');
    const loop = await alice.get('hub/user/alice/tree?redirects=4');
    assert.equal(loop.status, 500);
    assert.match(loop.text, /Redirect loop/);
    const pending = await alice.get('hub/spawn-pending/alice?next=%2Fhub%2Fuser%2Falice%2Flab');
    assert.equal(pending.status, 302, 'spawn-pending sends a ready server on');
    assert.equal(new URL(pending.location!).pathname, '/hub/user/alice/lab');
    await setServer('alice', { server_url: null, pending: null });
  });

  test("GET /hub/spawn starts the signed-in user's server and goes to spawn-pending; early failures show", async () => {
    const r = await alice.get('hub/spawn?next=%2Fuser%2Falice%2Flab');
    assert.equal(r.status, 302);
    assert.equal(new URL(r.location!).pathname, '/hub/spawn-pending/alice');
    assert.equal(new URL(r.location!).searchParams.get('next'), '/hub/user/alice/lab');
    const model = await h.request('GET', 'hub/api/users/alice');
    assert.ok(model.json.pending === 'spawn' || model.json.server === '/user/alice/', JSON.stringify(model.json));
    assert.equal((await bob.get('hub/spawn/alice')).status, 404, 'not for other users');
    assert.equal((await new Browser(h).get('hub/spawn')).status, 302, 'login first');
    // A real refusal: with alice's server counted, a limit of one active server turns bob away.
    const limits = h.hub.ctx.config;
    limits.active_server_limit = 1;
    try {
      const refused = await bob.get('hub/spawn');
      assert.equal(refused.status, 429);
      assert.match(refused.text, /Active user limit exceeded/);
    } finally {
      limits.active_server_limit = 0;
    }
    const stop = await h.request('DELETE', 'hub/api/users/alice/server');
    assert.ok(stop.status === 204 || stop.status === 202, stop.text);
  });
});
