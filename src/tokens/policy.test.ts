// The token policy in its two forms, judged in memory on each request (policy.ts) and as SQL by the
// inventory (policy-sql.ts): over tokens on both sides of every rule, the two agree on each token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildConfig } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { grantRole, roleNamesHeld, upsertRole } from '../repo/roles.ts';
import { insertUser } from '../repo/users.ts';
import { digestToken, displayPrefix, generateToken } from './format.ts';
import { inventoryPage } from './inventory.ts';
import { policyFailure, tokenPolicyOf } from './policy.ts';

const DAY = 86_400_000;
let db: Db;
before(async () => {
  db = await openTestDb();
});
after(() => db.close());

test('authentication and the inventory refuse the same tokens for the same reason', async () => {
  const now = Date.now();
  const ago = (days: number) => new Date(now - days * DAY - 1800_000).toISOString();
  const role = await upsertRole(db.k, 'contractor', null, ['self']);
  const users = [await insertUser(db.k, 'plain', false), await insertUser(db.k, 'hired', false)];
  await grantRole(db.k, 'user', users[1]!.id, role.id);
  const values = [];
  for (const user of users)
    for (const kind of ['api', 'server'])
      for (const created of [1, 20, 45])
        for (const expires of [null, 400])
          for (const used of [null, 0, 12])
            for (const scopes of [['inherit'], ['read:users!user=x']]) {
              const raw = generateToken();
              values.push({
                hashed: digestToken(raw),
                prefix: displayPrefix(raw),
                kind,
                user_id: user.id,
                service_id: null,
                client_id: 'jupyterhub',
                session_id: null,
                note: '',
                scopes: JSON.stringify(scopes),
                created: ago(created),
                expires_at: expires === null ? null : new Date(now + expires * DAY).toISOString(),
                last_activity: used === null ? null : ago(used),
                last_used_ip: null,
                revoked_at: null,
                rotated_from: null,
                replaced_by: null,
              });
            }
  await db.k.insertInto('api_tokens').values(values).execute();
  const policies = [
    { expires_in_max_seconds: 30 * 86_400 },
    { allow_never_expire: false },
    { forbid_inherit: true },
    { revoke_idle_after_days: 10 },
    { roles: { contractor: { expires_in_max_seconds: 10 * 86_400 } } },
    {
      expires_in_max_seconds: 40 * 86_400,
      allow_never_expire: false,
      forbid_inherit: true,
      revoke_idle_after_days: 10,
      roles: { contractor: { expires_in_max_seconds: 10 * 86_400 } },
    },
  ];
  const roles = new Map([
    [users[0]!.id, await roleNamesHeld(db.k, 'user', users[0]!.id)],
    [users[1]!.id, await roleNamesHeld(db.k, 'user', users[1]!.id)],
  ]);
  for (const tokens of policies) {
    const policy = tokenPolicyOf(buildConfig({ tokens }).tokens)!;
    const q = { filter: {}, nowMs: now, policy, baseUrl: '/', withServices: true };
    const { rows } = await inventoryPage(db.k, q, { offset: 0, limit: 1000 });
    assert.equal(rows.length, values.length);
    let refused = 0;
    for (const { row, state, policyReason } of rows) {
      const expected = policyFailure(row, policy, now, roles.get(row.user_id!) ?? []);
      assert.equal(policyReason, expected, `${JSON.stringify(tokens)}: a${row.id} ${JSON.stringify(row)}`);
      assert.equal(state, expected ? 'blocked' : 'active');
      if (expected) refused++;
    }
    assert.ok(refused > 0 && refused < rows.length, `${JSON.stringify(tokens)} refuses some, not all`);
  }
  assert.equal(tokenPolicyOf(buildConfig({}).tokens), null, 'no policy by default: nothing extra per request');
});
