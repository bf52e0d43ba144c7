// Browser sessions on the in-process hub (listening, for the Browser): the login form, cookies, next handling,
// logout and the home page; the hub's pages for user URLs and spawning (a real proxy and server): login-e2e.test.ts.
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
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

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
      startInProcessHub({ cookie_secret_file: path }, { listen: true }),
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
    h = await startInProcessHub(
      // Landing on /hub/home (not the server): the default landing is test/landing-*.test.ts's.
      { redirect_to_server: false, authenticator: { password: PASSWORD, blocked_users: ['mallory'] } },
      { listen: true },
    );
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
