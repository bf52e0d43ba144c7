// The hub's pusher against a real `tshub proxy` server and a real database: token commands, expiry and a
// fresh proxy each end with the proxy refusing the token, by digest only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { SYSTEM_CALLER } from '../commands/deps.ts';
import { createToken, revokeToken, rotateToken, type TokenCommandDeps } from '../commands/tokens/index.ts';
import { buildConfig } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../db/test-helpers.ts';
import { insertUser } from '../repo/users.ts';
import { digestToken } from '../tokens/format.ts';
import { ChpClient } from './chp-client.ts';
import { RefusalPusher } from './refusals.ts';
import { startProxyServer, type ProxyServer } from './server/index.ts';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RefusalPusher', () => {
  let db: Db;
  let deps: TokenCommandDeps;
  let pusher: RefusalPusher;
  const proxies: ProxyServer[] = [];
  let user: { id: number; name: string };

  const proxy = async () => {
    const p = await startProxyServer({ ip: '127.0.0.1', port: 0, apiIp: '127.0.0.1', apiPort: 0, authToken: 't', log });
    proxies.push(p);
    return { p, client: new ChpClient({ apiUrl: `http://127.0.0.1:${p.apiPort}`, authToken: 't' }) };
  };
  /** Waits until the proxy refuses `token` with `reason`; returns how long it took (ms). */
  const refusedBy = async (p: ProxyServer, token: string, reason: string, ms = 1000) => {
    const start = Date.now();
    while (p.refused.reasonOf(digestToken(token)) !== reason) {
      assert.ok(Date.now() - start < ms, `not refused with ${reason} within ${ms} ms`);
      await sleep(10);
    }
    return Date.now() - start;
  };
  const create = (expiresIn: number | null = null) =>
    createToken(deps, SYSTEM_CALLER, { user, note: 'n', scopes: ['inherit'], expiresIn });

  before(async () => {
    db = await openTestDb();
    pusher = new RefusalPusher({ k: db.k, log });
    deps = {
      k: db.k,
      dbKind: db.kind,
      config: buildConfig({}),
      log,
      audit: { record: () => {} },
      permissions: { invalidate: () => {} },
      tokenInserts: null,
      refusals: pusher,
    };
    const u = await insertUser(db.k, 'alice', false);
    user = { id: u.id, name: u.name };
  });
  after(async () => {
    pusher.stop();
    for (const p of proxies) await p.close();
    await db.close();
  });

  test('a fresh proxy gets what was refused before it, then each change within a second', async () => {
    const old = await create();
    await revokeToken(deps, SYSTEM_CALLER, { user, tokenId: `a${old.row.id}` });
    const { p, client } = await proxy();
    pusher.attach(client);
    await pusher.ensureFed();
    assert.equal(p.refused.reasonOf(digestToken(old.token)), 'token_revoked');

    const live = await create();
    const gone = await create();
    await revokeToken(deps, SYSTEM_CALLER, { user, tokenId: `a${gone.row.id}` });
    await refusedBy(p, gone.token, 'token_revoked');
    assert.equal(p.refused.reasonOf(digestToken(live.token)), null, 'an unrelated token is not refused');

    const rotated = await create();
    await rotateToken(deps, SYSTEM_CALLER, { user, tokenId: `a${rotated.row.id}`, graceSeconds: 0 });
    await refusedBy(p, rotated.token, 'token_rotated');

    pusher.tokensRefused([{ hashed: digestToken(live.token) }], 'token_policy_max_lifetime');
    await refusedBy(p, live.token, 'token_policy_max_lifetime');
  });

  test('an expiring token is refused within a second of its expiry, not before', async () => {
    const { p } = { p: proxies[0]! };
    const short = await create(1);
    const expires = Date.parse(short.row.expires_at!);
    assert.equal(p.refused.reasonOf(digestToken(short.token)), null);
    await sleep(Math.max(0, expires - Date.now() - 200));
    assert.equal(p.refused.reasonOf(digestToken(short.token)), null, 'not refused before its time');
    await refusedBy(p, short.token, 'token_expired', 1500);
    assert.ok(Date.now() - expires < 1000, `refused ${Date.now() - expires} ms after its expiry`);
  });

  test('a restarted proxy (new instance) is fed the whole set again, given refusals included', async () => {
    const { p, client } = await proxy();
    pusher.attach(client);
    await pusher.ensureFed();
    assert.ok(p.refused.size >= 4, `size ${p.refused.size}`);
    assert.equal(p.refused.size, proxies[0]!.refused.size);
    // Feeding again is a no-op for the same instance.
    await pusher.ensureFed();
    assert.equal(p.refused.size, proxies[0]!.refused.size);
  });
});
