import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { findLiveTokens } from './live-tokens.ts';
import { insertToken, type TokenValues } from './tokens.ts';

// The one query behind the leak intake, the scanner and the expiry notices: which tokens still work, and
// whose they are.

let db: Db;
const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (days: number) => new Date(NOW + days * 86400_000).toISOString();
let ids: Record<string, number> = {};

function token(hashed: string, owner: { user_id: number } | { service_id: number }, t: Partial<TokenValues> = {}) {
  return {
    hashed,
    prefix: hashed.slice(0, 8),
    kind: 'api',
    user_id: null,
    service_id: null,
    client_id: 'jupyterhub',
    session_id: null,
    note: `note ${hashed}`,
    scopes: '["inherit"]',
    created: iso(-10),
    expires_at: null,
    last_activity: null,
    last_used_ip: null,
    revoked_at: null,
    rotated_from: null,
    replaced_by: null,
    ...owner,
    ...t,
  };
}

before(async () => {
  db = await openTestDb();
  const user = await db.k
    .insertInto('users')
    .values({ name: 'ada', admin: 0, created: iso(-20), last_activity: null, auth_state: null, cookie_id: 'c' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const service = await db.k
    .insertInto('services')
    .values({
      name: 'bot',
      admin: 0,
      url: null,
      oauth_client_id: null,
      info: '{}',
      display: 1,
      from_config: 0,
      created: iso(-20),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const u = { user_id: user.id };
  const rows = {
    forever: token('sha256:forever', u),
    soon: token('sha256:soon', u, { expires_at: iso(3) }),
    sooner: token('sha256:sooner', { service_id: service.id }, { expires_at: iso(1) }),
    later: token('sha256:later', u, { expires_at: iso(40) }),
    expired: token('sha256:expired', u, { expires_at: iso(-1) }),
    revoked: token('sha256:revoked', u, { expires_at: iso(2), revoked_at: iso(-1) }),
    replaced: token('sha256:replaced', u, { expires_at: iso(2) }),
    server: token('sha256:server', u, { kind: 'server', expires_at: iso(2) }),
  };
  ids = {};
  for (const [name, values] of Object.entries(rows)) ids[name] = (await insertToken(db.k, values)).id;
  await db.k.updateTable('api_tokens').set({ replaced_by: ids.forever! }).where('id', '=', ids.replaced!).execute();
});
after(() => db.close());

test('by digest: the tokens that still work, of any kind, a rotated one in its grace period included', async () => {
  const hashed = ['forever', 'soon', 'sooner', 'expired', 'revoked', 'replaced', 'server', 'unknown'].map(
    (n) => `sha256:${n}`,
  );
  const found = await findLiveTokens(db.k, { hashed }, iso(0));
  assert.deepEqual(
    found.map((t) => t.id).sort((a, b) => a - b),
    [ids.forever, ids.soon, ids.sooner, ids.replaced, ids.server],
  );
  const sooner = found.find((t) => t.id === ids.sooner)!;
  assert.deepEqual(sooner.owner, { kind: 'service', name: 'bot' });
  assert.equal(sooner.note, 'note sha256:sooner');
  assert.deepEqual(found.find((t) => t.id === ids.soon)!.owner, { kind: 'user', name: 'ada' });
  assert.deepEqual(await findLiveTokens(db.k, { hashed: [] }, iso(0)), []);
});

test('expiring: live API tokens not yet renewed that expire by the horizon, soonest first', async () => {
  const found = await findLiveTokens(db.k, { expiringBy: iso(30) }, iso(0));
  assert.deepEqual(
    found.map((t) => t.id),
    [ids.sooner, ids.soon],
  );
  // Past a token's expiry it is no longer live, and no longer expiring.
  assert.deepEqual(
    (await findLiveTokens(db.k, { expiringBy: iso(30) }, iso(2))).map((t) => t.id),
    [ids.soon],
  );
});
