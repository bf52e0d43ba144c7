// Answers kept by src/api/read-cache.ts must never outlive the data they were read from.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Db } from '../src/db/index.ts';
import { parseDbUrl } from '../src/config/index.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

describe('repeated reads are answered from memory only while nothing changed', () => {
  let th: TestHub;
  before(async () => {
    th = await startInProcessHub();
    await th.addUsers(['ann', 'bob']);
  });
  after(() => th.stop());

  const names = async (path = 'hub/api/users') =>
    ((await th.request('GET', path)).json as { name: string }[]).map((u) => u.name).sort();

  test('a listing asked twice is the same, and shows a user created in between at once', async () => {
    assert.deepEqual(await names(), ['admin', 'ann', 'bob']);
    assert.deepEqual(await names(), ['admin', 'ann', 'bob']);
    await th.addUsers(['cat']);
    assert.deepEqual(await names(), ['admin', 'ann', 'bob', 'cat']);
  });

  test('each request shape has its own answer', async () => {
    const page = await th.request('GET', 'hub/api/users?limit=1', {
      headers: { accept: 'application/jupyterhub-pagination+json' },
    });
    assert.equal(page.json.items.length, 1);
    assert.equal(page.json._pagination.total, 4);
    const plain = await th.request('GET', 'hub/api/users?limit=1');
    assert.ok(Array.isArray(plain.json), 'without the pagination media type: a plain list');
    assert.deepEqual(await names('hub/api/users?name_filter=b'), ['bob']);
  });

  test("whoami shows a server's activity as soon as it is recorded", async () => {
    const token = await th.tokenFor('ann');
    const whoami = async () => (await th.request('GET', 'hub/api/user?include_stopped_servers', { token })).json;
    const first = await whoami();
    assert.equal(first.name, 'ann');
    assert.deepEqual(first.servers[''] ?? null, null);
    assert.deepEqual(await whoami(), first);
    const r = await th.request('POST', 'hub/api/users/ann/activity', {
      token,
      body: { last_activity: '2026-03-01T10:00:00.000Z', servers: {} },
    });
    assert.equal(r.status, 200, r.text);
    const admin = (await th.request('GET', 'hub/api/users/ann')).json;
    assert.equal(
      (await whoami()).last_activity === first.last_activity,
      admin.last_activity === first.last_activity,
      'whoami agrees with a fresh read about whether the activity changed the user',
    );
  });

  test('a write by another process (tshub token, a second connection) shows within a moment', async () => {
    const other: Db = connect(parseDbUrl(th.dbUrl, th.dir));
    try {
      const listed = async () =>
        ((await th.request('GET', 'hub/api/users')).json as { name: string; admin: boolean }[]).find(
          (u) => u.name === 'bob',
        )!;
      assert.equal((await listed()).admin, false);
      await other.k.updateTable('users').set({ admin: 1 }).where('name', '=', 'bob').execute();
      let admin = false;
      // SQLite: noticed within 0.1 s; PostgreSQL: an answer is reused for at most 2 s.
      for (let i = 0; i < 40 && !admin; i++) {
        admin = (await listed()).admin;
        if (!admin) await sleep(100);
      }
      assert.ok(admin, 'the listing shows bob as admin');
    } finally {
      await other.close();
    }
  });
});

describe('read_cache.enabled: false', () => {
  let th: TestHub;
  before(async () => {
    th = await startInProcessHub({ read_cache: { enabled: false } });
    await th.addUsers(['dan']);
  });
  after(() => th.stop());

  test("every answer is read afresh: another process's write shows on the very next request", async () => {
    const other: Db = connect(parseDbUrl(th.dbUrl, th.dir));
    try {
      const dan = async () =>
        ((await th.request('GET', 'hub/api/users')).json as { name: string; admin: boolean }[]).find(
          (u) => u.name === 'dan',
        )!;
      assert.equal((await dan()).admin, false);
      await other.k.updateTable('users').set({ admin: 1 }).where('name', '=', 'dan').execute();
      // With the cache on, this answer could be the kept one for up to 0.1 s (SQLite) or 2 s (PostgreSQL).
      assert.equal((await dan()).admin, true);
    } finally {
      await other.close();
    }
  });
});
