import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { AuditEvent } from '../../audit/index.ts';
import { applyConfig } from '../../bootstrap/index.ts';
import { buildConfig } from '../../config/index.ts';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../db/test-helpers.ts';
import { findGroup, membersOfGroups } from '../../repo/groups.ts';
import { SYSTEM_CALLER } from '../deps.ts';
import { createUsers } from '../users/index.ts';
import { changeMembers, createGroups, deleteGroup } from './index.ts';

describe('group commands', () => {
  let db: Db;
  const events: AuditEvent[] = [];
  let invalidations = 0;
  const deps = () => ({
    k: db.k,
    dbKind: db.kind,
    config: buildConfig({}),
    log: pino({ level: 'silent' }),
    audit: { record: (e: AuditEvent) => void events.push(e) },
    permissions: { invalidate: () => void invalidations++ },
  });

  before(async () => {
    db = await openTestDb();
    await applyConfig(db.k, buildConfig({}), pino({ level: 'silent' }));
    await createUsers(deps(), SYSTEM_CALLER, { names: ['ann', 'ben'] });
  });
  after(() => db.close());

  test('create: all or none, members by normalized name, one event per group', async () => {
    const rows = await createGroups(deps(), SYSTEM_CALLER, { names: ['a', 'b', 'a'], users: ['Ann'] });
    assert.deepEqual(
      rows.map((g) => g.name),
      ['a', 'b'],
    );
    assert.deepEqual((await membersOfGroups(db.k, [rows[0]!.id])).get(rows[0]!.id), ['ann']);
    assert.deepEqual(
      events.filter((e) => e.action === 'group.create').map((e) => [e.target?.name, e.reason]),
      [
        ['a', 'users: Ann'],
        ['b', 'users: Ann'],
      ],
    );
    await assert.rejects(createGroups(deps(), SYSTEM_CALLER, { names: ['c', 'a'] }), { status: 409 });
    await assert.rejects(createGroups(deps(), SYSTEM_CALLER, { names: ['c'], users: ['zed'] }), {
      status: 400,
      message: 'No such user: zed',
    });
    await assert.rejects(createGroups(deps(), SYSTEM_CALLER, { names: ['bad/name'] }), { status: 400 });
    assert.equal(await findGroup(db.k, 'c'), undefined, 'nothing written by a refused create');
  });

  test('members and delete change permissions: the cache is invalidated each time', async () => {
    const before = invalidations;
    await changeMembers(deps(), SYSTEM_CALLER, { name: 'a', change: 'add', users: ['ben'] });
    await changeMembers(deps(), SYSTEM_CALLER, { name: 'a', change: 'remove', users: ['ann'] });
    const a = (await findGroup(db.k, 'a'))!;
    assert.deepEqual((await membersOfGroups(db.k, [a.id])).get(a.id), ['ben']);
    await deleteGroup(deps(), SYSTEM_CALLER, { name: 'a' });
    assert.equal(await findGroup(db.k, 'a'), undefined);
    assert.equal(invalidations - before, 3);
    assert.deepEqual(
      events.slice(-3).map((e) => e.action),
      ['group.add_members', 'group.remove_members', 'group.delete'],
    );
    await assert.rejects(deleteGroup(deps(), SYSTEM_CALLER, { name: 'a' }), { status: 404 });
  });
});
