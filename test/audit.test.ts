// The audit log on the in-process hub: each kind of event made by doing the real thing (API calls, the login
// page), who may read what, filters and pagination. Hub start (Hub.start), server events (a real single-user server) and `tshub audit
// verify` / `export` (real processes) on the hub's own database: audit-e2e.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const PASSWORD = 'correct horse battery';

describe('audit log', () => {
  let h: TestHub;
  /** Every secret the test handles: none may appear in any record. */
  const secrets: string[] = [PASSWORD];
  let alice: string;

  /** Records matching `query` as admin, newest first; the recorder is flushed first. */
  const events = async (query = '', token?: string) => {
    await h.hub.ctx.audit.flush();
    const r = await h.request('GET', `hub/api/audit${query ? `?${query}` : ''}`, token === undefined ? {} : { token });
    assert.equal(r.status, 200, r.text);
    return r.json as any[];
  };
  const one = async (query: string) => {
    const found = await events(query);
    assert.ok(found.length >= 1, `no record for ${query}`);
    return found[0];
  };

  before(async () => {
    h = await startInProcessHub(
      {
        authenticator: { password: PASSWORD },
        load_roles: [{ name: 'auditors', scopes: ['read:users'], users: ['alice'] }],
      },
      { listen: true },
    );
    secrets.push(h.adminToken);
    await h.addUsers(['bob']);
    alice = await h.tokenFor('alice');
    secrets.push(alice);
  });
  after(() => h.stop());

  test('token create, first use from an IP, rotate and revoke carry actor, target, IP, agent and request id', async () => {
    const created = await one('action=token.create&target=alice');
    assert.equal(created.actor.kind, 'user');
    assert.equal(created.actor.name, 'admin');
    assert.match(created.actor.token_id, /^a\d+$/);
    assert.equal(created.target.kind, 'token');
    assert.equal(created.target.owner, 'alice');
    assert.equal(created.outcome, 'success');

    const own = await h.request('POST', 'hub/api/users/alice/tokens', {
      token: alice,
      body: { note: 'ci' },
      headers: { 'x-request-id': 'req-create-1', 'user-agent': 'audit-test/1' },
    });
    assert.equal(own.status, 201);
    secrets.push(own.json.token);
    const mine = await one(`action=token.create&target=${own.json.id}`);
    assert.equal(mine.actor.name, 'alice');
    assert.equal(mine.request_id, 'req-create-1');
    assert.equal(mine.user_agent, 'audit-test/1');
    assert.equal(mine.ip, '127.0.0.1');
    const firstUse = await one(`action=token.new_ip&actor=alice`);
    assert.equal(firstUse.reason, 'first use');

    const rotated = await h.request('POST', `hub/api/users/alice/tokens/${own.json.id}/rotate`, { token: alice });
    assert.equal(rotated.status, 201);
    secrets.push(rotated.json.token);
    const rot = await one(`action=token.rotate&target=${own.json.id}`);
    assert.match(rot.reason, new RegExp(`replaced by ${rotated.json.id}`));
    // The rotated-out token, presented after its (zero) grace: refused, and recorded.
    assert.equal((await h.request('GET', 'hub/api/user', { token: own.json.token })).status, 403);
    assert.equal((await one(`action=token.presented&target=${own.json.id}`)).reason, 'token_rotated');

    assert.equal(
      (await h.request('DELETE', `hub/api/users/alice/tokens/${rotated.json.id}`, { token: alice })).status,
      204,
    );
    const revoked = await one(`action=token.revoke&target=${rotated.json.id}`);
    assert.equal(revoked.actor.name, 'alice');
    const refused = await h.request('GET', 'hub/api/user', {
      token: rotated.json.token,
      headers: { 'x-request-id': 'req-revoked' },
    });
    assert.equal(refused.status, 403);
    const presented = await one(`action=token.presented&target=${rotated.json.id}`);
    assert.deepEqual(
      [presented.outcome, presented.reason, presented.request_id, presented.actor.kind],
      ['denied', 'token_revoked', 'req-revoked', 'anonymous'],
    );
    assert.equal(presented.target.owner, 'alice');
  });

  test('an expired token presented records the expiry once and each presentation', async () => {
    const r = await h.request('POST', 'hub/api/users/alice/tokens', { token: alice, body: { expires_in: 1 } });
    secrets.push(r.json.token);
    await new Promise((res) => setTimeout(res, 1200));
    for (let i = 0; i < 2; i++)
      assert.equal((await h.request('GET', 'hub/api/user', { token: r.json.token })).status, 403);
    assert.equal((await events(`action=token.expire&target=${r.json.id}`)).length, 1);
    const presented = await events(`action=token.presented&target=${r.json.id}`);
    assert.deepEqual(
      presented.map((e) => e.reason),
      ['token_expired', 'token_expired'],
    );
  });

  test('login success and failure, and logout, from the login page', async () => {
    const b = new Browser(h);
    assert.equal((await b.login('bob', 'wrong password')).status, 403);
    const failed = await one('action=login.failure&target=bob');
    assert.deepEqual([failed.outcome, failed.actor.kind, failed.user_agent], ['failure', 'anonymous', b.userAgent]);
    assert.equal((await b.login('bob', PASSWORD)).status, 302);
    const ok = await one('action=login.success&target=bob');
    assert.deepEqual(ok.actor, { kind: 'user', name: 'bob', token_id: null });
    await b.get('hub/logout');
    assert.equal((await one('action=logout&actor=bob')).target.name, 'bob');
  });

  test('user and group changes', async () => {
    assert.equal((await h.request('POST', 'hub/api/users/carol', {})).status, 201);
    assert.equal((await one('action=user.create&target=carol')).actor.name, 'admin');
    assert.equal(
      (await h.request('PATCH', 'hub/api/users/carol', { body: { admin: true, name: 'carla' } })).status,
      200,
    );
    assert.match((await one('action=user.modify&target=carla')).reason, /renamed from carol to carla; admin: true/);
    assert.equal((await h.request('POST', 'hub/api/groups/staff', { body: { users: ['bob'] } })).status, 201);
    assert.equal((await one('action=group.create&target=staff')).reason, 'users: bob');
    assert.equal((await h.request('POST', 'hub/api/groups/staff/users', { body: { users: ['carla'] } })).status, 200);
    assert.equal((await one('action=group.add_members&target=staff')).reason, 'users: carla');
    assert.equal((await h.request('DELETE', 'hub/api/groups/staff/users', { body: { users: ['bob'] } })).status, 200);
    assert.equal((await one('action=group.remove_members&target=staff')).reason, 'users: bob');
    assert.equal((await h.request('DELETE', 'hub/api/groups/staff')).status, 204);
    await one('action=group.delete&target=staff');
    assert.equal((await h.request('DELETE', 'hub/api/users/carla')).status, 204);
    await one('action=user.delete&target=carla');
  });

  test('admins read every record, users only their own; filters and pagination', async () => {
    const all = await events();
    assert.ok(all.some((e) => e.actor.name === 'bob') && all.some((e) => e.target?.owner === 'alice'));
    assert.ok(all[0].id > all.at(-1).id, 'newest first by default');
    const asc = await events('order=asc');
    assert.ok(asc[0].id < asc.at(-1).id);

    const mine = await events('', alice);
    assert.ok(mine.length > 0);
    for (const e of mine) assert.ok(e.actor.name === 'alice' || e.target?.owner === 'alice', JSON.stringify(e));
    assert.ok(!mine.some((e) => e.actor.name === 'bob' || e.action === 'hub.start'));

    const tokens = await events('action=token.');
    assert.ok(tokens.length >= 5 && tokens.every((e) => e.action.startsWith('token.')));
    assert.deepEqual(await events('action=token'), [], 'without the dot it is an exact name');
    assert.ok((await events('actor=bob')).every((e) => e.actor.name === 'bob'));
    const later = all[Math.floor(all.length / 2)].time;
    assert.ok((await events(`since=${encodeURIComponent(later)}`)).every((e) => e.time >= later));
    assert.ok((await events(`until=${encodeURIComponent(later)}`)).every((e) => e.time < later));

    const page = await h.request('GET', 'hub/api/audit?limit=2&offset=1', {
      headers: { accept: 'application/jupyterhub-pagination+json' },
    });
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.json.items.map((e: any) => e.id),
      [all[1].id, all[2].id],
    );
    assert.equal(page.json._pagination.total, all.length);
    assert.equal(page.json._pagination.next.offset, 3);

    for (const bad of [
      'action=Token!',
      'since=yesterday',
      'until=2025-13-45',
      'order=up',
      'limit=x',
      'since=2025-02-01&until=2025-01-01',
    ]) {
      const r = await h.request('GET', `hub/api/audit?${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal(r.json.status, 400);
      assert.ok(r.json.message, bad);
    }
    assert.equal((await h.request('GET', 'hub/api/audit', { token: null })).status, 403);
  });

  test('no record holds a token or password', async () => {
    await h.hub.ctx.audit.flush();
    const rows = JSON.stringify(await h.hub.ctx.k.selectFrom('audit_log').selectAll().execute());
    for (const s of secrets) assert.ok(!rows.includes(s), 'a secret is in the audit log');
  });
});
