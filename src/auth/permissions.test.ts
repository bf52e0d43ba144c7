// The one permissions cache: invalidate() drops every kind of entry (token rows, principals, owners'
// scopes, roles, rate limits from roles), the TTL expires what nobody invalidated, and a computation
// racing an invalidation is used once but not kept.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { grantRole, upsertRole } from '../repo/roles.ts';
import { insertUser } from '../repo/users.ts';
import { issueToken } from '../tokens/issue.ts';
import { TokenIdentifier } from './identify-token.ts';
import { approxBytes, Permissions } from './permissions.ts';
import { PrincipalCache } from './principal-cache.ts';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}

describe('a permission cache', () => {
  test('invalidate() empties every cache made by the same Permissions, and only those', async () => {
    const permissions = new Permissions();
    const other = new Permissions();
    const a = permissions.cache<string, number>();
    const b = permissions.cache<number, string>();
    const c = other.cache<string, number>();
    await a.through('x', async () => 1);
    await b.through(1, async () => 'one');
    await c.through('x', async () => 1);
    permissions.invalidate();
    assert.equal(a.get('x'), undefined);
    assert.equal(b.get(1), undefined);
    assert.equal(c.get('x')?.value, 1, "another hub's cache is not touched");
  });

  test('an entry older than the TTL is computed again, though nobody invalidated', async () => {
    const t = clock();
    const permissions = new Permissions({ ttlMs: 1000, now: t.now });
    const cache = permissions.cache<string, number>();
    let computed = 0;
    const read = () => cache.through('k', async () => ++computed);
    assert.equal(await read(), 1);
    t.advance(1000);
    assert.equal(await read(), 1, 'kept up to the TTL');
    t.advance(1);
    assert.equal(await read(), 2, 'computed again past it');
  });

  test('a value computed while permissions change is used once, not kept', async () => {
    const permissions = new Permissions();
    const cache = permissions.cache<string, string>();
    let release = () => {};
    const gate = new Promise<void>((res) => (release = res));
    const inFlight = cache.through('k', async () => {
      await gate;
      return 'read before the change';
    });
    permissions.invalidate();
    release();
    assert.equal(await inFlight, 'read before the change');
    assert.equal(cache.get('k'), undefined);
    assert.equal(await cache.through('k', async () => 'read after'), 'read after');
  });

  test('a value `keep` refuses is not kept; a kept undefined is a hit', async () => {
    const cache = new Permissions().cache<string, string | undefined>();
    await cache.through(
      'unknown',
      async () => undefined,
      (v) => v !== undefined,
    );
    assert.equal(cache.get('unknown'), undefined);
    await cache.through('absent', async () => undefined);
    assert.ok(cache.get('absent'), 'a role looked up and not found is remembered as such');
  });
});

describe('a permission cache that admits on second use', () => {
  test('keeps a value only when its key comes again within the TTL', async () => {
    const t = clock();
    const permissions = new Permissions({ ttlMs: 1000, now: t.now });
    const cache = permissions.cache<string, number>({ admitOnSecondUse: true });
    let computed = 0;
    const read = (k: string) => cache.through(k, async () => ++computed);
    for (let i = 0; i < 50; i++) await read(`once-${i}`);
    assert.equal(cache.size, 0, 'keys used once keep nothing');
    assert.equal(await read('twice'), 51);
    assert.equal(await read('twice'), 52, 'computed again the second time, and kept');
    assert.equal(await read('twice'), 52, 'the third time is a hit');
    await read('late');
    t.advance(1001);
    await read('late');
    assert.equal(cache.get('late'), undefined, 'a second use past the TTL counts as a first');
    await read('late');
    assert.ok(cache.get('late'));
    permissions.invalidate();
    await read('twice');
    assert.equal(cache.get('twice'), undefined, 'invalidate() forgets the keys asked for too');
  });
});

