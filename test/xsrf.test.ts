// Cookie authentication of the REST API and its XSRF protection (JupyterHub 4.1+ rules).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

describe('cookie-authenticated API requests and XSRF', () => {
  let h: TestHub;
  let b: Browser;
  let xsrf: string;
  before(async () => {
    h = await startInProcessHub({}, { listen: true });
    b = new Browser(h);
    await b.login('alice');
    xsrf = Browser.jhdata((await b.get('hub/home')).text).xsrf_token;
  });
  after(() => h?.stop());

  const whoami = (headers: Record<string, string>, query = '') => b.request('GET', `hub/api/user${query}`, { headers });

  test('GET without Sec-Fetch-Mode, or as a navigation, needs no token', async () => {
    const plain = await whoami({});
    assert.equal(plain.status, 200);
    assert.equal(plain.json.name, 'alice');
    assert.equal(plain.json.token_id, null);
    assert.equal(plain.json.session_id, b.cookie('jupyterhub-session-id')!.value);
    assert.ok(plain.json.scopes.includes('servers!user=alice'), "all of the user's own scopes");
    assert.equal((await whoami({ 'sec-fetch-mode': 'navigate' })).status, 200);
  });

  test('a fetch (Sec-Fetch-Mode: cors) needs the token, in the header or ?_xsrf', async () => {
    const missing = await whoami({ 'sec-fetch-mode': 'cors' });
    assert.equal(missing.status, 403);
    assert.match(missing.json.message, /XSRF/);
    const wrong = await whoami({
      'sec-fetch-mode': 'cors',
      'x-xsrftoken': `${xsrf.slice(0, -1)}${xsrf.endsWith('A') ? 'B' : 'A'}`,
    });
    assert.equal(wrong.status, 403);
    assert.match(wrong.json.message, /XSRF/);
    assert.equal((await whoami({ 'sec-fetch-mode': 'cors', 'x-xsrftoken': xsrf })).status, 200);
    assert.equal((await whoami({ 'sec-fetch-mode': 'cors' }, `?_xsrf=${encodeURIComponent(xsrf)}`)).status, 200);
    assert.equal((await whoami({ 'sec-fetch-mode': 'no-cors' })).status, 403, 'only navigations are exempt');
  });

  test('POST and DELETE with JSON need the token; then they act as the user', async () => {
    const noToken = await b.request('POST', 'hub/api/users/alice/tokens', { json: {} });
    assert.equal(noToken.status, 403);
    assert.match(noToken.json.message, /XSRF/);
    const made = await b.request('POST', 'hub/api/users/alice/tokens', {
      json: { note: 'from the page' },
      headers: { 'x-xsrftoken': xsrf, 'sec-fetch-mode': 'cors' },
    });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.user, 'alice');
    const utf8 = await b.request('POST', 'hub/api/users/alice/tokens', {
      body: '{}',
      headers: { 'content-type': 'application/json; charset=UTF-8', 'x-xsrftoken': xsrf },
    });
    assert.equal(utf8.status, 201, 'a charset parameter is still JSON');
    const del = await b.request('DELETE', `hub/api/users/alice/tokens/${made.json.id}`, {});
    assert.equal(del.status, 403);
    assert.match(del.json.message, /XSRF/);
    assert.equal(
      (await b.request('DELETE', `hub/api/users/alice/tokens/${made.json.id}`, { headers: { 'x-xsrftoken': xsrf } }))
        .status,
      204,
    );
  });

  test('a cookie POST that is not JSON ignores the cookie, even with the token', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await b.request('POST', 'hub/api/users/alice/tokens', {
        body: '{}',
        headers: { 'content-type': type, 'x-xsrftoken': xsrf },
      });
      assert.equal(r.status, 403, type);
      assert.match(r.json.message, /Missing or invalid credentials/);
    }
    const none = await b.request('POST', 'hub/api/users/alice/tokens', {
      body: '{}',
      headers: { 'x-xsrftoken': xsrf },
    });
    assert.equal(none.status, 403, 'no Content-Type is not JSON either');
  });

  test('HEAD and OPTIONS are exempt', async () => {
    assert.equal((await b.request('HEAD', 'hub/api/user', { headers: { 'sec-fetch-mode': 'cors' } })).status, 200);
    assert.equal((await b.request('OPTIONS', 'hub/api/users', { headers: { 'sec-fetch-mode': 'cors' } })).status, 200);
  });

  test('token-authenticated requests never need XSRF, and the token header wins over the cookie', async () => {
    const token = await h.tokenFor('alice');
    const viaToken = await b.request('POST', 'hub/api/users/alice/tokens', {
      json: {},
      headers: { authorization: `token ${token}`, 'sec-fetch-mode': 'cors' },
    });
    assert.equal(viaToken.status, 201);
    const bad = await b.request('GET', 'hub/api/user', {
      headers: { authorization: 'token not-a-real-token', 'x-xsrftoken': xsrf },
    });
    assert.equal(bad.status, 403, 'a bad token is not rescued by a good cookie');
    const adminToken = await b.request('GET', 'hub/api/user', {
      headers: { authorization: `token ${h.adminToken}`, 'sec-fetch-mode': 'cors' },
    });
    assert.equal(adminToken.json.name, 'admin', 'the header names the caller, not the cookie');
  });

  test('a token from another session (even of the same user) is refused', async () => {
    const other = new Browser(h);
    await other.login('alice');
    const otherXsrf = Browser.jhdata((await other.get('hub/home')).text).xsrf_token;
    assert.notEqual(otherXsrf, xsrf);
    assert.equal((await whoami({ 'sec-fetch-mode': 'cors', 'x-xsrftoken': otherXsrf })).status, 403);
    const bob = new Browser(h);
    await bob.login('bob');
    const bobXsrf = Browser.jhdata((await bob.get('hub/home')).text).xsrf_token;
    assert.equal((await whoami({ 'sec-fetch-mode': 'cors', 'x-xsrftoken': bobXsrf })).status, 403);
  });

  test('the page token and the _xsrf cookie are the same value, on the hub path', async () => {
    const home = await b.get('hub/home');
    assert.ok(
      home.setCookies.some((c) => c.startsWith('_xsrf=')),
      'a navigation sets it',
    );
    const c = b.cookie('_xsrf')!;
    assert.equal(c.value, Browser.jhdata(home.text).xsrf_token);
    assert.equal(c.path, '/hub/');
    // A fetch does not replace the cookie (upstream sets it on navigations only).
    const fetchReply = await b.request('GET', 'hub/home', { headers: { 'sec-fetch-mode': 'cors' } });
    assert.equal(fetchReply.status, 200);
    assert.ok(!fetchReply.setCookies.some((x) => x.startsWith('_xsrf=')));
  });
});
