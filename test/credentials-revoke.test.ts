// The leak intake (POST /hub/api/credentials/revoke): 1,000 mixed strings are answered 202, the live tokens
// among them die (each audited, its owner told by a signed token.leaked webhook on loopback), everything else
// keeps working; bad bodies get 400 and a caller past the route's own limit 429 with Retry-After.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SYSTEM } from '../src/audit/index.ts';
import { Notifier } from '../src/notify/index.ts';
import { generateToken } from '../src/tokens/format.ts';
import { LeakIntake } from '../src/tokens/scan/intake.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import { assertRefused, whoami } from './token-helpers.ts';

const SECRET = 'a-webhook-secret-of-some-length';
const PATH = 'hub/api/credentials/revoke';
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T | null | false> | T | null | false,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The token with one character of its checksum changed: the same shape, a bad checksum. */
function lookAlike(token: string): string {
  const last = token.at(-1)!;
  return token.slice(0, -1) + (last === 'a' ? 'b' : 'a');
}

describe('leaked-token reports', () => {
  let h: TestHub;
  let hooks: Server;
  const hits: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const reported: string[] = [];
  const kept: string[] = [];
  let revokedBefore = '';

  before(async () => {
    hooks = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => hooks.listen(0, '127.0.0.1', ok));
    h = await startInProcessHub({
      rate_limits: { credentials_revoke: { rate_per_minute: 1, burst: 8 } },
      tokens: {
        expiry_notice: {
          webhook: { url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`, secret: SECRET },
        },
      },
    });
    await h.addUsers(['ann', 'bob', 'cat']);
    for (const [user, n] of [
      ['ann', 3],
      ['bob', 2],
      ['cat', 1],
    ] as const)
      for (let i = 0; i < n; i++) reported.push(await h.tokenFor(user, { note: `${user} ${i}` }));
    for (const user of ['ann', 'bob', 'cat']) kept.push(await h.tokenFor(user, { note: 'kept' }));
    revokedBefore = await h.tokenFor('cat', { note: 'revoked already' });
    const list = (await h.request('GET', 'hub/api/users/cat/tokens')).json.api_tokens as { id: string; note: string }[];
    const row = list.find((t) => t.note === 'revoked already')!;
    assert.equal((await h.request('DELETE', `hub/api/users/cat/tokens/${row.id}`)).status, 204);
  });
  after(async () => {
    await h?.stop();
    hooks?.close();
  });

  test('1,000 mixed strings: 202, the live ones revoked and audited, the rest untouched', async () => {
    const mixed = [
      ...reported,
      revokedBefore,
      ...kept.map(lookAlike),
      generateToken(),
      `${reported[0]}x`,
      ` ${reported[1]}`,
      '',
    ];
    while (mixed.length < 1000) mixed.push(mixed.length % 2 ? randomBytes(20).toString('base64') : generateToken());
    const r = await h.request('POST', PATH, { token: null, body: { credentials: mixed } });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.json, {});
    assert.match(String(r.headers.get('ratelimit-policy')), /"credentials_revoke";q=8;w=\d+/);

    for (const t of reported) await until('the reported token to die', async () => (await whoami(h, t)).status === 403);
    for (const t of reported) await assertRefused(h, t, 'token_revoked');
    for (const t of kept) assert.equal((await whoami(h, t)).status, 200, 'a look-alike of it did not touch it');

    const records = await until('the audit records', async () => {
      const rows = await h.hub.ctx.k
        .selectFrom('audit_log')
        .select(['target_owner', 'reason'])
        .where('action', '=', 'token.revoke')
        .where('reason', '=', 'reported leaked')
        .execute();
      return rows.length >= reported.length && rows;
    });
    assert.equal(records.length, reported.length);
    assert.deepEqual(records.map((x) => x.target_owner).sort(), ['ann', 'ann', 'ann', 'bob', 'bob', 'cat']);
  });

  test('each owner is told by a signed token.leaked webhook, which never holds the token', async () => {
    const events = await until('six notices', () => hits.length >= reported.length && hits);
    await sleep(300);
    assert.equal(hits.length, reported.length, 'one per revoked token, none for the rest');
    for (const hit of events) {
      assert.equal(hit.headers['tshub-event'], 'token.leaked');
      const expected = `sha256=${createHmac('sha256', SECRET).update(hit.body).digest('hex')}`;
      assert.equal(hit.headers['tshub-signature-256'], expected);
      for (const t of [...reported, ...kept]) assert.equal(hit.body.includes(t), false, 'never the secret');
    }
    const bodies = events.map((x) => JSON.parse(x.body));
    assert.deepEqual(bodies.map((b) => b.token.owner.name).sort(), ['ann', 'ann', 'ann', 'bob', 'bob', 'cat']);
    for (const b of bodies) {
      assert.equal(b.type, 'token.leaked');
      assert.equal(b.action, 'revoked');
      assert.equal(b.source.kind, 'report');
      assert.match(b.token.note, /^(ann|bob|cat) \d$/);
    }
  });

  test('bad bodies are refused with 400; the answer never depends on what the strings were', async () => {
    const bad: [string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }][] = [
      ['no credentials', { body: {} }],
      ['not a list', { body: { credentials: reported[0] } }],
      ['an empty list', { body: { credentials: [] } }],
      ['1,001 strings', { body: { credentials: Array.from({ length: 1001 }, () => 'x') } }],
      ['not JSON', { rawBody: '{"credentials": [', headers: { 'content-type': 'application/json' } }],
    ];
    for (const [what, opts] of bad) {
      const r = await h.request('POST', PATH, { token: null, ...opts });
      assert.equal(r.status, 400, `${what}: ${r.text}`);
      assert.equal(r.json.status, 400, what);
    }
    const garbage = await h.request('POST', PATH, { token: null, body: { credentials: ['nothing'] } });
    assert.equal(garbage.status, 202);
    assert.deepEqual(garbage.json, {});
  });

  test('past its own limit: 429 with Retry-After, other API routes unaffected', async () => {
    // 8 at once: two reports and five bad bodies were used above.
    const r1 = await h.request('POST', PATH, { token: null, body: { credentials: ['x'] } });
    assert.equal(r1.status, 202, r1.text);
    const r2 = await h.request('POST', PATH, { token: null, body: { credentials: ['x'] } });
    assert.equal(r2.status, 429, r2.text);
    assert.equal(r2.json.reason, 'rate_limited');
    assert.ok(Number(r2.headers.get('retry-after')) >= 1, String(r2.headers.get('retry-after')));
    assert.equal((await h.request('GET', 'hub/api/', { token: null })).status, 200);
  });

  test('the queue is bounded: a report that would overflow it is refused, garbage never fills it', async () => {
    const intake = new LeakIntake(h.hub.ctx, new Notifier({ webhook: null, smtp: null }, h.hub.ctx.log), {
      maxQueued: 4,
      maxNotices: 1,
    });
    const caller = { origin: SYSTEM, principal: null };
    const three = () => [generateToken(), generateToken(), generateToken()];
    // The worker takes the first report at once; the second waits in the queue, a third would overflow it.
    assert.equal(intake.submit(three(), caller), true);
    assert.equal(intake.submit(three(), caller), true);
    assert.equal(intake.submit(three(), caller), false);
    assert.equal(
      intake.submit(
        Array.from({ length: 1000 }, () => 'garbage'),
        caller,
      ),
      true,
    );
    await intake.close();
    assert.equal(intake.submit(three(), caller), true, 'room again once drained');
    await intake.settled();
  });
});
