// The hub-wide token inventory (issue 20) over 10,000 tokens of 1,000 users, on SQLite (or PostgreSQL under
// test:pg): each filter's count against a count made directly, bulk revoke by filter against what requests
// then get, and the refusals of bad filters and of callers without the unfiltered scope.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { type FilledToken, fillInventory } from './token-inventory-fixture.ts';

const DAY = 86_400_000;
const PAGED = { accept: 'application/jupyterhub-pagination+json' };
const SERVICE_TOKEN = 'svc-token-for-the-inventory-test';

interface Stored {
  id: number;
  kind: string;
  note: string;
  scopes: string;
  created: string;
  expires_at: string | null;
  last_activity: string | null;
  revoked_at: string | null;
  replaced_by: number | null;
  user_name: string | null;
  user_admin: number | null;
  service_id: number | null;
}

describe('token inventory: 10,000 tokens of 1,000 users', () => {
  let h: TestHub;
  let filled: FilledToken[];
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();

  before(async () => {
    // Thousands of requests from one address, many with revoked tokens: no rate limit in the way.
    h = await startInProcessHub({
      tokens: { max_active_per_user: 0 },
      rate_limits: { enabled: false },
      services: [{ name: 'svc', api_token: SERVICE_TOKEN }],
      load_roles: [{ name: 'token-auditor', scopes: ['read:tokens'], users: ['auditor'] }],
    });
    filled = await fillInventory(h.hub.ctx.k, { users: 1000, tokens: 10_000, nowMs: now, baseUrl: h.hub.ctx.baseUrl });
  });
  after(() => h?.stop());

  const total = async (query: string) => {
    const r = await h.request('GET', `hub/api/tokens?limit=1&${query}`, { headers: PAGED });
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    return r.json._pagination.total as number;
  };
  const sqlCount = async (where: string) => {
    const r = await sql<{ n: number | string }>`select count(*) as n from api_tokens t
      left join users u on u.id = t.user_id where ${sql.raw(where)}`.execute(h.hub.ctx.k);
    return Number(r.rows[0]!.n);
  };
  const stored = async () =>
    (
      await sql<Stored>`select t.id, t.kind, t.note, t.scopes, t.created, t.expires_at, t.last_activity, t.revoked_at,
        t.replaced_by, u.name as user_name, u.admin as user_admin, t.service_id
        from api_tokens t left join users u on u.id = t.user_id`.execute(h.hub.ctx.k)
    ).rows;

  test('each filter counts what a direct SQL count finds', async () => {
    const n = iso(now);
    const ago = (d: number) => `'${iso(now - d * DAY)}'`;
    const withServer = await sql<{ name: string }>`select u.name from api_tokens t join users u on u.id = t.user_id
      where t.kind = 'server' order by t.id`.execute(h.hub.ctx.k);
    const owner = withServer.rows[0]!.name;
    const ended = `(t.expires_at is not null and t.expires_at <= '${n}')`;
    const cases: [string, string][] = [
      ['', '1 = 1'],
      ['user=u0007', "u.name = 'u0007'"],
      ['kind=server,oauth', "t.kind in ('server', 'oauth')"],
      ['kind=api', "t.kind = 'api'"],
      [`created_before=${iso(now - 100 * DAY)}`, `t.created < ${ago(100)}`],
      [`created_after=${iso(now - 30 * DAY)}`, `t.created > ${ago(30)}`],
      [`last_used_before=${iso(now - 60 * DAY)}`, `t.last_activity < ${ago(60)}`],
      [`last_used_after=${iso(now - 10 * DAY)}`, `t.last_activity > ${ago(10)}`],
      [`expires_before=${iso(now + 7 * DAY)}`, `t.expires_at < '${iso(now + 7 * DAY)}'`],
      [`expires_after=${n}`, `t.expires_at > '${n}'`],
      ['never_expires=true', 't.expires_at is null'],
      ['never_expires=false', 't.expires_at is not null'],
      ['idle_days=90', `coalesce(t.last_activity, t.created) < ${ago(90)}`],
      ['state=revoked', 't.revoked_at is not null'],
      ['state=expired', `t.revoked_at is null and ${ended} and t.replaced_by is null`],
      ['state=rotated', `t.revoked_at is null and ${ended} and t.replaced_by is not null`],
      ['state=active', `t.revoked_at is null and not ${ended}`],
      ['state=expired,rotated', `t.revoked_at is null and ${ended}`],
      [
        `server=${owner}/`,
        `(t.kind = 'server' and t.note = 'Server at /user/${owner}/') or t.client_id = 'jupyterhub-user-${owner}'`,
      ],
      [
        'kind=api&never_expires=true&idle_days=30&state=active',
        `t.kind = 'api' and t.expires_at is null and coalesce(t.last_activity, t.created) < ${ago(30)}
          and t.revoked_at is null`,
      ],
    ];
    for (const [query, where] of cases) {
      const expected = await sqlCount(where);
      assert.ok(expected > 0 || query.startsWith('user='), `${query}: the fixture has matches`);
      assert.equal(await total(query), expected, query);
    }
  });

  test('scope, note and admin_scopes filters count what the stored rows say', async () => {
    const rows = await stored();
    const names = (r: Stored) => (JSON.parse(r.scopes) as string[]).map((s) => s.split('!')[0]);
    const cases: [string, (r: Stored) => boolean][] = [
      ['scope=read:users', (r) => names(r).some((s) => ['read:users', 'users', 'admin:users'].includes(s!))],
      ['scope=admin:servers', (r) => names(r).includes('admin:servers')],
      ['scope=inherit', (r) => names(r).includes('inherit')],
      ['scope=users:activity', (r) => names(r).some((s) => ['users:activity', 'users', 'admin:users'].includes(s!))],
      ['note=CRON', (r) => r.note.toLowerCase().includes('cron')],
      // LIKE's wildcards in a note are literal characters.
      ['note=100%25', (r) => r.note.includes('100%')],
      ['note=grafana_', (r) => r.note.includes('grafana_')],
      ['note=a_a', (r) => r.note.includes('a_a')],
      [
        'admin_scopes=true',
        (r) =>
          names(r).some((s) => s!.startsWith('admin:') || s === 'admin-ui') ||
          (names(r).includes('inherit') && (r.user_admin === 1 || r.service_id !== null)),
      ],
    ];
    for (const [query, match] of cases) assert.equal(await total(query), rows.filter(match).length, query);
  });

  test('a page holds token models with owner and state, and the link to the next', async () => {
    const r = await h.request('GET', 'hub/api/tokens?kind=api&offset=100&limit=50', { headers: PAGED });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.items.length, 50);
    const t = r.json.items[0];
    assert.match(t.id, /^a\d+$/);
    assert.equal(t.kind, 'api_token');
    assert.equal(t.owner.kind, 'user');
    assert.equal(t.owner.name, t.user);
    assert.equal(t.token_kind, 'api');
    assert.ok(['active', 'expired', 'revoked', 'rotated'].includes(t.state));
    assert.ok(Array.isArray(t.scopes));
    assert.equal(r.json._pagination.next.offset, 150);
    const plain = await h.request('GET', 'hub/api/tokens?user=u0010');
    assert.ok(Array.isArray(plain.json), 'without the pagination header: a list, as upstream');
    assert.ok(plain.json.every((x: { owner: { name: string } }) => x.owner.name === 'u0010'));
  });

  test('the hygiene summary counts usable tokens in one answer', async () => {
    const r = await h.request('GET', 'hub/api/tokens/summary');
    assert.equal(r.status, 200, r.text);
    const live = `t.revoked_at is null and (t.expires_at is null or t.expires_at > '${iso(now)}')`;
    assert.equal(r.json.live, await sqlCount(live));
    assert.equal(r.json.never_expires, await sqlCount(`${live} and t.expires_at is null`));
    assert.equal(
      r.json.idle_90_days,
      await sqlCount(`${live} and coalesce(t.last_activity, t.created) < '${iso(now - 90 * DAY)}'`),
    );
    assert.equal(r.json.expiring_7_days, await sqlCount(`${live} and t.expires_at < '${iso(now + 7 * DAY)}'`));
    assert.equal(r.json.blocked_by_policy, 0, 'no policy set');
    assert.ok(r.json.admin_scopes > 0);
  });

  test('bulk revoke by filter: a dry run counts, then every match is refused and the others still work', async () => {
    const filter = { note: 'laptop', kind: 'api' };
    const dry = await h.request('POST', 'hub/api/tokens/revoke', { body: { filter, dry_run: true } });
    assert.equal(dry.status, 200, dry.text);
    const live = `t.revoked_at is null and (t.expires_at is null or t.expires_at > '${iso(Date.now())}')`;
    const expected = await sqlCount(`${live} and t.kind = 'api' and lower(t.note) like '%laptop%'`);
    assert.ok(expected > 100);
    assert.equal(dry.json.matched, expected);
    assert.equal(dry.json.revoked, 0);
    assert.equal(dry.json.ids.length, expected);
    assert.equal(
      await sqlCount(`${live} and t.kind = 'api' and lower(t.note) like '%laptop%'`),
      expected,
      'a dry run revokes nothing',
    );

    const done = await h.request('POST', 'hub/api/tokens/revoke', { body: { filter } });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.json, { revoked: expected, matched: expected, dry_run: false });
    const matched = new Set<string>(dry.json.ids);
    for (const t of filled.filter((f) => matched.has(`a${f.id}`))) {
      const r = await h.request('GET', 'hub/api/user', { token: t.raw });
      assert.equal(r.status, 403, `a${t.id}`);
      assert.equal(r.json.reason, 'token_revoked');
    }
    const stillLive = await sql<{ id: number }>`select t.id from api_tokens t where ${sql.raw(live)}`.execute(
      h.hub.ctx.k,
    );
    const ids = new Set(stillLive.rows.map((r) => Number(r.id)));
    const others = filled.filter((f) => ids.has(f.id));
    assert.ok(others.every((f) => !matched.has(`a${f.id}`)));
    assert.ok(others.length > 1000);
    for (const t of others.filter((_, i) => i % Math.floor(others.length / 200) === 0)) {
      const r = await h.request('GET', 'hub/api/user', { token: t.raw });
      assert.equal(r.status, 200, `a${t.id}: ${r.text}`);
    }
    const audit = await h.request('GET', 'hub/api/audit?action=token.bulk_revoke');
    assert.equal(audit.json[0]?.reason, `${expected} revoked`);
  });

  test('bad filters: 400 naming the filter and what it takes', async () => {
    const cases: [string, RegExp][] = [
      ['idle_days=-1', /^Invalid token filter idle_days: expected a whole number of days/],
      ['idle_days=1.5', /^Invalid token filter idle_days/],
      ['state=bogus', /^Invalid token filter state: expected one or more .*active, expired, revoked, rotated, blocked/],
      ['kind=api,robot', /^Invalid token filter kind/],
      ['created_before=yesterday', /^Invalid token filter created_before: expected an ISO 8601 timestamp/],
      ['never_expires=maybe', /^Invalid token filter never_expires: expected true or false/],
      ['scope=admin:users!user=x', /^Invalid token filter scope: expected a scope name without a filter/],
      ['scope=nonsense', /^Invalid token filter scope/],
      ['server=nouser', /^Invalid token filter server/],
      ['owner=u0001', /^Unknown token filter 'owner'; known filters: user, service, server/],
      ['note=', /^Invalid token filter note: expected a non-empty string/],
    ];
    for (const [query, message] of cases) {
      const r = await h.request('GET', `hub/api/tokens?${query}`);
      assert.equal(r.status, 400, `${query}: ${r.text}`);
      assert.equal(r.json.reason, 'invalid_request');
      assert.match(r.json.message, message, query);
    }
    const posts: [unknown, RegExp][] = [
      [{ filter: {} }, /needs a filter/],
      [{ filter: { user: 'u0001', bogus: 1 } }, /bogus|additional/i],
      [{ filter: { idle_days: 'soon' } }, /^Invalid token filter idle_days/],
      [{ dry_run: true }, /filter/],
    ];
    for (const [body, message] of posts) {
      const r = await h.request('POST', 'hub/api/tokens/revoke', { body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json.message, message);
    }
  });

  test("read:tokens alone lists users' tokens; services' come into view with read:services", async () => {
    const auditor = await h.tokenFor('auditor');
    const seen = async (token: string | undefined, query: string) =>
      (await h.request('GET', `hub/api/tokens?limit=1&${query}`, { token, headers: PAGED })).json._pagination.total;
    assert.equal(await seen(undefined, 'service=svc'), 1, "the admin sees the service's token");
    assert.equal(await seen(auditor, 'service=svc'), 0);
    assert.equal(await seen(auditor, ''), await sqlCount('t.user_id is not null'));
    assert.equal(await seen(undefined, ''), await sqlCount('1 = 1'));
    const r = await h.request('POST', 'hub/api/tokens/revoke', { token: auditor, body: { filter: { user: 'u0001' } } });
    assert.equal(r.status, 403, 'reading is not revoking');
    assert.equal(r.json.required_scopes[0], 'tokens');
  });

  test('only the unfiltered scope sees or revokes the hub-wide inventory', async () => {
    const alive = (await h.request('GET', 'hub/api/tokens?user=u0005&state=active&kind=api')).json as { id: string }[];
    const own = filled.find((f) => f.id === Number(alive[0]!.id.slice(1)))!;
    for (const [method, path, body] of [
      ['GET', 'hub/api/tokens', undefined],
      ['GET', 'hub/api/tokens/summary', undefined],
      ['POST', 'hub/api/tokens/revoke', { filter: { user: 'u0005' } }],
    ] as const) {
      const r = await h.request(method, path, { token: own.raw, body });
      assert.equal(r.status, 403, `${path}: ${r.text}`);
      assert.equal(r.json.reason, 'insufficient_scope');
      assert.match(r.json.message, /for all users \(unfiltered\)/);
    }
    assert.equal((await h.request('GET', 'hub/api/user', { token: own.raw })).status, 200, 'nothing was revoked');
  });
});
