import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { AuditEvent } from '../../audit/index.ts';
import { applyConfig } from '../../bootstrap/index.ts';
import { buildConfig, type ConfigInput } from '../../config/index.ts';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../db/test-helpers.ts';
import type { HubError } from '../../errors/index.ts';
import { findUser } from '../../repo/users.ts';
import { SYSTEM_CALLER } from '../deps.ts';
import { admitUser, blockUser, createUsers, deleteUser, type UserServerRuntime } from './index.ts';

/** A server runtime whose servers stop when told, or stay stopping (`stuck`). */
class FakeServers implements UserServerRuntime {
  stuck = false;
  running = new Set<number>();
  stopped: number[] = [];
  pendingOf(userId: number): 'spawn' | 'stop' | null {
    return this.stuck && this.running.has(userId) ? 'stop' : null;
  }
  async stopAllOf(userId: number): Promise<void> {
    this.stopped.push(userId);
    if (this.stuck) return new Promise(() => {});
    this.running.delete(userId);
  }
  async deleteForeverAllOf(): Promise<void> {}
}

describe('user commands', () => {
  let db: Db;
  const events: AuditEvent[] = [];
  let invalidations = 0;
  const servers = new FakeServers();
  const deps = (overrides: ConfigInput = {}) => ({
    k: db.k,
    dbKind: db.kind,
    config: buildConfig({ slow_stop_timeout: 0, ...overrides }),
    log: pino({ level: 'silent' }),
    audit: { record: (e: AuditEvent) => void events.push(e) },
    permissions: { invalidate: () => void invalidations++ },
    servers,
  });
  const withServer = async (name: string) => {
    const u = (await findUser(db.k, name))!;
    await db.k
      .insertInto('spawners')
      .values({
        user_id: u.id,
        name: '',
        display_name: null,
        state: '{}',
        started: null,
        last_activity: null,
        user_options: '{}',
        server_url: 'http://127.0.0.1:1',
        pending: null,
        oauth_client_id: null,
      })
      .execute();
    servers.running.add(u.id);
    return u;
  };

  before(async () => {
    db = await openTestDb();
    await applyConfig(db.k, buildConfig({}), pino({ level: 'silent' }));
    await createUsers(deps(), SYSTEM_CALLER, { names: ['ann', 'ben', 'cat', 'dan'] });
  });
  after(() => db.close());

  test('delete stops the user servers before the row goes', async () => {
    const ann = await withServer('ann');
    await deleteUser(deps(), SYSTEM_CALLER, { name: 'ann' });
    assert.deepEqual(servers.stopped, [ann.id]);
    assert.equal(servers.running.has(ann.id), false);
    assert.equal(await findUser(db.k, 'ann'), undefined);
    assert.equal(events.at(-1)?.action, 'user.delete');
  });

  test('delete answers 400 while a server is stopping, and keeps the user', async () => {
    await withServer('ben');
    servers.stuck = true;
    try {
      await assert.rejects(deleteUser(deps(), SYSTEM_CALLER, { name: 'ben' }), (err: HubError) => {
        assert.equal(err.status, 400);
        assert.equal(err.message, "ben's server is in the process of stopping, please wait.");
        assert.equal(err.reason, 'server_stop_pending');
        return true;
      });
      assert.ok(await findUser(db.k, 'ben'));
    } finally {
      servers.stuck = false;
    }
  });

  test('block revokes tokens, ends sessions, removes admin and stops servers', async () => {
    const cat = await withServer('cat');
    await db.k.updateTable('users').set({ admin: 1 }).where('id', '=', cat.id).execute();
    const before = invalidations;
    const outcome = await blockUser(deps(), SYSTEM_CALLER, { name: 'cat' });
    assert.deepEqual(outcome, { revokedTokens: 0, adminRemoved: true, serversStopping: false });
    const after = (await findUser(db.k, 'cat'))!;
    assert.equal(after.admin, 0);
    assert.notEqual(after.cookie_id, cat.cookie_id);
    assert.ok(servers.stopped.includes(cat.id));
    assert.ok(invalidations > before);
    assert.equal(events.at(-1)?.action, 'user.block');
    assert.equal(await blockUser(deps(), SYSTEM_CALLER, { name: 'nobody' }), null);
  });

  test('login admission: blocked and not allowed names are refused; admin_users promotes', async () => {
    const config = {
      authenticator: { allow_all: false, allowed_users: ['dan'], admin_users: ['eve'], blocked_users: ['dan'] },
    };
    await assert.rejects(admitUser(deps(config), SYSTEM_CALLER, { name: 'Dan' }), { reason: 'user_blocked' });
    await assert.rejects(admitUser(deps(config), SYSTEM_CALLER, { name: 'zed' }), { reason: 'login_not_allowed' });
    const { user: eve } = await admitUser(deps(config), SYSTEM_CALLER, { name: 'Eve' });
    assert.deepEqual([eve.name, eve.admin], ['eve', 1]);
    assert.equal(events.at(-1)?.reason, 'first login (admin_users)');
  });

  test('allow_existing_users: a user the hub has already logs in; deleting the user takes that away', async () => {
    // allowed_users set: allow_all defaults to false and allow_existing_users to true (JupyterHub 5).
    const listed = { authenticator: { class: 'dummy' as const, allowed_users: ['fay'] } };
    await createUsers(deps(), SYSTEM_CALLER, { names: ['gus'] });
    assert.equal((await admitUser(deps(listed), SYSTEM_CALLER, { name: 'gus' })).user.name, 'gus');
    await assert.rejects(admitUser(deps(listed), SYSTEM_CALLER, { name: 'hal' }), { reason: 'login_not_allowed' });
    const closed = { authenticator: { ...listed.authenticator, allow_existing_users: false } };
    await assert.rejects(admitUser(deps(closed), SYSTEM_CALLER, { name: 'gus' }), { reason: 'login_not_allowed' });
    await deleteUser(deps(), SYSTEM_CALLER, { name: 'gus' });
    await assert.rejects(admitUser(deps(listed), SYSTEM_CALLER, { name: 'gus' }), { reason: 'login_not_allowed' });
    // Blocked beats existing.
    await createUsers(deps(), SYSTEM_CALLER, { names: ['ivy'] });
    const blocked = { authenticator: { ...listed.authenticator, blocked_users: ['ivy'] } };
    await assert.rejects(admitUser(deps(blocked), SYSTEM_CALLER, { name: 'ivy' }), { reason: 'user_blocked' });
  });

  test('the password class: a stored account is an existing user; a name without one is not allowed', async () => {
    const password = { authenticator: { class: 'password' as const } };
    await createUsers(deps(), SYSTEM_CALLER, { names: ['jon'] });
    assert.equal((await admitUser(deps(password), SYSTEM_CALLER, { name: 'jon' })).user.name, 'jon');
    await assert.rejects(admitUser(deps(password), SYSTEM_CALLER, { name: 'kim' }), { reason: 'login_not_allowed' });
  });
});
