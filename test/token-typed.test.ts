// Typed tokens end to end (real proxy, a started server): each kind gets its letter and this hub's id, legacy
// tokens keep working, and a token with a bad checksum is refused before any lookup.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { upsertOAuthClient } from '../src/repo/oauth-clients.ts';
import { insertToken } from '../src/repo/tokens.ts';
import { fakeServerCmd, tempDir } from '../src/spawners/test-helpers.ts';
import {
  digestToken,
  displayPrefix,
  findTokens,
  generateToken,
  isWellFormedToken,
  typedParts,
} from '../src/tokens/format.ts';
import { Browser } from './browser-session.ts';
import type { ConfigInput } from '../src/config/index.ts';
import { startHub, type TestHub } from './harness.ts';
import { assertRefused, instrument, userId, whoami } from './token-helpers.ts';

const SECRET = `trusted-${randomBytes(8).toString('hex')}`;
const CALLBACK = '/services/trusted/oauth_callback';

describe('typed tokens', () => {
  let h: TestHub;
  let hubId: string;
  before(async () => {
    h = await startHub({
      services: [{ name: 'trusted', url: 'http://127.0.0.1:9/', oauth_no_confirm: true }],
      load_roles: [{ name: 'service-users', scopes: ['access:services'], users: ['alice'] }],
      slow_spawn_timeout: 20,
      spawner: { cmd: fakeServerCmd(tempDir('tshub-typed-')) },
    } as ConfigInput);
    await upsertOAuthClient(h.hub.ctx.k, {
      identifier: 'service-trusted',
      description: 'Trusted',
      secretHash: digestToken(SECRET),
      redirectUri: CALLBACK,
      allowedScopes: [],
    });
    const row = await h.hub.ctx.k.selectFrom('hub_identity').select('hub_id').executeTakeFirstOrThrow();
    hubId = row.hub_id;
  });
  after(() => h?.stop());

  const assertTyped = (token: string, kind: string) => {
    assert.ok(isWellFormedToken(token), token.slice(0, 12));
    assert.deepEqual(typedParts(token), { kind, hubId });
    assert.match(token, new RegExp(`^tshub_${kind}_${hubId}[0-9A-Za-z]{38}$`));
  };

  test('the hub id is drawn once and stored: 4 base62 characters', () => {
    assert.match(hubId, /^[0-9A-Za-z]{4}$/);
  });

  test('a personal token is tshub_p_<hub id>…, with a display prefix naming its kind and hub', async () => {
    const r = await h.request('POST', 'hub/api/users/alice/tokens', { body: { note: 'typed' } });
    assert.equal(r.status, 201, r.text);
    assertTyped(r.json.token, 'p');
    assert.equal(r.json.prefix, `p_${hubId}${r.json.token.slice(12, 20)}`);
    assert.equal((await whoami(h, r.json.token)).json.name, 'alice');
  });

  test('a service token is tshub_s_…', async () => {
    const r = await h.request('POST', 'hub/api/services/trusted/tokens', { body: { note: 'svc' } });
    assert.equal(r.status, 201, r.text);
    assertTyped(r.json.token, 's');
    const self = await h.request('GET', 'hub/api/tokens/self', { token: r.json.token });
    assert.equal(self.json.type, 'service', self.text);
  });

  test('a started server gets a tshub_v_ token in its environment', async () => {
    const start = await h.request('POST', 'hub/api/users/alice/server');
    assert.ok([201, 202].includes(start.status), start.text);
    const deadline = Date.now() + 30_000;
    let info: any;
    while (Date.now() < deadline) {
      const u = await h.request('GET', 'hub/api/users/alice');
      if (u.json.servers['']?.ready) {
        const res = await fetch(new URL('user/alice/', h.url), {
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        info = await res.json();
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(info, 'the server came up');
    const token = info.env.JUPYTERHUB_API_TOKEN as string;
    assertTyped(token, 'v');
    const self = await h.request('GET', 'hub/api/tokens/self', { token });
    assert.equal(self.json.type, 'server', self.text);
    assert.equal((await h.request('DELETE', 'hub/api/users/alice/server')).status < 300, true);
  });

  test('an OAuth token from the authorization flow is tshub_o_…', async () => {
    const b = new Browser(h);
    await b.login('alice');
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: 'service-trusted',
      redirect_uri: CALLBACK,
      state: 's1',
    });
    const r = await b.get(`hub/api/oauth2/authorize?${q}`);
    assert.equal(r.status, 302, r.text.slice(0, 300));
    const code = new URL(r.location!).searchParams.get('code')!;
    const res = await fetch(new URL('hub/api/oauth2/token', h.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: 'service-trusted',
        client_secret: SECRET,
      }).toString(),
    });
    const body = (await res.json()) as { access_token: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    assertTyped(body.access_token, 'o');
    assert.equal((await whoami(h, body.access_token)).json.name, 'alice');
  });

  test('a legacy tshub_ token made before kinds existed still works', async () => {
    const legacy = generateToken();
    await insertToken(h.hub.ctx.k, {
      hashed: digestToken(legacy),
      prefix: displayPrefix(legacy),
      kind: 'api',
      user_id: await userId(h, 'alice'),
      service_id: null,
      client_id: 'jupyterhub',
      session_id: null,
      note: 'from before',
      scopes: JSON.stringify(['inherit']),
      created: new Date().toISOString(),
      expires_at: null,
      last_activity: null,
      last_used_ip: null,
      revoked_at: null,
      rotated_from: null,
      replaced_by: null,
    });
    assert.equal((await whoami(h, legacy)).json.name, 'alice');
    assert.deepEqual(findTokens(`TOKEN=${legacy}`), [legacy]);
  });

  test('a token with a bad checksum is refused without a database lookup', async () => {
    const made = await h.tokenFor('alice');
    const bad = made.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    const seen = instrument(h);
    try {
      await assertRefused(h, bad, 'token_malformed');
      assert.deepEqual(seen.kinds, [], 'no query');
    } finally {
      seen.restore();
    }
    assert.equal((await whoami(h, made)).status, 200);
  });
});
