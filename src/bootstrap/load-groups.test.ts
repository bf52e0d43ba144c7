// load_groups at start-up on a real (in-memory) database: groups and users created, members only added,
// properties replaced, nothing written again on a restart with the same config, bad entries refused.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import pino from 'pino';
import type { AuditEvent } from '../audit/index.ts';
import { buildConfig, type ConfigInput } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { findGroup, membersOfGroups } from '../repo/groups.ts';
import { findUser } from '../repo/users.ts';
import { applyConfig, StartupError } from './index.ts';

let db: Db;
let events: AuditEvent[] = [];
const silent = pino({ level: 'silent' });
const apply = (input: ConfigInput) =>
  applyConfig(db.k, buildConfig(input), silent, { record: (e) => void events.push(e) }, db.kind);

beforeEach(async () => {
  db = await openTestDb();
  events = [];
});
afterEach(() => db.close());

async function members(name: string): Promise<string[]> {
  const g = (await findGroup(db.k, name))!;
  return (await membersOfGroups(db.k, [g.id])).get(g.id) ?? [];
}

test('groups, members and properties are created; a restart with the same config writes nothing', async () => {
  const config: ConfigInput = {
    load_groups: {
      physics: { users: ['Ann', 'ben'], properties: { course: 'phy101' } },
      old: ['cat'],
    },
  };
  await apply(config);
  assert.deepEqual(await members('physics'), ['ann', 'ben']);
  assert.deepEqual(JSON.parse((await findGroup(db.k, 'physics'))!.properties), { course: 'phy101' });
  assert.deepEqual(await members('old'), ['cat']);
  assert.ok(await findUser(db.k, 'cat'), 'a member that did not exist is created');
  const created = events.filter((e) => e.action === 'user.create').map((e) => e.reason);
  assert.deepEqual(created, ['group: physics', 'group: physics', 'group: old']);
  events = [];
  await apply(config);
  assert.deepEqual(
    events.filter((e) => e.action.startsWith('group.') || e.action.startsWith('user.')),
    [],
  );
});

test('members are only added and properties replaced when given', async () => {
  await apply({ load_groups: { physics: { users: ['ann'], properties: { a: 1 } } } });
  await apply({ load_groups: { physics: { users: ['ben'] } } });
  assert.deepEqual(await members('physics'), ['ann', 'ben'], 'ann stays: load_groups never removes');
  assert.deepEqual(JSON.parse((await findGroup(db.k, 'physics'))!.properties), { a: 1 });
  await apply({ load_groups: { physics: { properties: { b: 2 } } } });
  assert.deepEqual(JSON.parse((await findGroup(db.k, 'physics'))!.properties), { b: 2 });
});

test('bad names and manage_groups stop the start', async () => {
  await assert.rejects(apply({ load_groups: { 'bad/name': {} } }), StartupError);
  await assert.rejects(apply({ load_groups: { ok: { users: ['bad/user'] } } }), StartupError);
  await assert.rejects(
    apply({ load_groups: { ok: {} }, authenticator: { manage_groups: true } }),
    /load_groups cannot be used when the authenticator manages groups/,
  );
});

test('extra_user_scopes widen the user role; an unknown scope stops the start', async () => {
  await apply({ extra_user_scopes: ['access:services'] });
  const role = await db.k.selectFrom('roles').select('scopes').where('name', '=', 'user').executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(role.scopes), ['self', 'access:services']);
  await assert.rejects(apply({ extra_user_scopes: ['no:such'] }), /extra_user_scopes: scope 'no:such' does not exist/);
});
