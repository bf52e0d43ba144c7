import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { isAlive } from '../src/lib/process.ts';
import type { TestDatabase } from '../src/db/test-helpers.ts';
import { spawnHub, writeHubConfig, type RunningHub } from './process.ts';

// The hub is a real process, SIGKILLed at a random moment while clients create users and tokens and start
// servers, then started again on the same database and ports, several times. Whatever got a 2xx answer
// before a kill must be there afterwards; the proxy and the servers (own process groups) live through it.

const ROUNDS = 5;
const CLIENTS = 4;
/** Users whose default server a round may start (real jupyterhub-singleuser processes). */
const SERVER_USERS = ['srv0', 'srv1', 'srv2'];

type Outcome = { status: number; json: any; text: string } | 'no answer';

describe('crash safety: the hub SIGKILLed under API load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-crash-'));
  const adminToken = `crash-test-admin-${randomBytes(12).toString('hex')}`;
  // Put in every server's environment, so the clean-up finds them whatever state a failure left.
  const marker = `TSHUB_CRASH_TEST=${randomBytes(8).toString('hex')}`;
  let pub = '';
  let hubUrl = '';
  let hub: RunningHub | null = null;
  let db: TestDatabase | null = null;
  const fiveHundreds: string[] = [];

  /**
   * One request. API calls go to the hub's own port, not through the proxy: the proxy answers 503 for a
   * hub that is down, and here a hub that is down must show as no answer, never as a 5xx.
   */
  async function call(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; viaProxy?: boolean } = {},
  ): Promise<Outcome> {
    try {
      const r = await fetch(`${opts.viaProxy ? pub : hubUrl}${path}`, {
        method,
        headers: { authorization: `token ${opts.token ?? adminToken}` },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await r.text();
      if (r.status >= 500) fiveHundreds.push(`${method} ${path} -> ${r.status} ${text}`);
      let json: any;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: r.status, json, text };
    } catch {
      // Refused or reset: the hub was down or died mid-request. Not an answer.
      return 'no answer';
    }
  }

  /** The JSON of a 2xx answer; anything else fails the test, naming the request. */
  async function must(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; viaProxy?: boolean } = {},
  ): Promise<any> {
    const r = await call(method, path, opts);
    assert.ok(
      r !== 'no answer' && r.status < 300,
      `${method} ${path}: ${r === 'no answer' ? r : `${r.status} ${r.text}`}`,
    );
    return r.json;
  }

  /** Runs SQL on the hub's database beside the hub: node:sqlite read-only, or a PostgreSQL client. */
  async function query(sql: string): Promise<Record<string, unknown>[]> {
    if (db!.url.startsWith('sqlite')) {
      const file = new DatabaseSync(db!.url.slice('sqlite:///'.length), { readOnly: true });
      try {
        return file
          .prepare(sql)
          .all()
          .map((row) => ({ ...row }));
      } finally {
        file.close();
      }
    }
    const c = new pg.Client({ connectionString: db!.url });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  }

  async function checkIntegrity(): Promise<void> {
    if (db!.url.startsWith('sqlite')) {
      assert.deepEqual(await query('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
      assert.deepEqual(await query('PRAGMA foreign_key_check'), []);
    } else {
      // PostgreSQL keeps its own files consistent (the hub's death cannot touch them); amcheck verifies the
      // tables' pages and B-tree indexes, which also holds the unique indexes to their promise.
      await query('CREATE EXTENSION IF NOT EXISTS amcheck');
      const problems = await query(`
        SELECT c.relname, v.blkno, v.msg FROM pg_class c, LATERAL verify_heapam(c.oid) v
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'`);
      assert.deepEqual(problems, []);
      await query(`
        SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace`);
    }
    const duplicates = await query('SELECT user_id, name FROM spawners GROUP BY user_id, name HAVING COUNT(*) > 1');
    assert.deepEqual(duplicates, [], 'no duplicate spawner rows');
  }

  /** Kills the process groups of every server (found by the marker) and of the proxy. */
  function killLeftovers(): void {
    const groups = new Set<number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) groups.add(Number(entry));
      } catch {
        // gone, or not ours to read
      }
    }
    const proxyPidFile = join(dir, 'tshub-proxy.pid');
    if (existsSync(proxyPidFile)) groups.add(Number(readFileSync(proxyPidFile, 'utf8')));
    for (const pid of groups) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // not a group leader, or already gone
        }
      }
    }
  }

  after(async () => {
    try {
      if (hub && hub.proc.exitCode === null)
        await call('POST', 'hub/api/shutdown', { body: { proxy: true, servers: true } });
      await hub?.stop();
    } finally {
      killLeftovers();
      rmSync(dir, { recursive: true, force: true });
      await db?.drop();
    }
  });

  test(`${ROUNDS} kills under load: acknowledged writes survive, the database is sound, servers are re-adopted`, async (t) => {
    const written = await writeHubConfig(dir, [
      'authenticator: { admin_users: [admin] }',
      `api_tokens: { "${adminToken}": admin }`,
      `spawner: { environment: { ${marker.replace('=', ': ')} }, poll_interval: 2 }`,
      // A start request answers 201 once the server is ready (202 only if it takes longer than this).
      'slow_spawn_timeout: 30',
    ]);
    pub = written.pub;
    hubUrl = written.hubUrl;
    db = written.db;
    const start = () => spawnHub(['--config', written.cfg], `${hubUrl}hub/api/`);

    const ackedUsers = new Set<string>();
    const ackedTokens: { user: string; token: string }[] = [];
    /** Servers seen ready, with the pid they had. */
    const readyPids = new Map<string, number>();
    /** Servers whose start was answered 201 (ready): they must be ready after every later restart. */
    const ackedSpawns = new Set<string>();
    const tokenAttempts = new Map<string, number>();
    let tokensChecked = 0;
    let refused = 0;
    let interruptedSpawns = 0;
    let usersChecked = 0;
    let serial = 0;

    hub = await start();
    await must('POST', 'hub/api/users', { body: { usernames: SERVER_USERS } });
    for (const u of SERVER_USERS) ackedUsers.add(u);
    // One server surely ready before the first kill; the rounds start the others at random moments.
    await must('POST', `hub/api/users/${SERVER_USERS[0]}/server`);
    ackedSpawns.add(SERVER_USERS[0]!);

    async function verify(round: number): Promise<void> {
      // Pending spawns or stops the kill interrupted are cleaned up by the new hub; wait for them to settle.
      let servers: Map<string, any> = new Map();
      const deadline = Date.now() + 20_000;
      for (;;) {
        servers = new Map();
        for (const u of SERVER_USERS) servers.set(u, (await must('GET', `hub/api/users/${u}`)).servers[''] ?? null);
        if ([...servers.values()].every((s) => s === null || s.pending === null)) break;
        assert.ok(Date.now() < deadline, `round ${round}: servers still pending: ${JSON.stringify([...servers])}`);
        await sleep(300);
      }
      for (const [u, s] of servers) {
        if (ackedSpawns.has(u)) assert.equal(s?.ready, true, `round ${round}: ${u}'s acknowledged server is ready`);
        if (readyPids.has(u))
          assert.equal(s?.state?.pid, readyPids.get(u), `round ${round}: ${u}'s server was re-adopted, not restarted`);
        if (s?.ready) {
          // Never half-there: a server the hub calls ready answers through the proxy.
          const status = await call('GET', `user/${u}/api/status`, { viaProxy: true });
          assert.ok(status !== 'no answer' && status.status === 200, `round ${round}: ${u}'s server through the proxy`);
          readyPids.set(u, s.state.pid);
        }
      }

      const listed = new Map<string, any>();
      for (let offset = 0; ; offset += 200) {
        const page = await must('GET', `hub/api/users?limit=200&offset=${offset}`);
        for (const u of page) listed.set(u.name, u);
        if (page.length < 200) break;
      }
      for (const name of ackedUsers) assert.ok(listed.has(name), `round ${round}: acknowledged user ${name} is there`);
      // Unanswered creations may be there or not, but only whole: with their default role.
      for (const u of listed.values())
        assert.ok(u.roles.includes('user'), `round ${round}: ${u.name} has the user role`);
      usersChecked += ackedUsers.size;

      for (let i = 0; i < ackedTokens.length; i += 8) {
        await Promise.all(
          ackedTokens.slice(i, i + 8).map(async ({ user, token }) => {
            const me = await must('GET', 'hub/api/user', { token });
            assert.equal(me.name, user, `round ${round}: an acknowledged token of ${user} authenticates`);
          }),
        );
      }
      tokensChecked += ackedTokens.length;
      await checkIntegrity();
    }

    /** One client: creates users and tokens until told to stop; one of them also starts a server. */
    async function client(id: number, stop: () => boolean, spawnUser: string | null): Promise<void> {
      if (spawnUser) {
        const r = await call('POST', `hub/api/users/${spawnUser}/server`);
        if (r === 'no answer') interruptedSpawns++;
        else {
          assert.ok(r.status === 201 || r.status === 202, `starting ${spawnUser}: ${r.status} ${r.text}`);
          if (r.status === 201) ackedSpawns.add(spawnUser);
        }
      }
      while (!stop()) {
        // Each user may hold 5 API tokens; unanswered requests may have made one too.
        const owners = [...ackedUsers].filter((u) => (tokenAttempts.get(u) ?? 0) < 5);
        if (owners.length > 0 && Math.random() < 0.5) {
          const user = owners[Math.floor(Math.random() * owners.length)]!;
          tokenAttempts.set(user, (tokenAttempts.get(user) ?? 0) + 1);
          const r = await call('POST', `hub/api/users/${user}/tokens`, { body: { note: `crash ${id}` } });
          if (r === 'no answer') return;
          // Token creation has its own rate limit (rate_limits.token_create): a 429 is a refusal, nothing written.
          if (r.status === 429) {
            refused++;
            await sleep(200);
            continue;
          }
          assert.equal(r.status, 201, r.text);
          ackedTokens.push({ user, token: r.json.token });
        } else if (Math.random() < 0.5) {
          const name = `u${serial++}-c${id}`;
          const r = await call('POST', `hub/api/users/${name}`);
          if (r === 'no answer') return;
          assert.equal(r.status, 201, r.text);
          ackedUsers.add(name);
        } else {
          const names = [0, 1, 2].map(() => `b${serial++}-c${id}`);
          const r = await call('POST', 'hub/api/users', { body: { usernames: names } });
          if (r === 'no answer') return;
          assert.equal(r.status, 201, r.text);
          for (const n of names) ackedUsers.add(n);
        }
      }
    }

    for (let round = 1; round <= ROUNDS; round++) {
      let dead = false;
      const spawnUser = SERVER_USERS.find((u) => !readyPids.has(u) && !ackedSpawns.has(u)) ?? null;
      // Failures are collected, not left rejected while the kill is being timed.
      const load = Array.from({ length: CLIENTS }, (_, i) =>
        client(i, () => dead, i === 0 ? spawnUser : null).then(
          () => null,
          (e: unknown) => e,
        ),
      );
      // A random moment: always after some writes, sometimes in the middle of a server's start, sometimes after.
      await sleep(800 + Math.random() * 4200);
      const killed = hub;
      killed.proc.kill('SIGKILL');
      dead = true;
      await killed.stop();
      for (const failure of await Promise.all(load)) if (failure) throw failure;
      assert.ok(
        existsSync(join(dir, 'tshub-proxy.pid')) && isAlive(Number(readFileSync(join(dir, 'tshub-proxy.pid'), 'utf8'))),
        'the proxy lives through the kill',
      );

      hub = await start();
      try {
        await verify(round);
      } catch (err) {
        throw new Error(`${(err as Error).message}\nthe hub's log after the restart:\n${hub.output().slice(-4000)}`, {
          cause: err,
        });
      }
    }

    assert.ok(readyPids.size >= 1, 'at least one server was ready across the kills');
    assert.deepEqual(fiveHundreds, [], 'no 5xx answer');
    t.diagnostic(
      `${ROUNDS} kills survived; checked ${usersChecked} acknowledged users and ${tokensChecked} acknowledged tokens in all ` +
        `(${ackedUsers.size} users, ${ackedTokens.length} tokens at the end); ${readyPids.size} servers re-adopted, ${interruptedSpawns} starts cut by a kill; ` +
        `${refused} token creations refused by the rate limit; ${fiveHundreds.length} 5xx`,
    );
  });
});
