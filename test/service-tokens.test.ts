// A service's tokens through the API, on the in-process hub: list (the config api_token as kind config),
// create, rotate with grace, revoke, and who may. A managed service restarted on rotation:
// service-tokens-managed.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { assertRefused, tokensPath, whoami } from './token-helpers.ts';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const BOT_TOKEN = 'bot-config-token-0123';

describe('service tokens', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub({
      services: [
        { name: 'bot', api_token: BOT_TOKEN },
        { name: 'other', api_token: 'other-config-token-0123' },
      ],
      load_roles: [
        { name: 'bot-reader', scopes: ['read:users'], services: ['bot'] },
        { name: 'bot-keeper', scopes: ['admin:services!service=bot'], users: ['keeper'] },
      ],
    });
    await h.addUsers(['keeper', 'nobody']);
  });
  after(() => h?.stop());

  const path = (rest = '') => `hub/api/services/bot/tokens${rest}`;

  test('the config api_token is listed as token_kind config, with the service as owner', async () => {
    const r = await h.request('GET', path());
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.api_tokens.length, 1);
    const [t] = r.json.api_tokens;
    assert.equal(t.token_kind, 'config');
    assert.equal(t.service, 'bot');
    assert.equal(t.user, undefined);
    assert.equal(t.token, undefined, 'never the secret');
    assert.ok(t.scopes.includes('read:users'), JSON.stringify(t.scopes));
  });

  test('create, use, rotate with grace (old refused after it), revoke', async () => {
    const made = await h.request('POST', path(), {
      body: { note: 'reporting', expires_in: 3600, scopes: ['read:users'] },
    });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.token_kind, 'api');
    assert.equal(made.json.service, 'bot');
    assert.deepEqual((await whoami(h, made.json.token)).json.name, 'bot');

    const rotated = await h.request('POST', path(`/${made.json.id}/rotate`), { body: { grace_seconds: 1 } });
    assert.equal(rotated.status, 201, rotated.text);
    assert.equal(rotated.json.note, 'reporting');
    assert.equal(rotated.json.rotated_from, made.json.id);
    assert.equal((await whoami(h, made.json.token)).status, 200, 'within grace');
    await sleep(1100);
    await assertRefused(h, made.json.token, 'token_rotated');
    assert.equal((await whoami(h, rotated.json.token)).status, 200);

    const listed = (await h.request('GET', path('?include_inactive=1'))).json;
    assert.ok(listed.api_tokens.some((t: { id: string }) => t.id === rotated.json.id));
    assert.ok(listed.inactive_tokens.some((t: { id: string }) => t.id === made.json.id));
    assert.equal((await h.request('GET', path(`/${made.json.id}`))).status, 404, 'inactive: found only when asked');
    assert.equal((await h.request('GET', path(`/${made.json.id}?include_inactive=1`))).status, 200);

    const del = await h.request('DELETE', path(`/${rotated.json.id}`));
    assert.equal(del.status, 204, del.text);
    await assertRefused(h, rotated.json.token, 'token_revoked');
    assert.equal((await h.request('DELETE', path(`/${rotated.json.id}`))).status, 404);
  });

  test('retire_on_use works for service tokens too', async () => {
    const made = (await h.request('POST', path(), { body: {} })).json;
    const r = await h.request('POST', path(`/${made.id}/rotate`), { body: { retire_on_use: true } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await whoami(h, made.token)).status, 200);
    assert.equal((await whoami(h, r.json.token)).status, 200);
    await assertRefused(h, made.token, 'token_rotated');
  });

  test('the config token is not rotated by request (change it in the file)', async () => {
    const [config] = (await h.request('GET', path())).json.api_tokens.filter(
      (t: { token_kind: string }) => t.token_kind === 'config',
    );
    const r = await h.request('POST', path(`/${config.id}/rotate`));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.reason, 'token_not_rotatable');
    assert.equal((await whoami(h, BOT_TOKEN)).status, 200);
  });

  test('scopes: a service gets no more than it holds; least privilege admin:services!service=bot', async () => {
    const tooMuch = await h.request('POST', path(), { body: { scopes: ['admin:users'] } });
    assert.equal(tooMuch.status, 400, tooMuch.text);
    assert.match(tooMuch.json.message, /not held by service bot/);

    const keeper = (await h.request('POST', tokensPath('keeper'), { body: {} })).json.token;
    assert.equal((await h.request('GET', path(), { token: keeper })).status, 200);
    const mine = await h.request('POST', path(), { token: keeper, body: { scopes: ['read:users'] } });
    assert.equal(mine.status, 201, mine.text);
    assert.equal(mine.json.note, 'Requested via api by user keeper');
    const elsewhere = await h.request('GET', 'hub/api/services/other/tokens', { token: keeper });
    assert.equal(elsewhere.status, 404, elsewhere.text);

    const nobody = (await h.request('POST', tokensPath('nobody'), { body: {} })).json.token;
    for (const [method, p] of [
      ['GET', path()],
      ['POST', path()],
      ['POST', path(`/${mine.json.id}/rotate`)],
      ['DELETE', path(`/${mine.json.id}`)],
    ] as const) {
      const r = await h.request(method, p, { token: nobody, body: method === 'POST' ? {} : undefined });
      assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
      assert.deepEqual(r.json.required_scopes, ['admin:services']);
    }
    assert.equal((await whoami(h, mine.json.token)).status, 200, 'untouched by the refused calls');
  });

  test('bad input: unknown service, malformed ids, another service’s token, bad bodies', async () => {
    assert.equal((await h.request('GET', 'hub/api/services/nope/tokens')).status, 404);
    const others = (await h.request('GET', 'hub/api/services/other/tokens')).json.api_tokens[0].id;
    for (const id of ['x1', 'a0', 'a99999999', others, '..']) {
      const r = await h.request('POST', path(`/${id}/rotate`));
      assert.equal(r.status, 404, `${id}: ${r.text}`);
      assert.equal(r.json.reason, 'not_found');
    }
    for (const body of [{ expires_in: -1 }, { scopes: 'read:users' }, { scopes: ['no-such-scope'] }, { extra: true }]) {
      const r = await h.request('POST', path(), { body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    }
  });
});
