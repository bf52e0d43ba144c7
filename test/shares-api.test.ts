// JupyterHub 5's sharing API on the in-process hub: every operation of rest-api.yml's shares and share
// codes with upstream's bodies, statuses and keys, the scopes that guard them, the refusals, and the
// effect that matters: a share is in the shared user's scopes at once, and gone at once when revoked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const PAGINATION = { accept: 'application/jupyterhub-pagination+json' };
const ACCESS = 'access:servers!server=alice/';
const SERVER_KEYS = ['name', 'ready', 'url', 'user', 'full_url'].sort();
const SHARE_KEYS = ['created_at', 'group', 'kind', 'scopes', 'server', 'user'];
const CODE_KEYS = ['created_at', 'exchange_count', 'expires_at', 'id', 'last_exchanged_at', 'scopes', 'server'];

describe('sharing API', () => {
  let h: TestHub;
  const tok: Record<string, string> = {};
  const as = (who: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    h.request(method, `hub/api/${path}`, { token: tok[who]!, body, headers });
  const scopesOf = async (who: string): Promise<string[]> => (await as(who, 'GET', 'user')).json.scopes;

  before(async () => {
    h = await startInProcessHub(
      {
        allow_named_servers: true,
        load_roles: [
          // upstream's documented way to let users share: shares of their own servers, and others' names
          {
            name: 'sharers',
            scopes: ['shares!user', 'read:users:name', 'read:groups:name'],
            users: ['alice', 'bob', 'carol'],
          },
          { name: 'blind-sharers', scopes: ['shares!user'], users: ['erin'] },
        ],
      },
      { listen: true },
    );
    await h.addUsers(['alice', 'bob', 'carol', 'dave', 'erin']);
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) tok[u] = await h.tokenFor(u);
    assert.equal((await h.request('POST', 'hub/api/groups/team', { body: { users: ['carol'] } })).status, 201);
  });
  after(() => h?.stop());

  test('POST /shares/{user}/{server} with {user} → 200 Share; the user holds access at once', async () => {
    assert.ok(!(await scopesOf('bob')).includes(ACCESS));
    const r = await as('alice', 'POST', 'shares/alice/', { user: 'bob' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json).sort(), SHARE_KEYS);
    assert.deepEqual(Object.keys(r.json.server).sort(), SERVER_KEYS);
    assert.deepEqual(r.json.server, {
      user: { name: 'alice' },
      name: '',
      url: '/user/alice/',
      full_url: null,
      ready: false,
    });
    assert.deepEqual(r.json.scopes, [ACCESS]);
    assert.deepEqual(r.json.user, { name: 'bob' });
    assert.equal(r.json.group, null);
    assert.equal(r.json.kind, 'user');
    assert.ok(!Number.isNaN(Date.parse(r.json.created_at)));
    assert.ok((await scopesOf('bob')).includes(ACCESS), 'the share is in bob scopes on his next request');
    // granting again changes nothing and answers the same share
    const again = await as('alice', 'POST', 'shares/alice/', { user: 'bob', scopes: [ACCESS] });
    assert.equal(again.status, 200);
    assert.equal(again.json.created_at, r.json.created_at);
  });

  test('POST with {group}: every member holds access; GET /groups/{name}/shared lists it', async () => {
    const r = await as('alice', 'POST', 'shares/alice/', { group: 'team', scopes: ['access:servers'] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.kind, 'group');
    assert.deepEqual(r.json.group, { name: 'team' });
    assert.equal(r.json.user, null);
    assert.deepEqual(r.json.scopes, [ACCESS], 'an unfiltered scope gets the server filter');
    assert.ok((await scopesOf('carol')).includes(ACCESS));
    const g = await h.request('GET', 'hub/api/groups/team/shared');
    assert.equal(g.status, 200);
    assert.deepEqual(
      g.json.map((s: any) => s.group.name),
      ['team'],
    );
    const one = await h.request('GET', 'hub/api/groups/team/shared/alice/');
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, r.json);
    // a user's own listing covers its groups' shares
    const carol = await as('carol', 'GET', 'users/carol/shared');
    assert.equal(carol.status, 200);
    assert.deepEqual(
      carol.json.map((s: any) => s.kind),
      ['group'],
    );
  });

  test('GET /shares/{user} and /shares/{user}/{server}: lists, with the pagination envelope when asked', async () => {
    const all = await as('alice', 'GET', 'shares/alice');
    assert.equal(all.status, 200);
    assert.equal(all.json.length, 2);
    const server = await as('alice', 'GET', 'shares/alice/');
    assert.deepEqual(server.json, all.json);
    const page = await as('alice', 'GET', 'shares/alice?limit=1', undefined, PAGINATION);
    assert.equal(page.status, 200);
    assert.equal(page.json.items.length, 1);
    assert.equal(page.json._pagination.total, 2);
    assert.equal(page.json._pagination.next.offset, 1);
    // another user's list needs read:shares on them (everyone holds it on themselves): 404
    assert.equal((await as('bob', 'GET', 'shares/alice')).status, 404);
    assert.equal((await as('dave', 'GET', 'shares/alice')).status, 404);
    const named = await as('alice', 'GET', 'shares/alice/nope');
    assert.equal(named.status, 404);
    assert.equal(named.json.message, 'No such server: alice/nope');
  });

  test('GET /users/{name}/shared and …/shared/{owner}/{server}', async () => {
    const r = await as('bob', 'GET', 'users/bob/shared', undefined, PAGINATION);
    assert.equal(r.status, 200);
    assert.equal(r.json._pagination.total, 1);
    assert.deepEqual(r.json.items[0].server.user, { name: 'alice' });
    const one = await as('bob', 'GET', 'users/bob/shared/alice/');
    assert.equal(one.status, 200);
    assert.deepEqual(Object.keys(one.json).sort(), SHARE_KEYS);
    const none = await as('bob', 'GET', 'users/bob/shared/carol/');
    assert.equal(none.status, 404);
    assert.equal(none.json.message, 'No such share for user bob on carol/');
    assert.equal((await as('bob', 'GET', 'users/carol/shared')).status, 404, "not bob's to read");
  });

  test('refusals: no `shares` → 403; not your server → 404; bad bodies → 400', async () => {
    const dave = await as('dave', 'POST', 'shares/dave/', { user: 'bob' });
    assert.equal(dave.status, 403, dave.text);
    assert.equal(dave.json.reason, 'insufficient_scope');
    const theirs = await as('alice', 'POST', 'shares/bob/', { user: 'carol' });
    assert.equal(theirs.status, 404);
    const bad: [unknown, RegExp][] = [
      [{ user: 'bob', group: 'team' }, /exactly one of `user` or `group`/],
      [{}, /exactly one of `user` or `group`/],
      [{ user: 'zed' }, /No such user: zed/],
      [{ group: 'nogroup' }, /No such group: nogroup/],
      [{ user: 'bob', scopes: ['read:users'] }, /cannot be shared/],
      [{ user: 'bob', scopes: ['access:servers!server=bob/'] }, /not allowed on sharing/],
      [{ user: 'bob', scopes: ['access:servers!user=alice'] }, /not allowed on sharing/],
      [{ user: 'bob', scopes: ['admin:users'] }, /cannot be shared/],
      [{ user: 'bob', extra: 1 }, /./],
      [{ user: 7 }, /./],
    ];
    for (const [body, message] of bad) {
      const r = await as('alice', 'POST', 'shares/alice/', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json.message, message, JSON.stringify(body));
    }
    assert.equal(
      (await as('alice', 'POST', 'shares/alice/', { user: 'bob', scopes: ['read:users'] })).json.reason,
      'share_scope_invalid',
    );
    const missing = await as('alice', 'POST', 'shares/alice/nope', { user: 'bob' });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'No such server: alice/nope');
    assert.equal((await as('alice', 'POST', 'shares/alice', { user: 'bob' })).status, 405);
    // a user allowed to share but not to see names cannot name the target
    const blind = await as('erin', 'POST', 'shares/erin/', { user: 'bob' });
    assert.equal(blind.status, 403);
    assert.equal(blind.json.message, "Need scope 'read:users:name' to share with users by name");
  });

  test('PATCH /shares/{user}/{server} takes scopes away ({} when the share goes); revoking takes effect at once', async () => {
    const unknown = await as('alice', 'PATCH', 'shares/alice/', { user: 'zed' });
    assert.equal(unknown.status, 200);
    assert.deepEqual(unknown.json, {});
    const other = await as('alice', 'PATCH', 'shares/alice/', {
      user: 'bob',
      scopes: ['access:servers!server=alice/'],
    });
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(other.json, {});
    assert.ok(!(await scopesOf('bob')).includes(ACCESS), 'revoked on the next request');
    assert.equal((await as('bob', 'GET', 'users/bob/shared/alice/')).status, 404);
  });

  test('DELETE /users/{name}/shared/{owner}/{server}: a user gives a share up', async () => {
    await as('alice', 'POST', 'shares/alice/', { user: 'bob' });
    const r = await as('bob', 'DELETE', 'users/bob/shared/alice/');
    assert.equal(r.status, 204);
    assert.ok(!(await scopesOf('bob')).includes(ACCESS));
    assert.equal((await as('bob', 'DELETE', 'users/bob/shared/alice/')).status, 404);
  });

  test('DELETE /groups/{name}/shared/{owner}/{server} and DELETE /shares/{user}/{server}', async () => {
    const g = await h.request('DELETE', 'hub/api/groups/team/shared/alice/');
    assert.equal(g.status, 204);
    assert.ok(!(await scopesOf('carol')).includes(ACCESS));
    await as('alice', 'POST', 'shares/alice/', { user: 'bob' });
    await as('alice', 'POST', 'shares/alice/', { user: 'carol' });
    const all = await as('alice', 'DELETE', 'shares/alice/');
    assert.equal(all.status, 204);
    assert.deepEqual((await as('alice', 'GET', 'shares/alice')).json, []);
    assert.ok(!(await scopesOf('bob')).includes(ACCESS));
  });

  test('share codes: POST (code shown once), GET, DELETE by id, by code and all; expires_in bounds', async () => {
    const r = await as('alice', 'POST', 'share-codes/alice/', { expires_in: 3600 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json).sort(), [...CODE_KEYS, 'accept_url', 'code', 'full_accept_url'].sort());
    assert.match(r.json.id, /^sc_\d+$/);
    assert.equal(r.json.accept_url, `/hub/accept-share?code=${encodeURIComponent(r.json.code)}`);
    assert.equal(r.json.full_accept_url, null);
    assert.equal(r.json.exchange_count, 0);
    assert.equal(r.json.last_exchanged_at, null);
    assert.deepEqual(r.json.scopes, [ACCESS]);
    const lifetime = Date.parse(r.json.expires_at) - Date.parse(r.json.created_at);
    assert.ok(Math.abs(lifetime - 3600_000) < 5_000, String(lifetime));
    const byDefault = await as('alice', 'POST', 'share-codes/alice/');
    assert.equal(byDefault.status, 200);
    const day = Date.parse(byDefault.json.expires_at) - Date.parse(byDefault.json.created_at);
    assert.ok(Math.abs(day - 86_400_000) < 5_000, String(day));

    const list = await as('alice', 'GET', 'share-codes/alice');
    assert.equal(list.status, 200);
    assert.equal(list.json.length, 2);
    for (const c of list.json) assert.deepEqual(Object.keys(c).sort(), CODE_KEYS, 'never the code again');
    const page = await as('alice', 'GET', 'share-codes/alice/?limit=1', undefined, PAGINATION);
    assert.equal(page.json._pagination.total, 2);
    const stored = await h.hub.ctx.k.selectFrom('share_codes').select('hashed').execute();
    assert.ok(
      stored.every((s) => !s.hashed.includes(r.json.code)),
      'only digests are stored',
    );

    for (const expires_in of [59, 365 * 24 * 3600 + 1, 'soon', -1]) {
      const bad = await as('alice', 'POST', 'share-codes/alice/', { expires_in });
      assert.equal(bad.status, 400, `${expires_in}: ${bad.text}`);
    }
    assert.equal((await as('alice', 'POST', 'share-codes/alice/', { scopes: ['read:users'] })).status, 400);
    assert.equal((await as('dave', 'POST', 'share-codes/dave/')).status, 403);
    assert.equal((await as('alice', 'POST', 'share-codes/bob/')).status, 404);
    assert.equal((await as('alice', 'POST', 'share-codes/alice')).status, 405);

    assert.equal((await as('alice', 'DELETE', 'share-codes/alice/?code=nonsense')).status, 404);
    assert.equal((await as('alice', 'DELETE', 'share-codes/alice/?id=sc_999999')).status, 404);
    assert.equal((await as('alice', 'DELETE', 'share-codes/alice/?id=junk')).status, 404);
    assert.equal((await as('alice', 'DELETE', `share-codes/alice/?id=${r.json.id}`)).status, 204);
    assert.equal(
      (await as('alice', 'DELETE', `share-codes/alice/?code=${encodeURIComponent(byDefault.json.code)}`)).status,
      204,
    );
    assert.deepEqual((await as('alice', 'GET', 'share-codes/alice')).json, []);
    await as('alice', 'POST', 'share-codes/alice/');
    assert.equal((await as('alice', 'DELETE', 'share-codes/alice/')).status, 204);
    assert.deepEqual((await as('alice', 'GET', 'share-codes/alice/')).json, []);
  });

  test('/hub/accept-share: confirm page, XSRF-checked accept, redirect to the server; bad codes refused', async () => {
    const made = await as('alice', 'POST', 'share-codes/alice/');
    const { code, accept_url } = made.json;
    const carol = new Browser(h);
    // signed out: to the login page, and back here afterwards
    const out = await carol.get(accept_url);
    assert.equal(out.status, 302);
    assert.match(out.location!, /\/hub\/login\?next=/);
    await carol.login('carol');
    const page = await carol.get(accept_url);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    assert.match(page.text, /<code>alice<\/code> shares their server with you/);
    assert.match(page.text, /access:servers!server=alice\//);
    const xsrf = Browser.xsrfField(page.text);
    const forged = await carol.request('POST', 'hub/accept-share', { form: { code, _xsrf: 'wrong' } });
    assert.equal(forged.status, 403);
    assert.ok(!(await scopesOf('carol')).includes(ACCESS), 'nothing accepted without the XSRF token');
    const ok = await carol.request('POST', 'hub/accept-share', { form: { code, _xsrf: xsrf } });
    assert.equal(ok.status, 302, ok.text.slice(0, 300));
    assert.equal(new URL(ok.location!).pathname, '/user/alice/');
    assert.ok((await scopesOf('carol')).includes(ACCESS), 'carol holds access to the server');
    const codes = await as('alice', 'GET', 'share-codes/alice/');
    assert.equal(codes.json[0].exchange_count, 1);
    assert.ok(codes.json[0].last_exchanged_at);
    const shares = await as('alice', 'GET', 'shares/alice/');
    assert.deepEqual(
      shares.json.map((x: any) => x.user?.name),
      ['carol'],
    );
    // a safe next is followed (a /user/ path by way of /hub/user/, which starts or forwards); another host is not
    const next = await carol.request('POST', 'hub/accept-share', {
      form: { code, _xsrf: xsrf, next: '/user/alice/lab' },
    });
    assert.equal(new URL(next.location!).pathname, '/hub/user/alice/lab');
    const evil = await carol.request('POST', 'hub/accept-share', {
      form: { code, _xsrf: xsrf, next: 'https://evil.example/' },
    });
    assert.equal(new URL(evil.location!).pathname, '/user/alice/');

    // unknown, own, revoked and expired codes
    assert.equal((await carol.get('hub/accept-share?code=nonsense')).status, 404);
    assert.equal(
      (await carol.request('POST', 'hub/accept-share', { form: { code: 'nonsense', _xsrf: xsrf } })).status,
      400,
    );
    const alice = new Browser(h);
    await alice.login('alice');
    const own = await alice.get(accept_url);
    assert.equal(own.status, 403);
    assert.match(own.text, /share with yourself/);
    assert.equal((await as('alice', 'DELETE', 'share-codes/alice/')).status, 204);
    const revoked = await carol.get(accept_url);
    assert.equal(revoked.status, 404);
    assert.match(revoked.text, /Share not found or expired/);
    const soon = await as('alice', 'POST', 'share-codes/alice/', { expires_in: 60 });
    await h.hub.ctx.k
      .updateTable('share_codes')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', Number(soon.json.id.slice(3)))
      .execute();
    assert.equal((await carol.get(soon.json.accept_url)).status, 404);
    assert.equal(
      (await carol.request('POST', 'hub/accept-share', { form: { code: soon.json.code, _xsrf: xsrf } })).status,
      400,
    );
    assert.deepEqual((await as('alice', 'GET', 'share-codes/alice/')).json, [], 'expired codes are not listed');
    await h.hub.ctx.audit.flush();
    const accepted = await h.request('GET', 'hub/api/audit?action=share_code.accept');
    assert.equal(accepted.status, 200);
    assert.ok(
      (accepted.json as any[]).some((e) => e.action === 'share_code.accept'),
      accepted.text,
    );
    assert.equal((await as('alice', 'DELETE', 'shares/alice/')).status, 204);
  });

  test('deleting the shared user deletes its shares', async () => {
    await h.addUsers(['frank']);
    await as('alice', 'POST', 'shares/alice/', { user: 'frank' });
    assert.equal((await h.request('DELETE', 'hub/api/users/frank')).status, 204);
    assert.deepEqual((await as('alice', 'GET', 'shares/alice/')).json, []);
  });

  test("a renamed owner's shares follow the new name, not the old one", async () => {
    await h.addUsers(['gina']);
    const share = await h.request('POST', 'hub/api/shares/gina/', { body: { user: 'bob' } });
    assert.equal(share.status, 200, share.text);
    const renamed = await h.request('PATCH', 'hub/api/users/gina', { body: { name: 'gina2' } });
    assert.equal(renamed.status, 200, renamed.text);
    const scopes = await scopesOf('bob');
    assert.ok(scopes.includes('access:servers!server=gina2/'), scopes.join(' '));
    assert.ok(!scopes.includes('access:servers!server=gina/'), 'a new user named gina gets no visitors');
    const listed = await h.request('GET', 'hub/api/shares/gina2/');
    assert.deepEqual(listed.json[0].scopes, ['access:servers!server=gina2/']);
    assert.equal((await h.request('DELETE', 'hub/api/shares/gina2/')).status, 204);
  });

  test('shares and codes are in the audit log', async () => {
    await h.hub.ctx.audit.flush();
    const r = await h.request('GET', 'hub/api/audit?limit=200');
    assert.equal(r.status, 200, r.text);
    const actions = new Set((r.json as any[]).map((e) => e.action));
    for (const a of ['share.create', 'share.revoke', 'share_code.create', 'share_code.revoke'])
      assert.ok(actions.has(a), `${a} missing from ${[...actions].join(', ')}`);
  });
});
