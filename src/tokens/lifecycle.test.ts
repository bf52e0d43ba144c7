// Unit tests of the token lifecycle rules, on an in-memory SQLite database (PostgreSQL under test:pg): expiry at the boundary, token
// ids, the per-user limit, rotation's transaction hook, and caches that a revocation must not be outrun by.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely, KyselyPlugin } from 'kysely';
import pino from 'pino';
import type { Database, Db, TokenRow } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { ActivityRecorder } from '../auth/activity.ts';
import { TokenIdentifier } from '../auth/identify-token.ts';
import { judge } from './judge.ts';
import { Permissions } from '../auth/permissions.ts';
import { PrincipalCache } from '../auth/principal-cache.ts';
import { ensureConfigToken } from '../bootstrap/config-tokens.ts';
import { HubError } from '../errors/index.ts';
import { grantRole, upsertRole } from '../repo/roles.ts';
import { insertUser } from '../repo/users.ts';
import { countActiveApiTokens, listTokens, markRotated } from '../repo/tokens.ts';
import { issueToken, type IssueOptions } from './issue.ts';
import { parseTokenId, presentToken } from './present.ts';

function row(over: Partial<TokenRow> = {}): TokenRow {
  return {
    id: 1,
    hashed: 'sha256:x',
    prefix: 'abcdefgh',
    kind: 'api',
    user_id: 1,
    service_id: null,
    client_id: 'jupyterhub',
    session_id: null,
    note: '',
    scopes: '["inherit"]',
    created: '2026-01-01T00:00:00.000Z',
    expires_at: null,
    last_activity: null,
    last_used_ip: null,
    revoked_at: null,
    rotated_from: null,
    replaced_by: null,
    ...over,
  };
}

test('judge: a token is expired from the very millisecond of expires_at on', () => {
  const at = '2026-05-01T12:00:00.000Z';
  const t = Date.parse(at);
  assert.equal(judge(row({ expires_at: at }), t - 1).ok, true);
  assert.deepEqual(judge(row({ expires_at: at }), t), { ok: false, reason: 'token_expired' });
  assert.deepEqual(judge(row({ expires_at: at }), t + 1), { ok: false, reason: 'token_expired' });
  assert.equal(judge(row(), t).ok, true);
  assert.deepEqual(judge(row({ expires_at: at, replaced_by: 2 }), t), { ok: false, reason: 'token_rotated' });
  assert.equal(judge(row({ expires_at: at, replaced_by: 2 }), t - 1).ok, true, 'within its grace period');
  // revocation wins over everything
  assert.deepEqual(judge(row({ revoked_at: at }), t - 1000), { ok: false, reason: 'token_revoked' });
  assert.deepEqual(judge(row({ revoked_at: at, expires_at: at, replaced_by: 2 }), t), {
    ok: false,
    reason: 'token_revoked',
  });
});

test('token ids: only a<positive integer>', () => {
  assert.equal(parseTokenId('a1'), 1);
  assert.equal(parseTokenId('a123456'), 123456);
  for (const bad of [
    '',
    'a',
    'a0',
    'a01',
    'a-1',
    'b1',
    '1',
    'a1.0',
    'a1e3',
    ' a1',
    'a1 ',
    'A1',
    'a12345678901234567',
  ]) {
    assert.equal(parseTokenId(bad), null, JSON.stringify(bad));
  }
});

test('the model shows the prefix and ids in JupyterHub form, never the hash', () => {
  const m: Record<string, unknown> = presentToken(
    row({ id: 7, rotated_from: 3 }),
    'ann',
    ['read:users!user=ann'],
    'JupyterHub',
  );
  assert.equal(m.id, 'a7');
  assert.equal(m.rotated_from, 'a3');
  assert.equal(m.user, 'ann');
  assert.equal(m.prefix, 'abcdefgh');
  assert.equal(JSON.stringify(m).includes('sha256'), false);
  const svc: Record<string, unknown> = presentToken(row({ user_id: null, service_id: 4 }), 'cull', [], 'JupyterHub');
  assert.equal(svc.service, 'cull');
  assert.equal('user' in svc, false);
});

