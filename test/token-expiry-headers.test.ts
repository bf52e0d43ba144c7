// Expiry you cannot miss, on the in-process hub: the expiry headers on every answer to an expiring token,
// the token page's banner, and the page's create form pre-filled from a token (`?renew=`). The notices
// (webhook, mail, Chromium): token-expiry-notice.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { githubExpiryFormat } from '../src/auth/token-hooks.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { tokensPath } from './token-helpers.ts';

const DAY = 86400;

describe('token expiry headers, banner and renewal form', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({}, { listen: true });
    await h.addUsers(['ivy', 'jon']);
  });
  after(() => h?.stop());

  test("GitHub's date format", () => {
    assert.equal(githubExpiryFormat('2026-12-31T23:59:59.250Z'), '2026-12-31 23:59:59 UTC');
  });

  test('an expiring token: both headers on success, on a refusal for lack of scope, and on a 404', async () => {
    const t = (
      await h.request('POST', tokensPath('ivy'), { body: { expires_in: 3 * DAY, scopes: ['read:users!user'] } })
    ).json;
    const iso = new Date(t.expires_at).toISOString();
    for (const [path, status] of [
      ['hub/api/user', 200],
      ['hub/api/users', 403], // lacks list:users
      ['hub/api/users/jon', 404],
      ['hub/api/nothing-here', 404],
    ] as const) {
      const r = await h.request('GET', path, { token: t.token });
      assert.equal(r.status, status, `${path}: ${r.text}`);
      assert.equal(r.headers.get('tshub-token-expiration'), iso, path);
      assert.equal(r.headers.get('github-authentication-token-expiration'), githubExpiryFormat(iso), path);
    }
    const post = await h.request('POST', tokensPath('jon'), { token: t.token, body: {} });
    assert.equal(post.status, 403, post.text);
    assert.equal(post.headers.get('tshub-token-expiration'), iso);
  });

  test('absent for a never-expiring token, an invalid token and no token at all', async () => {
    const t = (await h.request('POST', tokensPath('ivy'), { body: { expires_in: 0 } })).json;
    assert.equal(t.expires_at, null);
    for (const token of [t.token, 'tshub_not-a-real-token', null]) {
      const r = await h.request('GET', 'hub/api/user', { token });
      assert.equal(r.headers.get('tshub-token-expiration'), null);
      assert.equal(r.headers.get('github-authentication-token-expiration'), null);
    }
  });

  test('the token page warns of tokens expiring within 7 days, and not of the others', async () => {
    await h.request('POST', tokensPath('jon'), { body: { note: 'later', expires_in: 30 * DAY } });
    const b = new Browser(h);
    await b.login('jon');
    assert.doesNotMatch((await b.get('hub/token')).text, /expiry-banner/);
    await h.request('POST', tokensPath('jon'), { body: { note: 'nightly <build>', expires_in: 6 * DAY } });
    const page = await b.get('hub/token');
    assert.match(page.text, /id="expiry-banner"/);
    assert.match(page.text, /A token expires within 7 days/);
    assert.match(page.text, /<li>nightly &lt;build&gt;: <time/);
    assert.doesNotMatch(page.text, /<li>later:/);
  });

  test('?renew= pre-fills the form with the name, scopes and lifetime; another user’s token is ignored', async () => {
    const t = (
      await h.request('POST', tokensPath('ivy'), {
        body: { note: 'deploy bot', expires_in: 90 * DAY, scopes: ['read:users!user', 'read:servers!user'] },
      })
    ).json;
    const b = new Browser(h);
    await b.login('ivy');
    const page = (await b.get(`hub/token?renew=${t.id}`)).text;
    assert.match(page, /id="token-note" name="note" maxlength="1000" value="deploy bot"/);
    assert.match(page, /<option value="7776000" selected>90 days<\/option>/);
    assert.match(page, /id="scope-mode-some" value="some" aria-controls="scope-list" checked>/);
    assert.match(page, /value="read:servers!user" id="scope-\d+" checked disabled>/);
    assert.match(page, /value="read:users!user" id="scope-\d+" checked disabled>/);
    assert.doesNotMatch(page, /value="tokens!user" id="scope-\d+" checked/);

    const other = new Browser(h);
    await other.login('jon');
    const plain = (await other.get(`hub/token?renew=${t.id}`)).text;
    assert.match(plain, /value="Requested via token page"/);
    assert.match(plain, /id="scope-mode-inherit" value="inherit" checked>/);
    assert.equal((await other.get('hub/token?renew=a0')).status, 200);
    assert.equal((await other.get('hub/token?renew=<script>')).status, 200);
  });

  test('Rotate offers a grace period within tokens.rotation_max_grace_seconds', async () => {
    const b = new Browser(h);
    await b.login('ivy');
    const page = (await b.get('hub/token')).text;
    const options = [...page.matchAll(/<select id="rotate-grace">([\s\S]*?)<\/select>/g)][0]![1]!;
    assert.deepEqual(
      [...options.matchAll(/value="(\d+)"/g)].map((m) => Number(m[1])),
      [0, 3600, DAY, 7 * DAY],
    );
  });
});
