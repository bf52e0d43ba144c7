import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { digestToken } from '../tokens/format.ts';
import { type IssueRequest, issueToken } from '../tokens/issue.ts';
import { findLiveTokens } from './live-tokens.ts';

// The one query behind the leak intake, the scanner and the expiry notices: which tokens still work, and
// whose they are.

let db: Db;
const DAY = 86400;
const NOW = Date.now();
const iso = (days: number) => new Date(NOW + days * DAY * 1000).toISOString();
const ids: Record<string, number> = {};
const digests: Record<string, string> = {};

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
  const ada = { kind: 'user', id: user.id } as const;
  const made: Record<string, Pick<IssueRequest, 'owner' | 'expiresIn'> & { kind?: IssueRequest['kind'] }> = {
    forever: { owner: ada, expiresIn: null },
    soon: { owner: ada, expiresIn: 3 * DAY },
    sooner: { owner: { kind: 'service', id: service.id }, expiresIn: DAY },
    later: { owner: ada, expiresIn: 40 * DAY },
    expired: { owner: ada, expiresIn: 2 * DAY },
    revoked: { owner: ada, expiresIn: 2 * DAY },
    replaced: { owner: ada, expiresIn: 2 * DAY },
    server: { owner: ada, expiresIn: 2 * DAY, kind: 'server' },
  };
  for (const [name, req] of Object.entries(made)) {
    const { token, row } = await issueToken(db.k, db.kind, { kind: 'api', note: name, scopes: [], ...req });
    ids[name] = row.id;
    digests[name] = digestToken(token);
  }
  const set = (name: string, values: { expires_at?: string; revoked_at?: string; replaced_by?: number }) =>
    db.k.updateTable('api_tokens').set(values).where('id', '=', ids[name]!).execute();
  await set('expired', { expires_at: iso(-1) });
  await set('revoked', { revoked_at: iso(-1) });
  await set('replaced', { replaced_by: ids.forever! });
});
after(() => db.close());

test('by digest: the tokens that still work, of any kind, a rotated one in its grace period included', async () => {
  const names = ['forever', 'soon', 'sooner', 'expired', 'revoked', 'replaced', 'server'];
  const hashed = [...names.map((n) => digests[n]!), 'sha256:unknown'];
  const found = await findLiveTokens(db.k, { hashed }, iso(0));
  assert.deepEqual(
    found.map((t) => t.id).sort((a, b) => a - b),
    [ids.forever, ids.soon, ids.sooner, ids.replaced, ids.server],
  );
  const sooner = found.find((t) => t.id === ids.sooner)!;
  assert.deepEqual(sooner.owner, { kind: 'service', name: 'bot' });
  assert.equal(sooner.note, 'sooner');
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
