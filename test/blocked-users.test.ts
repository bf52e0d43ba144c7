import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freshDatabase } from '../src/db/test-helpers.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';

// Issue 15: blocked_users was only read at login, so a blocked user's tokens and sessions kept working.
// As JupyterHub 5.2, start-up now takes every permission from the blocked users that exist.

describe('authenticator.blocked_users at start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-blocked-'));
  let h: TestHub | null = null;
  let drop = async () => {};
  after(async () => {
    await h?.stop();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a blocked user's token, session and admin end when the hub restarts with them blocked", async () => {
    const db = await freshDatabase(dir);
    drop = db.drop;
    // The same database and cookie secret across the restart: only the config's blocked_users changes.
    const base = { db_url: db.url, cookie_secret_file: join(dir, 'cookie_secret') };
    h = await startHub(base);
    await h.addUsers(['mia']);
    assert.equal((await h.request('PATCH', 'hub/api/users/mia', { body: { admin: true } })).status, 200);
    assert.equal((await h.request('POST', 'hub/api/groups/lab', { body: { users: ['mia'] } })).status, 201);
    const token = await h.tokenFor('mia');
    const browser = new Browser(h);
    assert.equal((await browser.login('mia')).status, 302);
    assert.equal((await browser.get('hub/home')).status, 200, 'the session works before');
    assert.equal((await h.request('GET', 'hub/api/user', { token })).status, 200, 'the token works before');
    await h.stop();

    h = await startHub({ ...base, authenticator: { blocked_users: ['mia'] } });
    const who = await h.request('GET', 'hub/api/user', { token });
    assert.equal(who.status, 403, `the token is refused: ${who.text}`);
    const again = new Browser(h);
    again.cookies.push(...browser.cookies);
    const home = await again.get('hub/home');
    assert.equal(home.status, 302, 'the login cookie no longer logs in');
    assert.match(home.location ?? '', /\/hub\/login/);
    const mia = await h.request('GET', 'hub/api/users/mia');
    assert.equal(mia.json.admin, false, 'admin is gone');
    assert.deepEqual(mia.json.roles, [], 'every role is gone, as upstream');
    assert.deepEqual(mia.json.groups, [], 'every group is gone, as upstream');
    assert.equal((await again.login('mia')).status, 403, 'and a new login is refused, as before');
    await h.stop();

    h = await startHub(base);
    const back = new Browser(h);
    assert.equal((await back.login('mia')).status, 302, 'unblocked, mia logs in again');
    assert.deepEqual((await h.request('GET', 'hub/api/users/mia')).json.roles, ['user'], 'with the default role back');
  });
});
