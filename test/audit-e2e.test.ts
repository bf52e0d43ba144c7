// The audit log with real processes: the hub's start and start-up role sync, server start and stop by its user and a server found dead (a real
// single-user server), and `tshub audit verify` / `export` on the hub's own database, including tampering
// done behind the hub's back; the other events, access and filters: audit.test.ts.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startHub, type TestHub } from './harness.ts';
import { runTshub } from './process.ts';

describe('audit log: servers and the command line', () => {
  let h: TestHub;
  let alice: string;

  /** Records matching `query` as admin, newest first; the recorder is flushed first. */
  const events = async (query = '') => {
    await h.hub.ctx.audit.flush();
    const r = await h.request('GET', `hub/api/audit${query ? `?${query}` : ''}`);
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
      slow_spawn_timeout: 0,
      spawner: { poll_interval: 1 },
      load_roles: [{ name: 'auditors', scopes: ['read:users'], users: ['alice'] }],
    });
    await h.addUsers(['bob']);
    alice = await h.tokenFor('alice');
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