describe('with a database', () => {
  let db: Db;
  let k: Kysely<Database>;
  let ann: number;
  before(async () => {
    db = await openTestDb();
    k = db.k;
    ann = (await insertUser(k, 'ann', false)).id;
  });
  after(() => db.close());

  const issue = (over: Partial<Parameters<typeof issueToken>[2]> = {}, then?: IssueOptions['inTransaction']) =>
    issueToken(
      k,
      db.kind,
      { owner: { kind: 'user', id: ann }, kind: 'api', note: 'n', scopes: ['inherit'], expiresIn: null, ...over },
      { inTransaction: then },
    );

  test('issued tokens store a digest and a display prefix, never the token', async () => {
    const { token, row: r } = await issue({ expiresIn: 60 });
    assert.match(token, /^tshub_p_[0-9A-Za-z]{42}$/);
    assert.match(r.hashed, /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.prefix, token.slice(6, 20));
    assert.ok(!JSON.stringify(r).includes(token.slice(6)));
    assert.ok(Math.abs(Date.parse(r.expires_at!) - Date.parse(r.created) - 60_000) < 50);
  });

  test('the row an issue returns is the row stored, with and without a transaction', async () => {
    for (const r of [
      (await issue({ expiresIn: 60, note: 'plain' })).row,
      (await issue({ maxActive: 1000, note: 'limited' })).row,
    ]) {
      assert.deepEqual(
        { ...r },
        { ...(await k.selectFrom('api_tokens').selectAll().where('id', '=', r.id).executeTakeFirstOrThrow()) },
      );
    }
  });

  test('the limit counts live personal tokens only, and concurrent issues cannot pass it', async () => {
    const bob = (await insertUser(k, 'bob', false)).id;
    const forBob = (over: Partial<Parameters<typeof issueToken>[2]> = {}) =>
      issueToken(k, db.kind, {
        owner: { kind: 'user', id: bob },
        kind: 'api',
        note: 'n',
        scopes: [],
        expiresIn: null,
        maxActive: 3,
        ...over,
      });
    await forBob({ kind: 'server' });
    await forBob({ kind: 'oauth', clientId: 'service-x' });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => forBob()));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(refused.reason instanceof HubError);
    assert.equal(refused.reason.status, 400);
    assert.match(refused.reason.message, /Revoke one/);
    assert.equal(await countActiveApiTokens(k, bob, new Date().toISOString()), 3);
    // an expired or revoked token frees its place
    const live = await listTokens(
      k,
      { kind: 'user', id: bob },
      { nowIso: new Date().toISOString(), includeInactive: false },
    );
    const personal = live.filter((t) => t.kind === 'api');
    assert.equal(personal.length, 3);
    await k
      .updateTable('api_tokens')
      .set({ expires_at: new Date().toISOString() })
      .where('id', '=', personal[0]!.id)
      .execute();
    await k
      .updateTable('api_tokens')
      .set({ revoked_at: new Date().toISOString() })
      .where('id', '=', personal[1]!.id)
      .execute();
    await forBob();
    await forBob();
    await assert.rejects(forBob(), HubError);
  });

  test('a failing hook undoes the insert; markRotated succeeds once per token', async () => {
    const before = (await k.selectFrom('api_tokens').select('id').execute()).length;
    await assert.rejects(
      issue({}, async () => {
        throw new Error('no');
      }),
      /no/,
    );
    assert.equal((await k.selectFrom('api_tokens').select('id').execute()).length, before);

    const old = await issue();
    const a = await issue();
    const b = await issue();
    const end = new Date(Date.now() + 1000).toISOString();
    assert.equal(await markRotated(k, old.row.id, a.row.id, end), true);
    assert.equal(await markRotated(k, old.row.id, b.row.id, end), false);
    await k.updateTable('api_tokens').set({ revoked_at: end }).where('id', '=', b.row.id).execute();
    assert.equal(await markRotated(k, b.row.id, a.row.id, end), false);
  });

  test('a config token revoked through the API and stored again at the next start works again', async () => {
    const secret = 'ann-config-secret-1';
    const first = await ensureConfigToken(k, { kind: 'user', id: ann }, secret, 'from config');
    assert.equal(
      await ensureConfigToken(k, { kind: 'user', id: ann }, secret, 'from config'),
      first,
      'kept while live',
    );
    await k.updateTable('api_tokens').set({ revoked_at: new Date().toISOString() }).where('id', '=', first).execute();
    assert.deepEqual(await new TokenIdentifier(k, new Permissions()).identify(secret), {
      ok: false,
      reason: 'token_revoked',
    });
    const second = await ensureConfigToken(k, { kind: 'user', id: ann }, secret, 'from config');
    assert.notEqual(second, first);
    const found = await new TokenIdentifier(k, new Permissions()).identify(secret);
    assert.equal(found.ok && found.row.id, second);
  });

  /** A handle whose query results can be held back, to interleave a change with an in-flight lookup. */
  function gated() {
    let gate: Promise<void> | null = null;
    let open = () => {};
    const plugin: KyselyPlugin = {
      transformQuery: ({ node }) => node,
      transformResult: async ({ result }) => {
        if (gate) await gate;
        return result;
      },
    };
    return {
      k: k.withPlugin(plugin),
      hold() {
        gate = new Promise((res) => (open = res));
      },
      release() {
        gate = null;
        open();
      },
    };
  }

  test('a lookup in flight while the token is revoked does not cache the live row', async () => {
    const { token, row: r } = await issue();
    const g = gated();
    const permissions = new Permissions();
    const identifier = new TokenIdentifier(g.k, permissions);
    g.hold();
    const inFlight = identifier.identify(token);
    await new Promise((res) => setTimeout(res, 20));
    // revoked meanwhile (the API revokes, then clears the caches)
    await k.updateTable('api_tokens').set({ revoked_at: new Date().toISOString() }).where('id', '=', r.id).execute();
    permissions.invalidate();
    g.release();
    assert.equal((await inFlight).ok, true, 'the request that started before the revocation');
    assert.deepEqual(await identifier.identify(token), { ok: false, reason: 'token_revoked' });
  });

  test('a principal computed while permissions change is not cached', async () => {
    const { row: r } = await issue({ scopes: ['inherit'] });
    const g = gated();
    const permissions = new Permissions();
    const cache = new PrincipalCache(g.k, permissions);
    g.hold();
    const inFlight = cache.forToken(r);
    await new Promise((res) => setTimeout(res, 20));
    await k.updateTable('users').set({ name: 'ann2' }).where('id', '=', ann).execute();
    permissions.invalidate();
    g.release();
    assert.equal((await inFlight)?.name, 'ann');
    assert.equal((await cache.forToken(r))?.name, 'ann2');
    await k.updateTable('users').set({ name: 'ann' }).where('id', '=', ann).execute();
  });

  test("owners' scopes and roles are cached until permissions change, and follow a rename", async () => {
    const cy = (await insertUser(k, 'cy', false)).id;
    const selfRole = await upsertRole(k, 'cy-self', null, ['self']);
    const adminRole = await upsertRole(k, 'cy-admin', null, ['admin:users']);
    await grantRole(k, 'user', cy, selfRole.id);
    const permissions = new Permissions();
    const cache = new PrincipalCache(k, permissions);
    // Owners' scopes are kept from their second use (CacheOptions.admitOnSecondUse).
    assert.notEqual(await cache.ownerScopes('user', cy, 'cy'), await cache.ownerScopes('user', cy, 'cy'));
    const owner = await cache.ownerScopes('user', cy, 'cy');
    assert.ok(owner.has('read:users!user=cy'));
    assert.equal(await cache.ownerScopes('user', cy, 'cy'), owner, 'the same set, not worked out again');
    assert.ok((await cache.ownerScopes('user', cy, 'cy2')).has('read:users!user=cy2'), 'keyed by name too');
    const { row: r } = await issueToken(k, db.kind, {
      owner: { kind: 'user', id: cy },
      kind: 'api',
      note: 'n',
      scopes: ['inherit'],
      expiresIn: null,
    });
    const p = await cache.forToken(r);
    assert.equal(p?.ownerScopes, owner, "a new token of a known owner reuses the owner's scopes, not worked out again");
    assert.equal(
      await cache.ownerScopes('user', cy, 'cy'),
      p?.ownerScopes,
      "a token's principal brings its owner's scopes along",
    );
    assert.equal((await cache.role('cy-admin'))?.scopes, '["admin:users"]');
    assert.equal(await cache.role('no-such-role'), undefined);
    await grantRole(k, 'user', cy, adminRole.id);
    await upsertRole(k, 'cy-admin', null, ['admin:groups']);
    assert.equal((await cache.ownerScopes('user', cy, 'cy')).has('admin:groups'), false, 'stale until invalidated');
    assert.equal((await cache.forToken(r))?.scopes.has('admin:groups'), false);
    permissions.invalidate();
    assert.equal((await cache.ownerScopes('user', cy, 'cy')).has('admin:groups'), true);
    assert.equal((await cache.forToken(r))?.scopes.has('admin:groups'), true);
    assert.equal((await cache.role('cy-admin'))?.scopes, '["admin:groups"]');
  });

  test('activity: written in batches, at most once per resolution per token and user', async () => {
    const { row: r } = await issue();
    const rec = new ActivityRecorder(k, pino({ level: 'silent' }), 1);
    rec.tokenUsed(r.id, '10.0.0.1', ann);
    rec.tokenUsed(r.id, '10.0.0.2', ann);
    let stored = await k
      .selectFrom('api_tokens')
      .select(['last_activity', 'last_used_ip'])
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.last_activity, null, 'nothing written before the flush');
    await rec.flush();
    stored = await k
      .selectFrom('api_tokens')
      .select(['last_activity', 'last_used_ip'])
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.last_used_ip, '10.0.0.1');
    const user = await k.selectFrom('users').select('last_activity').where('id', '=', ann).executeTakeFirstOrThrow();
    assert.equal(user.last_activity, stored.last_activity);
    await new Promise((res) => setTimeout(res, 1010));
    rec.tokenUsed(r.id, '10.0.0.3', null);
    await rec.stop();
    const later = await k
      .selectFrom('api_tokens')
      .select(['last_activity', 'last_used_ip'])
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    assert.equal(later.last_used_ip, '10.0.0.3');
    assert.ok(later.last_activity! > stored.last_activity!);
  });
});
