// The audit log end to end: each kind of event made by doing the real thing (API calls, the login page,
// a real single-user server), who may read what, filters and pagination, and `tshub audit verify` /
// `export` on the hub's own database, including tampering done behind the hub's back.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import { runTshub } from './process.ts';

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
    h = await startHub({
      authenticator: { password: PASSWORD },
      slow_spawn_timeout: 0,
      spawner: { poll_interval: 1 },
      load_roles: [{ name: 'auditors', scopes: ['read:users'], users: ['alice'] }],
    });
    secrets.push(h.adminToken);
    await h.addUsers(['bob']);
    alice = await h.tokenFor('alice');
    secrets.push(alice);
  });
  after(() => h.stop());

  test('hub start and the start-up role sync are recorded by the system', async () => {
    const start = await one('action=hub.start');
    assert.equal(start.actor.kind, 'system');
    const created = await one('action=role.create&target=auditors');
    assert.equal(created.reason, 'load_roles');
    const granted = await one('action=role.grant&target=auditors');
    assert.deepEqual(granted.target, { kind: 'role', name: 'auditors', owner: 'alice' });
    assert.match(granted.reason, /granted to user alice/);
    const admin = await one('action=role.grant&target=admin');
    assert.match(admin.reason, /user admin/);
  });

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

  test('server start and stop by its user, and a server found dead by the hub', async () => {
    assert.equal((await h.request('POST', 'hub/api/users/alice/server', { token: alice })).status, 202);
    const until = async (query: string) => {
      for (let i = 0; i < 150; i++) {
        if ((await events(query)).length) return (await events(query))[0];
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no ${query}`);
    };
    const started = await until('action=server.start&target=alice');
    assert.deepEqual([started.actor.name, started.target.name, started.outcome], ['alice', 'alice/', 'success']);
    assert.equal((await h.request('DELETE', 'hub/api/users/alice/server', { token: alice })).status, 204);
    const stopped = await until('action=server.stop&target=alice');
    assert.deepEqual([stopped.actor.name, stopped.reason], ['alice', 'stop requested']);

    assert.equal((await h.request('POST', 'hub/api/users/alice/server', { token: alice })).status, 202);
    const restarted = await until(`action=server.start&target=alice&since=${encodeURIComponent(stopped.time)}`);
    const row = await h.hub.ctx.k
      .selectFrom('spawners')
      .innerJoin('users', 'users.id', 'spawners.user_id')
      .select('spawners.state')
      .where('users.name', '=', 'alice')
      .where('spawners.name', '=', '')
      .executeTakeFirstOrThrow();
    process.kill(-JSON.parse(row.state).pid, 'SIGKILL');
    const died = await until(`action=server.stop&target=alice&since=${encodeURIComponent(restarted.time)}`);
    assert.deepEqual(died.actor, { kind: 'system', name: null, token_id: null });
    assert.match(died.reason, /server exited/);
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

  test('tshub audit export writes NDJSON with hashes; verify passes', async () => {
    await h.hub.ctx.audit.flush();
    const count = (await h.hub.ctx.k.selectFrom('audit_log').select('id').execute()).length;
    const out = await runTshub(['audit', 'export', '--db-url', h.dbUrl]);
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, count);
    assert.match(lines[0].hash, /^[0-9a-f]{64}$/);
    assert.equal(lines[1].prev_hash, lines[0].hash);
    const since = await runTshub(['audit', 'export', '--db-url', h.dbUrl, '--since', lines.at(-1).time]);
    assert.ok(
      since.stdout
        .trimEnd()
        .split('\n')
        .every((l) => JSON.parse(l).time >= lines.at(-1).time),
    );
    assert.equal((await runTshub(['audit', 'export', '--db-url', h.dbUrl, '--since', 'soon'])).code, 1);
    const v = await runTshub(['audit', 'verify', '--db-url', h.dbUrl]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.stdout, `${count} records, chain intact\n`);
  });

  test('retention prunes old records and the chain still verifies', async () => {
    await h.hub.ctx.audit.flush();
    const before = (await h.hub.ctx.k.selectFrom('audit_log').select('id').execute()).length;
    // Pruning as if a year and two days had passed: every record so far is past the 365-day retention.
    await h.hub.ctx.audit.prune(Date.now() + 367 * 86400_000);
    const left = await h.hub.ctx.k.selectFrom('audit_log').selectAll().orderBy('id').execute();
    assert.equal(left.length, 1);
    assert.equal(left[0]!.action, 'audit.prune');
    assert.match(left[0]!.reason!, new RegExp(`removed ${before} records`));
    assert.equal((await h.request('GET', 'hub/api/user')).status, 200);
    await h.hub.ctx.audit.flush();
    const v = await runTshub(['audit', 'verify', '--db-url', h.dbUrl]);
    assert.equal(v.code, 0, v.stdout);
    assert.match(v.stdout, /chain intact \(continuing from the retention anchor\)/);
  });

  test("verify finds a record changed or deleted behind the hub's back", async () => {
    for (let i = 0; i < 3; i++)
      await h.request('GET', 'hub/api/users/nobody', { headers: { 'x-request-id': `r${i}` } });
    await h.request('PATCH', 'hub/api/users/bob', { body: { admin: true } });
    await h.request('PATCH', 'hub/api/users/bob', { body: { admin: false } });
    await h.hub.ctx.audit.flush();
    const ids = (await h.hub.ctx.k.selectFrom('audit_log').select('id').orderBy('id').execute()).map((r) => r.id);
    assert.ok(ids.length >= 3);
    const target = ids[1]!;
    // Outside the hub, straight on the database (node:sqlite for SQLite; the hub's pool for PostgreSQL).
    const exec = async (text: string) => {
      if (h.dbUrl.startsWith('sqlite:')) {
        const file = new DatabaseSync(h.dbUrl.replace(/^sqlite:\/\//, ''));
        file.exec(text);
        file.close();
      } else {
        await sql.raw(text).execute(h.hub.ctx.k);
      }
    };
    await exec(`UPDATE audit_log SET reason = 'admin: false' WHERE id = ${target}`);
    const changed = await runTshub(['audit', 'verify', '--db-url', h.dbUrl]);
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, new RegExp(`^chain broken at record ${target}: changed content`));

    await exec(`DELETE FROM audit_log WHERE id = ${target}`);
    const deleted = await runTshub(['audit', 'verify', '--db-url', h.dbUrl]);
    assert.equal(deleted.code, 1);
    assert.match(deleted.stdout, new RegExp(`^chain broken at record ${ids[2]}: deleted record`));
  });
});
