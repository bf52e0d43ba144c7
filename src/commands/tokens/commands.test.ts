// The token commands on a real database (SQLite in memory, PostgreSQL under test:pg): each one's rules, its
// audit records and its invalidation, with no hub around them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { AuditEvent } from '../../audit/index.ts';
import { buildConfig } from '../../config/index.ts';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../db/test-helpers.ts';
import { HubError } from '../../errors/index.ts';
import { findTokenById } from '../../repo/tokens.ts';
import { insertUser } from '../../repo/users.ts';
import { issueToken } from '../../tokens/issue.ts';
import { SYSTEM_CALLER } from '../deps.ts';
import type { TokenCommandDeps } from './deps.ts';
import { createToken, revokeAllTokens, revokeToken, rotateToken } from './index.ts';

/** Asserts the promise fails with a HubError of this status and reason. */
async function refused(p: Promise<unknown>, status: number, reason: string): Promise<HubError> {
  const err = await p.then(
    () => assert.fail(`expected ${reason}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HubError, String(err));
  assert.equal(err.status, status, err.message);
  assert.equal(err.reason, reason, err.message);
  return err;
}

describe('token commands', () => {
  let db: Db;
  let deps: TokenCommandDeps;
  let events: AuditEvent[];
  let invalidations: number;

  before(async () => {
    db = await openTestDb();
    deps = {
      k: db.k,
      dbKind: db.kind,
      config: buildConfig({ tokens: { max_active_per_user: 2, default_expires_in: 600 } }),
      log: pino({ level: 'silent' }),
      audit: { record: (e) => void events.push(e) },
      permissions: { invalidate: () => void invalidations++ },
      tokenInserts: null,
    };
  });
  after(() => db.close());

  const reset = () => {
    events = [];
    invalidations = 0;
  };
  const userNamed = async (name: string) => {
    const u = await insertUser(db.k, name, false);
    return { id: u.id, name: u.name };
  };
  const create = (user: { id: number; name: string }, expiresIn?: number | null) =>
    createToken(deps, SYSTEM_CALLER, { user, note: 'n', scopes: ['inherit'], expiresIn });
  const hubMade = (user: { id: number }, kind: 'server' | 'oauth', clientId = 'jupyterhub') =>
    issueToken(db.k, db.kind, {
      owner: { kind: 'user', id: user.id },
      kind,
      clientId,
      note: kind,
      scopes: [],
      expiresIn: null,
    });

  test('create: the default lifetime, token.create on record, and the per-user limit', async () => {
    reset();
    const ada = await userNamed('ada');
    const { row } = await create(ada);
    assert.ok(Math.abs(Date.parse(row.expires_at!) - Date.parse(row.created) - 600_000) < 1000);
    assert.deepEqual(
      events.map((e) => [e.action, e.target?.name, e.target?.owner, e.actor?.kind]),
      [['token.create', `a${row.id}`, 'ada', 'system']],
    );
    assert.match(events[0]!.reason!, /^expires 20/);
    await create(ada, null);
    const err = await refused(create(ada), 400, 'token_limit_reached');
    assert.match(err.message, /you already have 2 active tokens \(the maximum is 2\)/);
    await hubMade(ada, 'server');
    assert.equal(events.length, 2, 'a refused create records nothing');
    assert.equal(invalidations, 0, 'nothing cached refers to a new token');
  });

  test('rotate: only a usable personal token not rotated yet; the successor replaces it', async () => {
    reset();
    const bea = await userNamed('bea');
    const server = await hubMade(bea, 'server');
    await refused(
      rotateToken(deps, SYSTEM_CALLER, { user: bea, tokenId: `a${server.row.id}`, graceSeconds: 0 }),
      400,
      'token_not_rotatable',
    );
    await refused(
      rotateToken(deps, SYSTEM_CALLER, { user: bea, tokenId: 'a999999', graceSeconds: 0 }),
      404,
      'not_found',
    );
    const old = await create(bea, 3600);
    const rotated = await rotateToken(deps, SYSTEM_CALLER, { user: bea, tokenId: `a${old.row.id}`, graceSeconds: 30 });
    assert.equal(rotated.row.rotated_from, old.row.id);
    assert.equal(rotated.row.note, 'n');
    const stored = await findTokenById(db.k, old.row.id);
    assert.equal(stored?.replaced_by, rotated.row.id);
    assert.equal(invalidations, 1);
    const rotation = events.find((e) => e.action === 'token.rotate')!;
    assert.equal(rotation.target?.name, `a${old.row.id}`);
    assert.match(rotation.reason!, new RegExp(`^replaced by a${rotated.row.id}; old token works until `));
    await refused(
      rotateToken(deps, SYSTEM_CALLER, { user: bea, tokenId: `a${old.row.id}`, graceSeconds: 0 }),
      400,
      'token_rotated',
    );
    await revokeToken(deps, SYSTEM_CALLER, { user: bea, tokenId: `a${rotated.row.id}` });
    await refused(
      rotateToken(deps, SYSTEM_CALLER, { user: bea, tokenId: `a${rotated.row.id}`, graceSeconds: 0 }),
      400,
      'token_revoked',
    );
  });

  test("revoke: one token, or all of an OAuth client's for the user; revoke-all spares the servers' own", async () => {
    reset();
    const cy = await userNamed('cy');
    const [o1, o2, other] = [
      await hubMade(cy, 'oauth', 'service-x'),
      await hubMade(cy, 'oauth', 'service-x'),
      await hubMade(cy, 'oauth', 'service-y'),
    ];
    const ids = await revokeToken(deps, SYSTEM_CALLER, { user: cy, tokenId: `a${o1.row.id}` });
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      [o1.row.id, o2.row.id].sort((a, b) => a - b),
    );
    assert.deepEqual(
      events.map((e) => [e.target?.name, e.reason]),
      ids.map((id) => [`a${id}`, id === o1.row.id ? null : `same OAuth client as a${o1.row.id}`]),
    );
    assert.equal(invalidations, 1);
    await refused(revokeToken(deps, SYSTEM_CALLER, { user: cy, tokenId: `a${o2.row.id}` }), 404, 'not_found');

    reset();
    const server = await hubMade(cy, 'server');
    const personal = await create(cy);
    events = [];
    assert.equal(await revokeAllTokens(deps, SYSTEM_CALLER, { user: cy }), 2);
    assert.deepEqual(events.map((e) => e.target?.name).sort(), [`a${other.row.id}`, `a${personal.row.id}`].sort());
    assert.ok(events.every((e) => e.reason === 'all tokens of the user revoked'));
    assert.equal((await findTokenById(db.k, server.row.id))?.revoked_at, null);
  });
});
