// API rate limits end to end on the in-process hub, with small limits so buckets empty quickly. Client
// addresses are told apart with X-Forwarded-For, which the hub believes from loopback (where its proxy is).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildConfig, type ConfigInput } from '../src/config/index.ts';
import { configErrorOf } from '../src/config/test-helpers.ts';
import type { Reply, TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const perSecond = (burst: number) => ({ rate_per_minute: 60, burst });
const plenty = { rate_per_minute: 60_000, burst: 10_000 };

function assertLimited(r: Reply, bucket: string): void {
  assert.equal(r.status, 429, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['message', 'reason', 'status']);
  assert.equal(r.json.status, 429);
  assert.equal(r.json.reason, 'rate_limited');
  assert.match(r.json.message, new RegExp(`"${bucket}"`));
  assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  assert.match(r.headers.get('ratelimit-policy') ?? '', new RegExp(`^"${bucket}";q=\\d+;w=\\d+$`));
  assert.match(r.headers.get('ratelimit') ?? '', new RegExp(`^"${bucket}";r=0;t=\\d+$`));
}

describe('rate limits', () => {
  let h: TestHub;
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  before(async () => {
    h = await startInProcessHub({
      rate_limits: {
        api: perSecond(5),
        user: perSecond(8),
        unauthenticated: perSecond(4),
        token_create: perSecond(3),
        spawn: perSecond(1),
        roles: { admin: { api: plenty, user: plenty, token_create: plenty }, heavy: { api: perSecond(50) } },
      },
      load_roles: [{ name: 'heavy', scopes: ['self'], groups: ['heavy-users'] }],
      authenticator: {
        password: 'shared-secret',
        login_throttle: { max_failures: 100, max_failures_per_ip: 2, window_seconds: 60 },
      },
    });
    await h.addUsers(['ann', 'bob', 'cat', 'dan']);
  });
  after(() => h.stop());

  test('every API response says which bucket is closest to empty, in the IETF draft form', async () => {
    const token = await h.tokenFor('ann');
    const ok = await h.request('GET', 'hub/api/user', { token });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('ratelimit-policy'), '"api";q=5;w=5');
    assert.equal(ok.headers.get('ratelimit'), '"api";r=4;t=1');
    const missing = await h.request('GET', 'hub/api/users/nobody', { token });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('ratelimit'), '"api";r=3;t=2');
    const unknownRoute = await h.request('GET', 'hub/api/no-such-thing', { token });
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.headers.get('ratelimit'), '"api";r=2;t=3');
    const anonymous = await h.request('GET', 'hub/api/user', { token: null, headers: from('127.0.0.9') });
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.headers.get('ratelimit-policy'), '"unauthenticated";q=4;w=4');
    assert.equal(anonymous.headers.get('ratelimit'), '"unauthenticated";r=3;t=1');
    const page = await h.request('GET', 'hub/health', { token });
    assert.equal(page.headers.get('ratelimit'), null, 'only the API is limited');
  });

  test('an empty bucket answers 429 with Retry-After and a JSON body, and refills with time', async () => {
    const token = await h.tokenFor('bob');
    for (let i = 0; i < 5; i++)
      assert.equal((await h.request('GET', 'hub/api/user', { token })).status, 200, `request ${i}`);
    const refused = await h.request('GET', 'hub/api/user', { token });
    assertLimited(refused, 'api');
    assert.equal(refused.headers.get('retry-after'), '1');
    assertLimited(await h.request('GET', 'hub/api/users/bob', { token }), 'api');
    await sleep(1100);
    const again = await h.request('GET', 'hub/api/user', { token });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('ratelimit'), '"api";r=0;t=5');
    // The trip is in the audit log once (not once per refused request), with who tripped which bucket.
    let trips: any[] = [];
    for (let i = 0; i < 40 && trips.length === 0; i++) {
      await sleep(100);
      trips = (await h.request('GET', 'hub/api/audit?action=ratelimit.trip&actor=bob')).json;
    }
    assert.equal(trips.length, 1, JSON.stringify(trips));
    assert.equal(trips[0].outcome, 'denied');
    assert.match(trips[0].reason, /bucket api/);
  });

  test("each token has its own bucket, and all of a user's tokens share the user's", async () => {
    const first = await h.tokenFor('cat');
    const second = await h.tokenFor('cat');
    for (let i = 0; i < 5; i++) assert.equal((await h.request('GET', 'hub/api/user', { token: first })).status, 200);
    assertLimited(await h.request('GET', 'hub/api/user', { token: first }), 'api');
    // The second token still has its own 5, but the user's bucket (8) has only 3 left.
    const shared = await h.request('GET', 'hub/api/user', { token: second });
    assert.equal(shared.status, 200);
    assert.equal(shared.headers.get('ratelimit-policy'), '"user";q=8;w=8');
    assert.equal(shared.headers.get('ratelimit'), '"user";r=2;t=6');
    for (let i = 0; i < 2; i++) assert.equal((await h.request('GET', 'hub/api/user', { token: second })).status, 200);
    assertLimited(await h.request('GET', 'hub/api/user', { token: second }), 'user');
    assert.equal(
      (await h.request('GET', 'hub/api/user', { token: await h.tokenFor('dan') })).status,
      200,
      'other users are not affected',
    );
  });

  test('requests without valid credentials are limited per client address, apart from tokens', async () => {
    const ip = from('127.0.0.2');
    for (let i = 0; i < 2; i++)
      assert.equal((await h.request('GET', 'hub/api/', { token: null, headers: ip })).status, 200);
    // A wrong token is no credential: it counts against the address, which makes guessing tokens slow.
    for (let i = 0; i < 2; i++)
      assert.equal((await h.request('GET', 'hub/api/user', { token: `wrong-${i}`, headers: ip })).status, 403);
    assertLimited(await h.request('GET', 'hub/api/', { token: null, headers: ip }), 'unauthenticated');
    assert.equal(
      (await h.request('GET', 'hub/api/', { token: null, headers: from('127.0.0.3') })).status,
      200,
      'another address',
    );
    const token = await h.tokenFor('dan');
    assert.equal(
      (await h.request('GET', 'hub/api/user', { token, headers: ip })).status,
      200,
      'a token from the same address',
    );
  });

  test('creating and rotating tokens have a stricter bucket of their own', async () => {
    const token = await h.tokenFor('ann', { scopes: ['tokens!user=ann', 'read:users:name!user=ann'] });
    const created = await h.request('POST', 'hub/api/users/ann/tokens', { token, body: {} });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('ratelimit-policy'), '"token_create";q=3;w=3');
    assert.equal(created.headers.get('ratelimit'), '"token_create";r=2;t=1');
    const rotated = await h.request('POST', `hub/api/users/ann/tokens/${created.json.id}/rotate`, { token, body: {} });
    assert.equal(rotated.status, 201, rotated.text);
    assert.equal((await h.request('POST', 'hub/api/users/ann/tokens', { token, body: {} })).status, 201);
    assertLimited(await h.request('POST', 'hub/api/users/ann/tokens', { token, body: {} }), 'token_create');
    assertLimited(
      await h.request('POST', `hub/api/users/ann/tokens/${created.json.id}/rotate`, { token, body: {} }),
      'token_create',
    );
    const other = await h.request('GET', 'hub/api/users/ann/tokens', { token });
    assert.equal(other.status, 200, 'the rest of the API is unaffected');
    assert.equal(other.headers.get('ratelimit-policy'), '"api";q=5;w=5');
  });

  test('starting servers has a stricter bucket of its own', async () => {
    const token = await h.tokenFor('bob');
    const first = await h.request('POST', 'hub/api/users/nobody/server', { token, body: {} });
    assert.equal(first.status, 404, 'counted even when refused for another reason');
    assert.equal(first.headers.get('ratelimit'), '"spawn";r=0;t=1');
    assertLimited(await h.request('POST', 'hub/api/users/nobody/servers/named', { token, body: {} }), 'spawn');
    assert.equal((await h.request('GET', 'hub/api/user', { token })).status, 200);
  });

  test("a role's limits replace the defaults for its holders", async () => {
    // The admin role has 10,000 requests where others have 5 (the setup above already used many).
    for (let i = 0; i < 20; i++) assert.equal((await h.request('GET', 'hub/api/users')).status, 200);
    const r = await h.request('GET', 'hub/api/user');
    assert.equal(r.headers.get('ratelimit-policy'), '"api";q=10000;w=10');
    // Spawn is not overridden for admins: the default applies.
    await h.request('POST', 'hub/api/users/nobody/server', { body: {} });
    assertLimited(await h.request('POST', 'hub/api/users/nobody/server', { body: {} }), 'spawn');
  });

  test('joining a group whose role has limits of its own changes them at once', async () => {
    await h.addUsers(['eli']);
    const token = await h.tokenFor('eli');
    const policy = async () => (await h.request('GET', 'hub/api/user', { token })).headers.get('ratelimit-policy');
    assert.equal(await policy(), '"api";q=5;w=5');
    assert.equal(
      (await h.request('POST', 'hub/api/groups/heavy-users/users', { body: { users: ['eli'] } })).status,
      200,
    );
    assert.equal(await policy(), '"api";q=50;w=50');
  });

  test('failed logins stay limited per address (the login throttle), and count against the address buckets too', async () => {
    const ip = from('127.0.0.4');
    const attempt = (name: string, headers = ip) =>
      h.request('POST', `hub/api/users/${name}/tokens`, {
        token: null,
        headers,
        body: { auth: { username: name, password: 'wrong' } },
      });
    for (const name of ['eve', 'fay']) assert.equal((await attempt(name)).status, 403);
    const throttled = await attempt('gus');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.json.reason, 'too_many_failures');
    // Without credentials, token requests are charged to the address's token creation bucket (3).
    assert.equal(throttled.headers.get('ratelimit'), '"token_create";r=0;t=3');
    assertLimited(await attempt('hal'), 'token_create');
    assert.equal((await attempt('hal', from('127.0.0.5'))).status, 403, 'another address may still try');
  });

  test('trips are counted in /hub/metrics by bucket', async () => {
    const text = (await h.request('GET', 'hub/metrics')).text;
    const count = (bucket: string) =>
      Number(new RegExp(`^tshub_rate_limit_trips_total\\{bucket="${bucket}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    assert.ok(count('api') >= 3, text);
    assert.ok(count('user') >= 1);
    assert.ok(count('unauthenticated') >= 1);
    assert.ok(count('token_create') >= 3);
    assert.ok(count('spawn') >= 2);
    assert.ok(h.logs.some((l) => l.includes('rate limit reached')));
  });
});

describe('rate limits turned off', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({
      rate_limits: { enabled: false, api: perSecond(1), user: perSecond(1), unauthenticated: perSecond(1) },
    });
  });
  after(() => h.stop());

  test('no headers and no 429, however many requests', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await h.request('GET', 'hub/api/user');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('ratelimit'), null);
      assert.equal(r.headers.get('ratelimit-policy'), null);
    }
    for (let i = 0; i < 5; i++) assert.equal((await h.request('GET', 'hub/api/', { token: null })).status, 200);
  });
});

describe('rate_limits configuration', () => {
  const problems = (rate_limits: unknown) => configErrorOf(() => buildConfig({ rate_limits } as ConfigInput));

  test('defaults are on, with stricter token creation and spawn buckets', () => {
    const c = buildConfig({}).rate_limits;
    assert.equal(c.enabled, true);
    assert.ok(c.token_create.rate_per_minute < c.api.rate_per_minute);
    assert.ok(c.spawn.rate_per_minute < c.api.rate_per_minute);
    assert.ok(c.user.burst >= c.api.burst);
    assert.deepEqual(c.roles, {});
  });

  test('bad values are refused with the key that is wrong', async () => {
    assert.match(await problems({ api: { rate_per_minute: 0 } }), /rate_limits\.api\.rate_per_minute/);
    assert.match(await problems({ spawn: { burst: 1.5 } }), /rate_limits\.spawn\.burst/);
    assert.match(await problems({ enabled: 'yes' }), /rate_limits\.enabled/);
    assert.match(await problems({ per_ip: {} }), /rate_limits\.per_ip/);
    assert.match(
      await problems({ roles: { admin: { api: { rate_per_minute: 10 } } } }),
      /rate_limits\.roles\.admin\.api\.burst/,
    );
    assert.match(
      await problems({ roles: { admin: { unauthenticated: { rate_per_minute: 10, burst: 1 } } } }),
      /unauthenticated/,
    );
  });
});
