// createServer and modifyServer on an in-memory database with a runtime that reports a given status:
// the rules, the record they leave, and what reaches the audit log.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import pino from 'pino';
import type { AuditEvent } from '../../audit/index.ts';
import { buildConfig } from '../../config/index.ts';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../db/test-helpers.ts';
import { HubError } from '../../errors/index.ts';
import { findSpawner } from '../../repo/spawners.ts';
import { insertUser } from '../../repo/users.ts';
import type { ServerStatus } from '../../servers/manager.ts';
import { SYSTEM_CALLER } from '../deps.ts';
import type { ServerCommandDeps } from './deps.ts';
import { createServer, type ModifyServerInput, modifyServer } from './index.ts';

let db: Db;
let alice: { id: number; name: string };
let events: AuditEvent[];
beforeEach(async () => {
  db = await openTestDb();
  const row = await insertUser(db.k, 'alice', false);
  alice = { id: row.id, name: row.name };
  events = [];
});
afterEach(() => db.close());

function deps(status: ServerStatus = 'stopped', named = true): ServerCommandDeps {
  const unused = () => assert.fail('no start or stop here');
  return {
    k: db.k,
    dbKind: db.kind,
    config: buildConfig({ allow_named_servers: named, named_server_limit_per_user: 2 }),
    log: pino({ level: 'silent' }),
    audit: { record: (e) => void events.push(e) },
    permissions: { invalidate() {} },
    servers: {
      probe: async () => status,
      pendingSpawns: () => 0,
      activeCount: () => 0,
      spawn: unused,
      stop: unused,
      remove: unused,
    },
  };
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; reason: string }> {
  const err = await p.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HubError, String(err));
  return { status: err.status, reason: err.reason };
}

const create = (d: ServerCommandDeps, server: string, displayName: string | null = null) =>
  createServer(d, SYSTEM_CALLER, { user: alice, server, displayName, userOptions: null });

test('create: a stopped record with its display name; taken names, the default server and the limit refused', async () => {
  const row = await create(deps(), 'lab', 'My Lab');
  assert.equal(row.display_name, 'My Lab');
  assert.equal(row.server_url, null);
  assert.equal(row.started, null);
  assert.deepEqual(await refusal(create(deps(), 'lab')), { status: 409, reason: 'conflict' });
  assert.deepEqual(await refusal(create(deps(), '')), { status: 409, reason: 'conflict' });
  assert.deepEqual(await refusal(create(deps('stopped', false), 'other')), {
    status: 400,
    reason: 'named_servers_disabled',
  });
  await create(deps(), 'two');
  assert.deepEqual(await refusal(create(deps(), 'three')), { status: 400, reason: 'named_server_limit' });
  assert.deepEqual(
    events.map((e) => [e.action, e.target?.name]),
    [
      ['server.create', 'alice/lab'],
      ['server.create', 'alice/two'],
    ],
  );
});

test('modify: renames and display names of stopped servers only; a running one is refused', async () => {
  await create(deps(), 'lab');
  const modify = (d: ServerCommandDeps, input: Omit<ModifyServerInput, 'user' | 'server'>, server = 'lab') =>
    modifyServer(d, SYSTEM_CALLER, { user: alice, server, ...input });
  assert.deepEqual(await refusal(modify(deps('running'), { name: 'lab2' })), { status: 400, reason: 'server_active' });
  assert.deepEqual(await refusal(modify(deps('spawn'), { displayName: 'x' })), {
    status: 400,
    reason: 'server_active',
  });
  assert.ok(await findSpawner(db.k, alice.id, 'lab'), 'nothing changed');
  assert.deepEqual(await refusal(modify(deps(), {})), { status: 400, reason: 'invalid_request' });
  const renamed = await modify(deps(), { name: 'lab2' });
  assert.equal(renamed.name, 'lab2');
  assert.equal(renamed.display_name, 'lab2', 'a display name that was the old name follows');
  assert.equal(await findSpawner(db.k, alice.id, 'lab'), undefined);
  const shown = await modify(deps(), { displayName: 'Lab two' }, 'lab2');
  assert.equal(shown.display_name, 'Lab two');
  assert.deepEqual(await refusal(modify(deps(), { name: 'lab2' }, 'lab2')), { status: 409, reason: 'conflict' });
  assert.deepEqual(await refusal(modify(deps(), { displayName: 'x' }, 'nosuch')), { status: 404, reason: 'not_found' });
  assert.deepEqual(
    events.filter((e) => e.action === 'server.modify').map((e) => e.reason),
    ['renamed to alice/lab2', 'display_name changed'],
  );
});
