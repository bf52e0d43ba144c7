/**
 * Issue 21: per-token usage (IPs, user agents, requests and errors per day, top routes) and the audit
 * log by token id, over real sockets from two loopback addresses, and kept across a hub restart.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freshDatabase } from '../src/db/test-helpers.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

/** A GET to the hub's own socket from `from` (127.0.0.1 or 127.0.0.2), with a token and a user agent. */
function getFrom(base: string, path: string, from: string, token: string, agent: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, base),
      {
        localAddress: from,
        headers: { authorization: `token ${token}`, 'user-agent': agent },
        signal: AbortSignal.timeout(10_000),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('token usage', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-usage-'));
  let h: TestHub | null = null;
  let drop = async () => {};
  after(async () => {
    await h?.stop();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('IPs, agents, days, errors and routes of a token, its audit records, and both after a restart', async () => {
    const db = await freshDatabase(dir);
    drop = db.drop;
    const base = { db_url: db.url, cookie_secret_file: join(dir, 'cookie_secret') };
    h = await startInProcessHub(base, { listen: true });
    await h.addUsers(['ann', 'bob']);
    const made = await h.request('POST', 'hub/api/users/ann/tokens', { body: { note: 'laptop' } });
    assert.equal(made.status, 201);
    const { token, id } = made.json as { token: string; id: string };
    const hubUrl = h.hub.hubUrl;

    assert.equal(await getFrom(hubUrl, 'hub/api/user', '127.0.0.1', token, 'agent-one/1'), 200);
    assert.equal(await getFrom(hubUrl, 'hub/api/user', '127.0.0.1', token, 'agent-one/1'), 200);
    assert.equal(await getFrom(hubUrl, 'hub/api/user', '127.0.0.2', token, 'agent-two/2'), 200);
    assert.equal(await getFrom(hubUrl, 'hub/api/users/nobody', '127.0.0.2', token, 'agent-two/2'), 404);
    assert.equal(await getFrom(hubUrl, 'hub/api/users/nobody2', '127.0.0.1', token, 'agent-one/1'), 404);
    // No route matches: counted (and an error) but under no route, as the URL may hold anything.
    assert.equal(await getFrom(hubUrl, 'hub/api/no-such-thing/secret', '127.0.0.1', token, 'agent-one/1'), 404);

    const usage = async () => {
      const r = await h!.request('GET', `hub/api/users/ann/tokens/${id}/usage`);
      assert.equal(r.status, 200, r.text);
      return r.json;
    };
    const u = await usage();
    assert.equal(u.token_id, id);
    assert.deepEqual(u.ips.map((c: { ip: string }) => c.ip).sort(), ['127.0.0.1', '127.0.0.2']);
    const one = u.ips.find((c: { ip: string }) => c.ip === '127.0.0.1');
    assert.equal(one.requests, 4);
    assert.ok(one.first_seen <= one.last_seen);
    assert.equal(u.ips[0].ip, '127.0.0.1', 'most recently seen first');
    assert.deepEqual(u.user_agents.map((c: { user_agent: string }) => c.user_agent).sort(), [
      'agent-one/1',
      'agent-two/2',
    ]);
    // Summed: a run across midnight UTC has two days.
    const total = (days: { requests: number; errors: number }[]) =>
      days.reduce((a, d) => ({ requests: a.requests + d.requests, errors: a.errors + d.errors }), {
        requests: 0,
        errors: 0,
      });
    assert.deepEqual(total(u.days), { requests: 6, errors: 3 });
    assert.equal(u.days[0].day, new Date().toISOString().slice(0, 10));
    assert.deepEqual(u.top_routes, [
      { route: 'GET /hub/api/user', requests: 3 },
      { route: 'GET /hub/api/users/:name', requests: 2 },
    ]);
    assert.equal(u.retention_days, 90);

    // The admin's own requests are not ann's token's.
    assert.equal(total((await usage()).days).requests, 6);

    // The audit log by token id: the token's creation and its first use from each IP, nothing else.
    const audit = await h.request('GET', `hub/api/audit?token_id=${id}&order=asc`);
    assert.equal(audit.status, 200, audit.text);
    const actions = audit.json.map((r: { action: string }) => r.action);
    assert.ok(actions.includes('token.create'), actions.join());
    assert.ok(actions.includes('token.new_ip'), actions.join());
    for (const r of audit.json) assert.ok(r.actor.token_id === id || r.target?.name === id, JSON.stringify(r));
    const all = await h.request('GET', 'hub/api/audit');
    assert.ok(all.json.length > audit.json.length, 'the filter leaves other records out');
    const bad = await h.request('GET', 'hub/api/audit?token_id=1%20or%201');
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /Invalid token_id/);

    // Only who may read ann's tokens reads their usage; unknown tokens are 404s.
    const bobToken = await h.tokenFor('bob');
    const asBob = await h.request('GET', `hub/api/users/ann/tokens/${id}/usage`, { token: bobToken });
    assert.ok([403, 404].includes(asBob.status), `${asBob.status}`);
    assert.equal((await h.request('GET', `hub/api/users/bob/tokens/${id}/usage`)).status, 404);
    assert.equal((await h.request('GET', 'hub/api/users/ann/tokens/a999999/usage')).status, 404);
    const annOwn = await h.request('GET', `hub/api/users/ann/tokens/${id}/usage`, { token });
    assert.equal(annOwn.status, 200, 'the owner reads it with the token itself');

    await h.stop();
    h = await startInProcessHub(base, { listen: true });
    const again = await usage();
    assert.deepEqual(
      again.ips.map((c: { ip: string }) => c.ip),
      u.ips.map((c: { ip: string }) => c.ip),
    );
    assert.deepEqual(
      total(again.days),
      { requests: 7, errors: 3 },
      'kept across the restart (and the read with the token)',
    );
  });
});
