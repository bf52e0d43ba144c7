// Browser sessions end to end: the login form, cookies, next handling, logout, the home page, and
// the hub's pages for user URLs without a proxy route (through the real proxy).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadCookieSecret, signValue } from '../src/auth/cookies.ts';
import { sessionSettings, setLoginCookies } from '../src/auth/session.ts';
import type { UserRow } from '../src/db/index.ts';
import { safeNextUrl } from '../src/web/next-url.ts';
import { findUser } from '../src/repo/users.ts';
import { issueToken } from '../src/tokens/issue.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

const PASSWORD = 'open sesame';

describe('cookie secret and cookie attributes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-secret-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('is created with 32 random bytes, readable by the owner only, and read back', () => {
    const first = loadCookieSecret('secret-a', dir, {});
    assert.equal(first.secret.length, 32);
    assert.equal(statSync(join(dir, 'secret-a')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, 'secret-a'), 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.deepEqual(loadCookieSecret('secret-a', dir, {}).secret, first.secret);
  });

  test('a file others can read is refused, as JupyterHub does', () => {
    writeFileSync(join(dir, 'secret-b'), 'ab'.repeat(32), { mode: 0o644 });
    chmodSync(join(dir, 'secret-b'), 0o644);
    assert.throws(() => loadCookieSecret('secret-b', dir, {}), /can be read or written by anybody/);
  });

  test('JPY_COOKIE_SECRET (hex) wins over the file; bad hex is an error', () => {
    assert.deepEqual(
      loadCookieSecret('secret-a', dir, { JPY_COOKIE_SECRET: '00ff'.repeat(8) }).secret,
      Buffer.from('00ff'.repeat(8), 'hex'),
    );
    assert.throws(() => loadCookieSecret('secret-a', dir, { JPY_COOKIE_SECRET: 'not hex' }), /hex/);
  });

  test('behind https, cookies are Secure; their paths follow the base URL', () => {
    const ctx = { sessions: sessionSettings('https://hub.example/jhub/', '/jhub/', Buffer.alloc(32, 1)) };
    const headers = new Map<string, unknown>();
    const reply = { getHeader: (k: string) => headers.get(k), header: (k: string, v: unknown) => headers.set(k, v) };
    setLoginCookies(ctx, reply as never, { cookie_id: 'c00k1e' } as UserRow);
    const [session, login] = headers.get('set-cookie') as string[];
    assert.match(session!, /^jupyterhub-session-id=[0-9a-f]{32}; Path=\/jhub\/; HttpOnly; Secure; SameSite=Lax$/);
    assert.match(
      login!,
      /^jupyterhub-hub-login=[^;]+; Path=\/jhub\/hub\/; Max-Age=1209600; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  test('the hub refuses to start with a world-readable secret file', async () => {
    const path = join(dir, 'secret-c');
    writeFileSync(path, 'cd'.repeat(32));
    chmodSync(path, 0o604);
    await assert.rejects(
      startHub({ cookie_secret_file: path }),
      /cookie_secret_file .* can be read or written by anybody/,
    );
  });
});

describe('next URLs under a base URL', () => {
  test('only paths under the base URL survive, dot segments resolved first', () => {
    const base = '/jhub/';
    assert.equal(safeNextUrl('/jhub/hub/token?a=1', base), '/jhub/hub/token?a=1');
    assert.equal(safeNextUrl('/jhub', base), '/jhub');
    assert.equal(safeNextUrl('/jhub/user/alice/lab', base), '/jhub/hub/user/alice/lab');
    for (const bad of [
      '/other/',
      '/jhubx/hub/',
      '/jhub/../other',
      '/jhub/%2e%2e/other',
      '//jhub/hub/',
      'http://127.0.0.1/jhub/hub/',
      '',
      undefined,
      ['/jhub/'],
    ]) {
      assert.equal(safeNextUrl(bad, base), null, String(bad));
    }
  });
});

describe('login, logout and the home page', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({ authenticator: { password: PASSWORD, blocked_users: ['mallory'] } });
  });
  after(() => h?.stop());

  test('GET /hub/login shows an accessible form with an XSRF field and cookie', async () => {
    const b = new Browser(h);
    const r = await b.get('hub/login');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /text\/html/);
    assert.match(r.text, /<label for="username_input">Username<\/label>/);
    assert.match(r.text, /<label for="password_input">Password<\/label>/);
    assert.match(r.text, /id="username_input"[^>]*autofocus/);
    assert.match(r.text, /<input type="password"/);
    assert.doesNotMatch(r.text, /(src|href)="(https?:)?\/\//, 'no external assets');
    const token = Browser.xsrfField(r.text);
    assert.equal(b.cookie('_xsrf')?.value, token);
    assert.equal(b.cookie('_xsrf')?.path, '/hub/');
  });

  test('the right password signs in: cookies, a new user with the default role, redirect home', async () => {
    const b = new Browser(h);
    const r = await b.login('Alice', PASSWORD);
    assert.equal(r.status, 302);
    assert.equal(new URL(r.location!).pathname, '/hub/home');
    const login = b.cookie('jupyterhub-hub-login')!;
    assert.equal(login.path, '/hub/');
    assert.match(login.attributes, /HttpOnly/);
    assert.match(login.attributes, /SameSite=Lax/);
    assert.match(login.attributes, /Max-Age=1209600/);
    assert.doesNotMatch(login.attributes, /Secure/, 'plain http: no Secure flag');
    const session = b.cookie('jupyterhub-session-id')!;
    assert.equal(session.path, '/');
    assert.match(session.value, /^[0-9a-f]{32}$/);
    assert.match(session.attributes, /HttpOnly/);
    const user = await findUser(h.hub.ctx.k, 'alice');
    assert.ok(user, 'the (normalized) user was created');
    assert.ok(
      login.value.length > 20 && !login.value.includes(user.cookie_id),
      'the cookie is signed, not the bare cookie_id',
    );
    const model = await h.request('GET', 'hub/api/users/alice');
    assert.deepEqual(model.json.roles, ['user']);
    assert.equal(model.json.admin, false);

    const home = await b.get('hub/home');
    assert.equal(home.status, 200);
    assert.match(home.text, /Signed in as <strong>alice<\/strong>/);
    assert.match(home.text, /<button type="button" id="start">Start my server<\/button>/);
    assert.match(home.text, /href="\/user\/alice\/"/);
    assert.match(home.text, /href="\/hub\/logout"/);
    const data = Browser.jhdata(home.text);
    assert.equal(data.user, 'alice');
    assert.equal(data.base_url, '/hub/');
    assert.equal(data.xsrf_token, b.cookie('_xsrf')!.value);
    assert.equal(home.headers.get('cache-control'), 'no-store');
  });

  test('a wrong password, a blocked user or an unknown name gets 403 and the form with an error', async () => {
    for (const [name, password] of [
      ['alice', 'wrong'],
      ['mallory', PASSWORD],
      ['', PASSWORD],
    ] as const) {
      const b = new Browser(h);
      const r = await b.login(name, password);
      assert.equal(r.status, 403, `${name}/${password}`);
      assert.match(r.text, /role="alert">Invalid username or password</);
      assert.match(r.text, /<form method="post"/);
      assert.equal(b.cookie('jupyterhub-hub-login'), undefined);
    }
    assert.equal(await findUser(h.hub.ctx.k, 'mallory'), undefined, 'a blocked user is not created');
  });

  test('the login POST needs the XSRF field, matching the cookie', async () => {
    const b = new Browser(h);
    const form = await b.get('hub/login');
    const token = Browser.xsrfField(form.text);
    const missing = await b.request('POST', 'hub/login', { form: { username: 'alice', password: PASSWORD } });
    assert.equal(missing.status, 403);
    assert.match(missing.text, /XSRF/);
    const stranger = new Browser(h); // has no _xsrf cookie
    const noCookie = await stranger.request('POST', 'hub/login', {
      form: { _xsrf: token, username: 'alice', password: PASSWORD },
    });
    assert.equal(noCookie.status, 403);
    const mismatch = await b.request('POST', 'hub/login', {
      form: { _xsrf: `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`, username: 'alice', password: PASSWORD },
    });
    assert.equal(mismatch.status, 403, 'field and cookie differ');
    // Double-submitting a value of one's own choosing is not enough: it must be the hub's HMAC.
    const forged = 'f'.repeat(43);
    b.cookie('_xsrf')!.value = forged;
    const chosen = await b.request('POST', 'hub/login', {
      form: { _xsrf: forged, username: 'alice', password: PASSWORD },
    });
    assert.equal(chosen.status, 403, 'a self-chosen token');
    const other = new Browser(h);
    other.userAgent = 'another browser';
    const othersToken = Browser.xsrfField((await other.get('hub/login')).text);
    b.cookie('_xsrf')!.value = othersToken;
    const stolen = await b.request('POST', 'hub/login', {
      form: { _xsrf: othersToken, username: 'alice', password: PASSWORD },
    });
    assert.equal(stolen.status, 403, "another browser's token");
    assert.equal(b.cookie('jupyterhub-hub-login'), undefined);
  });

  test('next: same-site paths under the base URL only', async () => {
    const cases: [string, string][] = [
      ['/hub/token?x=1#frag', '/hub/token?x=1#frag'],
      ['/user/alice/tree/a.ipynb', '/hub/user/alice/tree/a.ipynb'],
      [`${h.url}hub/admin`, '/hub/admin'],
      ['//evil.example/x', '/hub/home'],
      ['http://evil.example/', '/hub/home'],
      ['https://evil.example/hub/', '/hub/home'],
      ['/\\evil.example', '/hub/home'],
      ['\\\\evil.example', '/hub/home'],
      ['/\t/evil.example', '/hub/home'],
      ['javascript:alert(1)', '/hub/home'],
      ['hub/relative', '/hub/home'],
    ];
    for (const [next, expected] of cases) {
      const b = new Browser(h);
      const r = await b.login('alice', PASSWORD, next);
      assert.equal(r.status, 302, next);
      const loc = new URL(r.location!);
      assert.equal(loc.host, new URL(h.url).host, `${next} stays on this host`);
      assert.equal(loc.pathname + loc.search + loc.hash, expected, next);
    }
  });

  test('a signed-in browser skips the form; /hub/ and / lead to login or home', async () => {
    const anon = new Browser(h);
    assert.equal(new URL((await anon.get('')).location!).pathname, '/hub/');
    assert.equal(new URL((await anon.get('hub/')).location!).pathname, '/hub/login');
    const b = new Browser(h);
    await b.login('alice', PASSWORD);
    assert.equal(new URL((await b.get('hub/')).location!).pathname, '/hub/home');
    const again = await b.get('hub/login?next=%2Fhub%2Ftoken');
    assert.equal(again.status, 302);
    assert.equal(new URL(again.location!).pathname, '/hub/token');
  });

  test('a tampered or foreign login cookie authenticates nobody', async () => {
    const b = new Browser(h);
    await b.login('alice', PASSWORD);
    const login = b.cookie('jupyterhub-hub-login')!;
    const user = (await findUser(h.hub.ctx.k, 'alice'))!;
    for (const value of [
      `${login.value}x`,
      signValue(Buffer.alloc(32, 7), 'jupyterhub-hub-login', user.cookie_id),
      Buffer.from(user.cookie_id).toString('base64url'),
    ]) {
      login.value = value;
      const r = await b.get('hub/home');
      assert.equal(r.status, 302, value);
      assert.match(r.location!, /\/hub\/login\?next=%2Fhub%2Fhome$/);
    }
  });

  test('logout revokes the tokens of that session only, clears the cookies, and returns to login', async () => {
    const b = new Browser(h);
    await b.login('alice', PASSWORD);
    const sessionId = b.cookie('jupyterhub-session-id')!.value;
    const user = (await findUser(h.hub.ctx.k, 'alice'))!;
    const issue = (sid: string | null) =>
      issueToken(h.hub.ctx.k, h.hub.ctx.db.kind, {
        owner: { kind: 'user', id: user.id },
        kind: 'oauth',
        note: 'test',
        scopes: [],
        expiresIn: null,
        sessionId: sid,
      }).then((t) => t.token);
    const mine = await issue(sessionId);
    const other = await issue('0'.repeat(32));
    assert.equal((await h.request('GET', 'hub/api/user', { token: mine })).status, 200);
    const r = await b.get('hub/logout');
    assert.equal(r.status, 302);
    assert.equal(new URL(r.location!).pathname, '/hub/login');
    assert.equal(b.cookie('jupyterhub-hub-login'), undefined);
    assert.equal(b.cookie('jupyterhub-session-id'), undefined);
    assert.equal(
      (await h.request('GET', 'hub/api/user', { token: mine })).status,
      403,
      "the session's token is revoked",
    );
    assert.equal(
      (await h.request('GET', 'hub/api/user', { token: other })).status,
      200,
      "another session's token still works",
    );
    assert.equal((await b.get('hub/home')).status, 302, 'signed out');
  });

  test('a login from an admin_users name makes an admin', async () => {
    const b = new Browser(h);
    await b.login('admin', PASSWORD);
    const home = await b.get('hub/home');
    assert.match(home.text, /Signed in as <strong>admin<\/strong>/);
    const model = await h.request('GET', 'hub/api/users/admin');
    assert.equal(model.json.admin, true);
  });
});

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

  test('/user/... at the hub: browsers go to /hub/user/..., API calls get 424', async () => {
    const anon = new Browser(h);
    const r = await anon.get('user/alice/tree/x.ipynb?a=1');
    assert.equal(r.status, 302);
    assert.equal(new URL(r.location!).pathname + new URL(r.location!).search, '/hub/user/alice/tree/x.ipynb?a=1');
    const api = await anon.request('GET', 'user/alice/api/contents', { headers: { accept: 'application/json' } });
    assert.equal(api.status, 424);
    assert.equal(api.json.status, 424);
    assert.match(api.json.message, /no longer running at \/user\/alice\/\. Restart the server at \/hub\/spawn\/alice/);
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