describe('a permission cache is bounded in bytes', () => {
  test('a flood of distinct keys keeps it within its bytes, the oldest entries going first', () => {
    const permissions = new Permissions();
    const c = permissions.cache<number, { scopes: Set<string> }>({ maxBytes: 50_000 });
    const value = (i: number) => ({
      scopes: new Set(Array.from({ length: 20 }, (_, j) => `read:users!user=u${i}-${j}`)),
    });
    for (let i = 0; i < 1000; i++) {
      c.set(i, value(i), permissions.generation);
      assert.ok(c.bytes <= 50_000, `${c.bytes} bytes after ${i + 1} entries`);
    }
    assert.ok(c.size > 10 && c.size < 1000, `${c.size} entries kept`);
    assert.ok(c.get(999), 'the newest is kept');
    assert.equal(c.get(0), undefined, 'the oldest went first');
    assert.ok(c.bytes > 40_000, 'it fills its bytes rather than starting over');
  });

  test('replacing, expiring and dropping entries give their bytes back', () => {
    const t = clock();
    const permissions = new Permissions({ now: t.now });
    const c = permissions.cache<string, string>();
    c.set('a', 'x'.repeat(1000), permissions.generation);
    const one = c.bytes;
    assert.ok(one > 1000);
    c.set('a', 'y'.repeat(1000), permissions.generation);
    assert.equal(c.bytes, one);
    t.advance(permissions.ttlMs + 1);
    assert.equal(c.get('a'), undefined);
    assert.equal(c.bytes, 0);
    c.set('b', 'z', permissions.generation);
    permissions.invalidate();
    assert.equal(c.bytes, 0);
  });

  test('approxBytes counts what a value reaches, shared parts once, cycles without end', () => {
    const shared = { name: 'x'.repeat(500) };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    const n = approxBytes(cyclic);
    assert.ok(n > 500 && n < 1000, `${n}`);
    assert.ok(approxBytes(new Set(['a'.repeat(100), 'b'.repeat(100)])) > 200);
    assert.ok(approxBytes(new Map([[1, 'c'.repeat(300)]])) > 300);
  });
});

describe("the hub's caches share one invalidate() and one TTL", () => {
  let db: Db;
  let userId: number;
  before(async () => {
    db = await openTestDb();
    userId = (await insertUser(db.k, 'pat', false)).id;
    await grantRole(db.k, 'user', userId, (await upsertRole(db.k, 'pat-self', null, ['self'])).id);
  });
  after(() => db.close());

  async function setup(t = clock()) {
    const permissions = new Permissions({ ttlMs: 60_000, now: t.now });
    const identifier = new TokenIdentifier(db.k, permissions);
    const principals = new PrincipalCache(db.k, permissions);
    const { token, row } = await issueToken(db.k, db.kind, {
      owner: { kind: 'user', id: userId },
      kind: 'api',
      note: 'cache test',
      scopes: ['inherit'],
      expiresIn: null,
    });
    return { t, permissions, identifier, principals, token, row };
  }

  test('token rows, principals, owner scopes and roles are all dropped by one invalidate()', async () => {
    const { permissions, identifier, principals, token, row } = await setup();
    // Token rows and principals are kept from their second use.
    await identifier.identify(token);
    assert.equal((await identifier.identify(token)).ok, true);
    await principals.forToken(row);
    const before = await principals.forToken(row);
    const owner = await principals.ownerScopes('user', userId, 'pat');
    const roleName = `pat-extra-${row.id}`;
    assert.equal(await principals.role(roleName), undefined);

    await db.k
      .updateTable('api_tokens')
      .set({ revoked_at: new Date().toISOString() })
      .where('id', '=', row.id)
      .execute();
    const extra = await upsertRole(db.k, roleName, null, ['admin:groups']);
    await grantRole(db.k, 'user', userId, extra.id);
    assert.equal((await identifier.identify(token)).ok, true, 'cached until invalidated');
    assert.equal(await principals.forToken(row), before);
    assert.equal(await principals.role(roleName), undefined);

    permissions.invalidate();
    assert.deepEqual(await identifier.identify(token), { ok: false, reason: 'token_revoked' });
    const after = await principals.forToken(row);
    assert.notEqual(after, before, 'a new principal (whoami facts and read-cache answers hang off the old one)');
    assert.equal(after?.ownerScopes.has('admin:groups'), true);
    assert.notEqual(await principals.ownerScopes('user', userId, 'pat'), owner);
    assert.equal((await principals.role(roleName))?.name, roleName);
  });

  test('without invalidate(), the TTL brings every cache up to date', async () => {
    const { t, identifier, principals, token, row } = await setup();
    await principals.forToken(row);
    const before = await principals.forToken(row);
    await identifier.identify(token);
    assert.equal((await identifier.identify(token)).ok, true);
    await db.k
      .updateTable('api_tokens')
      .set({ revoked_at: new Date().toISOString() })
      .where('id', '=', row.id)
      .execute();
    t.advance(30_000);
    assert.equal((await identifier.identify(token)).ok, true);
    assert.equal(await principals.forToken(row), before);
    t.advance(30_001);
    assert.deepEqual(await identifier.identify(token), { ok: false, reason: 'token_revoked' });
    assert.notEqual(await principals.forToken(row), before);
  });
});
