// The token policy (tokens.*) binds tokens made before it (issue 20): a hub restarted with a rule refuses
// the existing personal tokens that break it, with the rule's reason, on record once per token; the
// inventory shows them as blocked, and new tokens that would break it are not made.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConfigInput } from '../src/config/index.ts';
import { freshDatabase, type TestDatabase } from '../src/db/test-helpers.ts';
import { digestToken } from '../src/tokens/format.ts';
import { policyBlockedTokens } from '../src/tokens/inventory.ts';
import { tokenPolicyOf } from '../src/tokens/policy.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const DAY = 86_400_000;
const TEN_YEARS = 10 * 365 * 86_400;
const NARROW = (name: string) => ({ scopes: [`read:users!user=${name}`] });

describe('a policy applied to tokens made before it', () => {
  let dir: string;
  let db: TestDatabase;
  const t: Record<string, string> = {};

  /** A hub on the shared database with `tokens` (and roles), for the length of `run`. */
  async function withHub(overrides: ConfigInput, run: (h: TestHub) => Promise<void>): Promise<void> {
    const h = await startInProcessHub({
      db_url: db.url,
      rate_limits: { enabled: false },
      ...overrides,
      tokens: { max_active_per_user: 0, ...overrides.tokens },
    });
    try {
      await run(h);
    } finally {
      await h.stop();
    }
  }
  const age = (h: TestHub, token: string, fields: { created?: number; last_activity?: number }) =>
    h.hub.ctx.k
      .updateTable('api_tokens')
      .set({
        ...(fields.created === undefined ? {} : { created: new Date(Date.now() - fields.created).toISOString() }),
        ...(fields.last_activity === undefined
          ? {}
          : { last_activity: new Date(Date.now() - fields.last_activity).toISOString() }),
      })
      .where('hashed', '=', digestToken(token))
      .execute();
  const status = async (h: TestHub, token: string) => {
    const r = await h.request('GET', 'hub/api/user', { token });
    return r.status === 200 ? 'ok' : `${r.status} ${r.json?.reason}`;
  };
  const policyEvents = async (h: TestHub) =>
    (await h.request('GET', 'hub/api/audit?action=token.policy_refuse')).json as { target: string; reason: string }[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tshub-token-policy-'));
    db = await freshDatabase(dir);
    // Made with no policy in force: what a hub upgraded to one finds.
    await withHub({ load_roles: [{ name: 'contractor', scopes: ['self'], users: ['bob'] }] }, async (h) => {
      await h.addUsers(['ann', 'bob']);
      t.never = await h.tokenFor('ann', NARROW('ann'));
      t.inherit = await h.tokenFor('ann', { expires_in: TEN_YEARS });
      t.old = await h.tokenFor('ann', { ...NARROW('ann'), expires_in: TEN_YEARS });
      t.idle = await h.tokenFor('ann', { ...NARROW('ann'), expires_in: TEN_YEARS });
      t.fresh = await h.tokenFor('ann', { ...NARROW('ann'), expires_in: TEN_YEARS });
      t.bobOld = await h.tokenFor('bob', { ...NARROW('bob'), expires_in: TEN_YEARS });
      for (const token of Object.values(t)) assert.equal(await status(h, token), 'ok');
    });
    // Once that hub has written its last uses: the tokens grow old.
    await withHub({}, async (h) => {
      await age(h, t.old!, { created: 40 * DAY, last_activity: DAY });
      await age(h, t.bobOld!, { created: 40 * DAY, last_activity: DAY });
      await age(h, t.idle!, { created: 20 * DAY, last_activity: 15 * DAY });
    });
  });
  after(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('allow_never_expire: false refuses the never-expiring token, audited once; the others work', async () => {
    await withHub({ tokens: { allow_never_expire: false } }, async (h) => {
      assert.equal(await status(h, t.never!), '403 token_policy_never_expires');
      assert.equal(await status(h, t.never!), '403 token_policy_never_expires');
      for (const k of ['inherit', 'old', 'idle', 'fresh']) assert.equal(await status(h, t[k]!), 'ok', k);
      assert.equal(await status(h, h.adminToken), 'ok', 'config tokens are not personal tokens');
      const events = await policyEvents(h);
      assert.equal(events.length, 1, 'once per token, not per request');
      assert.equal(events[0]!.reason, 'token_policy_never_expires');
      const blocked = await h.request('GET', 'hub/api/tokens?state=blocked');
      assert.deepEqual(
        blocked.json.map((x: { note: string; policy_reason: string }) => x.policy_reason),
        ['token_policy_never_expires'],
      );
      assert.equal((await h.request('GET', 'hub/api/tokens/summary')).json.blocked_by_policy, 1);
      const blocked2 = await policyBlockedTokens(h.hub.ctx.k, tokenPolicyOf(h.hub.ctx.config.tokens));
      assert.deepEqual(blocked2, [{ hashed: digestToken(t.never!), reason: 'token_policy_never_expires' }]);
      const create = await h.request('POST', 'hub/api/users/ann/tokens', { body: NARROW('ann') });
      assert.equal(create.status, 400, create.text);
      assert.equal(create.json.reason, 'token_policy_never_expires');
    });
  });

  test('expires_in_max_seconds refuses tokens older than the maximum, whatever their own expiry', async () => {
    await withHub({ tokens: { expires_in_max_seconds: 30 * 86_400 } }, async (h) => {
      assert.equal(await status(h, t.old!), '403 token_policy_max_lifetime');
      assert.equal(await status(h, t.bobOld!), '403 token_policy_max_lifetime');
      for (const k of ['never', 'inherit', 'idle', 'fresh']) assert.equal(await status(h, t[k]!), 'ok', k);
      const reasons = (await policyEvents(h)).map((e) => e.reason).sort();
      assert.deepEqual(reasons, [
        'token_policy_max_lifetime',
        'token_policy_max_lifetime',
        'token_policy_never_expires',
      ]);
    });
  });

  test('revoke_idle_after_days refuses tokens not used for that long (never used: since made)', async () => {
    await withHub({ tokens: { revoke_idle_after_days: 10 } }, async (h) => {
      // The tests before presented it (a use): idle again, before this hub reads it.
      await age(h, t.idle!, { last_activity: 15 * DAY });
      assert.equal(await status(h, t.idle!), '403 token_policy_idle');
      for (const k of ['never', 'inherit', 'old', 'fresh']) assert.equal(await status(h, t[k]!), 'ok', k);
      const r = await h.request('GET', 'hub/api/tokens?state=blocked&user=ann');
      assert.deepEqual(
        r.json.map((x: { policy_reason: string }) => x.policy_reason),
        ['token_policy_idle'],
      );
    });
  });

  test('forbid_inherit refuses all-permission tokens, existing and new', async () => {
    await withHub({ tokens: { forbid_inherit: true } }, async (h) => {
      assert.equal(await status(h, t.inherit!), '403 token_policy_inherit');
      assert.equal(await status(h, t.fresh!), 'ok');
      const create = await h.request('POST', 'hub/api/users/ann/tokens', { body: { expires_in: 600 } });
      assert.equal(create.status, 400, create.text);
      assert.equal(create.json.reason, 'token_policy_inherit');
      const narrow = await h.request('POST', 'hub/api/users/ann/tokens', {
        body: { ...NARROW('ann'), expires_in: 600 },
      });
      assert.equal(narrow.status, 201, narrow.text);
    });
  });

  test("per-role rules bind the role's holders only: lifetime of existing tokens, and the active-token cap", async () => {
    const roles = { contractor: { expires_in_max_seconds: 30 * 86_400, max_active: 1 } };
    const load_roles = [{ name: 'contractor', scopes: ['self'], users: ['bob'] }];
    await withHub({ load_roles, tokens: { roles } }, async (h) => {
      assert.equal(await status(h, t.bobOld!), '403 token_policy_max_lifetime');
      assert.equal(await status(h, t.old!), 'ok', 'ann is no contractor');
      // bob's active tokens (the refused old one among them) count until they are revoked or expire.
      const create = await h.request('POST', 'hub/api/users/bob/tokens', { body: { expires_in: 600 } });
      assert.equal(create.status, 400, create.text);
      assert.equal(create.json.reason, 'token_limit_reached');
      const tooLong = await h.request('POST', 'hub/api/users/ann/tokens', { body: { expires_in: TEN_YEARS } });
      assert.equal(tooLong.status, 201, 'no cap for ann');
    });
  });

  test('bad policy values are refused at start with the key named', async () => {
    await assert.rejects(
      startInProcessHub({ db_url: db.url, tokens: { revoke_idle_after_days: 0 } }),
      /revoke_idle_after_days/,
    );
    await assert.rejects(
      startInProcessHub({ db_url: db.url, tokens: { roles: { x: { max_active: -1 } } } } as ConfigInput),
      /max_active/,
    );
  });
});
