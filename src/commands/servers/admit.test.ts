// Server admission and the start/stop/remove commands against a fake runtime on an in-memory database:
// which refusal comes when, with JupyterHub's messages, and what reaches the runtime.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { SYSTEM } from '../../audit/index.ts';
import { buildConfig, type ConfigInput } from '../../config/index.ts';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../db/test-helpers.ts';
import { HubError } from '../../errors/index.ts';
import { getOrCreateSpawner } from '../../repo/spawners.ts';
import { insertUser } from '../../repo/users.ts';
import type { ServerStatus } from '../../servers/manager.ts';
import { SYSTEM_CALLER } from '../deps.ts';
import type { ServerCommandDeps, ServerRuntime } from './deps.ts';
import { removeServer, startServer, stopServer } from './index.ts';

let db: Db;
let alice: { id: number; name: string };

beforeEach(async () => {
  db = await openTestDb();
  const row = await insertUser(db.k, 'alice', false);
  alice = { id: row.id, name: row.name };
});
afterEach(() => db.close());

/** A runtime that records calls and reports the given status and counts. */
function fakeRuntime(status: ServerStatus = 'stopped', counts = { pending: 0, active: 0 }) {
  const calls: string[] = [];
  const runtime: ServerRuntime = {
    probe: async () => status,
    pendingSpawns: () => counts.pending,
    activeCount: () => counts.active,
    spawn: async (user, server) => {
      calls.push(`spawn ${user.name}/${server}`);
      return 'ready';
    },
    stop: async (user, server) => {
      calls.push(`stop ${user.name}/${server}`);
      return 'stopped';
    },
    remove: async (user, server) => {
      calls.push(`remove ${user.name}/${server}`);
    },
  };
  return { runtime, calls };
}

function depsWith(runtime: ServerRuntime, config: ConfigInput = {}): ServerCommandDeps {
  return {
    k: db.k,
    dbKind: db.kind,
    config: buildConfig(config),
    log: pino({ level: 'silent' }),
    audit: { record() {} },
    permissions: { invalidate() {} },
    servers: runtime,
  };
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string; reason: string }> {
  const err = await p.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HubError, String(err));
  return { status: err.status, message: err.message, reason: err.reason };
}

const start = (deps: ServerCommandDeps, server = '') =>
  startServer(deps, SYSTEM_CALLER, { user: alice, server, userOptions: null });

describe('server admission', () => {
  test('a stopped default server starts; the origin reaches the runtime', async () => {
    let origin: unknown;
    const { runtime, calls } = fakeRuntime();
    runtime.spawn = async (user, server, opts) => {
      calls.push(`spawn ${user.name}/${server}`);
      origin = opts.origin;
      return 'pending';
    };
    assert.equal(await start(depsWith(runtime)), 'pending');
    assert.deepEqual(calls, ['spawn alice/']);
    assert.deepEqual(origin, SYSTEM);
  });

  test('running, stopping and starting servers', async () => {
    assert.deepEqual(await refusal(start(depsWith(fakeRuntime('running').runtime))), {
      status: 400,
      message: 'alice is already running',
      reason: 'server_running',
    });
    assert.deepEqual(await refusal(start(depsWith(fakeRuntime('stop').runtime))), {
      status: 400,
      message: 'alice is pending stop',
      reason: 'server_pending',
    });
    const { runtime, calls } = fakeRuntime('spawn');
    assert.equal(await start(depsWith(runtime)), 'pending', 'a start in flight is answered as pending');
    assert.deepEqual(calls, []);
  });

  test('global limits', async () => {
    const spawning = depsWith(fakeRuntime('stopped', { pending: 2, active: 2 }).runtime, {
      concurrent_spawn_limit: 2,
    });
    const busy = await refusal(start(spawning));
    assert.equal(busy.status, 429);
    assert.equal(busy.reason, 'spawn_limit');
    const full = depsWith(fakeRuntime('stopped', { pending: 0, active: 3 }).runtime, { active_server_limit: 3 });
    assert.deepEqual(await refusal(start(full)), {
      status: 429,
      message: 'Active user limit exceeded. Try again in a few minutes.',
      reason: 'active_server_limit',
    });
  });

  test('named servers: disabled, limit, invalid names; an existing one is not counted again', async () => {
    const off = depsWith(fakeRuntime().runtime);
    assert.deepEqual(await refusal(start(off, 'lab')), {
      status: 400,
      message: 'Named servers are not enabled.',
      reason: 'named_servers_disabled',
    });
    const { runtime, calls } = fakeRuntime();
    const on = depsWith(runtime, { allow_named_servers: true, named_server_limit_per_user: 1 });
    assert.deepEqual(await refusal(start(on, 'Bad--Name')), {
      status: 400,
      message: "Invalid server_name: 'Bad--Name'",
      reason: 'invalid_server_name',
    });
    await getOrCreateSpawner(db.k, alice.id, 'lab');
    assert.equal(await start(on, 'lab'), 'ready');
    assert.deepEqual(await refusal(start(on, 'two')), {
      status: 400,
      message:
        'User alice already has the maximum of 1 named servers.  One must be deleted before a new server can be created',
      reason: 'named_server_limit',
    });
    assert.equal(await start(on), 'ready', 'the default server is not a named one');
    assert.deepEqual(calls, ['spawn alice/lab', 'spawn alice/']);
  });

  test('stop and remove', async () => {
    const { runtime, calls } = fakeRuntime('running');
    const deps = depsWith(runtime, { allow_named_servers: true });
    const ref = (server: string) => ({ user: alice, server });
    assert.equal(await stopServer(deps, SYSTEM_CALLER, ref('')), 'stopped');
    assert.deepEqual(await refusal(removeServer(deps, SYSTEM_CALLER, ref(''))), {
      status: 400,
      message: 'Cannot delete the default server',
      reason: 'invalid_request',
    });
    assert.deepEqual(await refusal(stopServer(deps, SYSTEM_CALLER, ref('nosuch'))), {
      status: 404,
      message: "alice has no server named 'nosuch'",
      reason: 'not_found',
    });
    await getOrCreateSpawner(db.k, alice.id, 'lab');
    assert.equal(await removeServer(deps, SYSTEM_CALLER, ref('lab')), 'stopped');
    assert.deepEqual(calls, ['stop alice/', 'stop alice/lab', 'remove alice/lab']);
    const off = depsWith(runtime);
    assert.equal((await refusal(stopServer(off, SYSTEM_CALLER, ref('lab')))).reason, 'named_servers_disabled');
  });
});
