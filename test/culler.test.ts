import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, type TestHub } from './harness.ts';
import { spawn } from 'node:child_process';
import { runTshub, TSHUB } from './process.ts';

// `tshub cull --once` as a real process against a real hub running real jupyterhub-singleuser servers,
// with a token holding exactly the culler's scopes.
//
// A hub keeps a reported last_activity only if it is newer than the stored one (as JupyterHub does), and
// a server starts with last_activity = now: a fresh server cannot be made to look idle by reporting an old
// timestamp. So "idle" here is real idleness: a short --timeout (T) and a wait of T after the servers'
// last activity; "active" is activity reported just before the culler runs.

// Long enough that a culler process started right after an activity report (a couple of seconds on a
// loaded machine) still finds that server active.
const T = 8;
const TIMEOUT = `timeout 00:00:0${T}`;
const CULLER_SCOPES = ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tshub cull against a real hub', () => {
  let h: TestHub;
  let apiUrl: string;
  let cullerToken: string;
  let userCullerToken: string;
  let lastReport = 0;

  const cull = (args: string[], token = cullerToken) =>
    runTshub(['cull', '--once', ...args], {
      JUPYTERHUB_API_URL: apiUrl,
      JUPYTERHUB_API_TOKEN: token,
      JUPYTERHUB_REQUEST_TIMEOUT: '30',
    });

  async function startServer(user: string, name = ''): Promise<void> {
    const path = `hub/api/users/${user}/${name ? `servers/${name}` : 'server'}`;
    const r = await h.request('POST', path);
    if (r.status === 201) return;
    assert.equal(r.status, 202, `starting ${user}/${name}: ${r.status} ${r.text}`);
    // Slower than slow_spawn_timeout: follow the progress stream to its end.
    const res = await fetch(new URL(`${path}/progress`, h.url), {
      headers: { authorization: `token ${h.adminToken}` },
      signal: AbortSignal.timeout(60_000),
    });
    const events = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)));
    assert.equal(events.at(-1)?.ready, true, JSON.stringify(events));
  }

  /** Every server of a user, stopped ones included, by name. */
  async function serversOf(user: string): Promise<Record<string, { ready: boolean; last_activity: string }>> {
    const r = await h.request('GET', `hub/api/users?include_stopped_servers=1&name_filter=${user}`);
    assert.equal(r.status, 200, r.text);
    const model = (
      r.json as { name: string; servers: Record<string, { ready: boolean; last_activity: string }> }[]
    ).find((u) => u.name === user);
    assert.ok(model, `no user ${user}`);
    return model.servers;
  }

  const running = async (user: string, name = '') => (await serversOf(user))[name]?.ready === true;

  async function reportActivity(user: string, servers: string[]): Promise<void> {
    const now = new Date().toISOString();
    const body = { last_activity: now, servers: Object.fromEntries(servers.map((s) => [s, { last_activity: now }])) };
    const r = await h.request('POST', `hub/api/users/${user}/activity`, { body });
    assert.equal(r.status, 200, r.text);
    lastReport = Date.now();
  }

  /**
   * Waits until every listed server has had no activity for more than T seconds. A server's own start-up
   * report may land after it is ready, but it reports its last request, the hub's readiness check: before `readyAt`.
   */
  async function untilIdle(servers: [string, string][], readyAt: number): Promise<void> {
    let latest = readyAt;
    for (const [user, name] of servers)
      latest = Math.max(latest, Date.parse((await serversOf(user))[name]!.last_activity));
    await sleep(Math.max(0, latest + (T + 1) * 1000 - Date.now()));
  }

  before(async () => {
    h = await startHub({ allow_named_servers: true, api_page_default_limit: 2 });
    apiUrl = new URL('hub/api', h.url).toString();
    await h.addUsers(['idle1', 'idle2', 'active', 'nina', 'old', 'gone1', 'gone2', 'gone3', 'gone4', 'gone5']);
    await h.addUsers(['boss'], true);
    cullerToken = await h.tokenFor('admin', { scopes: CULLER_SCOPES, note: 'culler' });
    userCullerToken = await h.tokenFor('admin', {
      scopes: [...CULLER_SCOPES, 'admin:users'],
      note: 'culler with --cull-users',
    });
  });

  after(async () => {
    // Whatever a failed test left running.
    const r = await h.request('GET', 'hub/api/users?state=active');
    for (const u of (r.json ?? []) as { name: string; servers: Record<string, unknown> }[]) {
      for (const name of Object.keys(u.servers ?? {})) {
        await h.request('DELETE', `hub/api/users/${u.name}/${name ? `servers/${name}` : 'server'}`);
      }
    }
    await h.stop();
  });

  test('idle servers are stopped, active ones kept; --cull-default-servers=false spares default servers; pages followed', async () => {
    await Promise.all([
      startServer('idle1'),
      startServer('idle2'),
      startServer('active'),
      startServer('nina'),
      startServer('nina', 'lab'),
    ]);
    await untilIdle(
      [
        ['idle1', ''],
        ['idle2', ''],
        ['nina', ''],
        ['nina', 'lab'],
      ],
      Date.now(),
    );

    // Only named servers are culled for inactivity: nina/lab, with DELETE on its named path, stopped but kept.
    await reportActivity('active', ['']);
    const first = await cull([`--timeout=${T}`, '--cull-default-servers=false']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, new RegExp(`Culling server nina/lab \\(inactive for 00:00:\\d\\d, ${TIMEOUT}\\)`));
    assert.match(
      first.stderr,
      /Keeping server idle1: inactive for 00:00:\d\d, but default servers are not culled for inactivity/,
    );
    // Four users with ready servers at two per page.
    assert.match(first.stderr, /GET \/users\?state=ready: 4 users in 2 pages/);
    assert.match(
      first.stderr,
      /Cull pass done in [\d.]+ s: 4 users listed \(2 pages\), 5 servers checked, 1 culled, 0 errors/,
    );
    const nina = await serversOf('nina');
    assert.equal(nina.lab?.ready, false, 'nina/lab stopped');
    assert.equal(nina['']?.ready, true);
    assert.equal(await running('idle1'), true);

    await reportActivity('active', ['']);
    const second = await cull([`--timeout=${T}`]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`Culling server idle1 \\(inactive for 00:00:\\d\\d, ${TIMEOUT}\\)`));
    assert.match(second.stderr, new RegExp(`Keeping server active: inactive for 00:00:0\\d, ${TIMEOUT}`));
    assert.match(second.stderr, /4 users listed \(2 pages\), 4 servers checked, 3 culled, 0 errors/);
    assert.equal(await running('idle1'), false);
    assert.equal(await running('idle2'), false);
    assert.equal(await running('nina'), false);
    assert.equal(await running('active'), true, 'the active server is still running');
    assert.ok('lab' in (await serversOf('nina')), 'a culled named server is kept without --remove-named-servers');
  });

  test('--max-age stops servers started long enough ago, however active; --remove-named-servers removes named ones', async () => {
    await Promise.all([startServer('old'), startServer('nina', 'lab')]);
    await sleep(1100);
    await reportActivity('old', ['']);
    await reportActivity('nina', ['lab']);
    const r = await cull(['--timeout=3600', '--max-age=1', '--remove-named-servers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Culling server old \(age 00:00:\d\d reached max age 00:00:01; inactive for 00:00:\d\d\)/);
    assert.match(r.stderr, /Culling server nina\/lab \(age .*\), removing it/);
    assert.equal(await running('old'), false);
    assert.equal(await running('active'), false, 'max age applies to the server kept active in the first test too');
    assert.ok(!('lab' in (await serversOf('nina'))), 'nina/lab removed');
  });

  test('--cull-users deletes idle users without servers, across pages, and spares admins with --cull-admin-users=false', async () => {
    const before = await h.request('GET', 'hub/api/users');
    assert.ok((before.json as unknown[]).length >= 12);
    // Until every user here last acted (or was created) more than T seconds ago.
    await sleep(Math.max(0, lastReport + (T + 1) * 1000 - Date.now()));
    await reportActivity('admin', []);
    const r = await cull([`--timeout=${T}`, '--cull-users', '--cull-admin-users=false'], userCullerToken);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /GET \/users\?state=inactive: \d+ users in [5-9] pages/);
    assert.match(r.stderr, new RegExp(`Culling user gone1 \\(inactive for 00:00:\\d\\d, ${TIMEOUT}\\)`));
    assert.match(r.stderr, /Keeping user boss: inactive for .*, but admin users are not culled/);
    const names = ((await h.request('GET', 'hub/api/users')).json as { name: string }[]).map((u) => u.name).sort();
    assert.deepEqual(names, ['admin', 'boss'], r.stderr);

    // The same with admins culled too: boss goes (the culler's own user, just active, stays).
    await reportActivity('admin', []);
    const again = await cull([`--timeout=${T}`, '--cull-users'], userCullerToken);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Culling admin user boss \(inactive for/);
    const left = ((await h.request('GET', 'hub/api/users')).json as { name: string }[]).map((u) => u.name);
    assert.deepEqual(left, ['admin']);
  });

  test('a missing token, a bad flag, a bad token: non-zero exits with a message', async () => {
    const [noToken, badFlag, unknownFlag, badToken] = await Promise.all([
      cull([], ''),
      cull(['--timeout=soon']),
      cull(['--cull-everything']),
      cull([], 'not-a-real-token'),
    ]);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /no API token: set JUPYTERHUB_API_TOKEN/);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--timeout must be a whole number ≥ 0, not 'soon'/);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /unknown option '--cull-everything'/);
    assert.equal(badToken.code, 1);
    assert.match(
      badToken.stderr,
      /Cull pass failed: GET .*\/hub\/api\/users\?state=ready answered 403: Missing or invalid credentials/,
    );
  });

  test('without --once: a pass at start and every --cull-every seconds, until SIGTERM', async () => {
    const proc = spawn(TSHUB[0]!, [TSHUB[1]!, 'cull', '--timeout=3600', '--cull-every=1'], {
      env: { ...process.env, JUPYTERHUB_API_URL: apiUrl, JUPYTERHUB_API_TOKEN: cullerToken },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while ((err.match(/Cull pass done/g) ?? []).length < 2) {
      if (Date.now() > deadline || proc.exitCode !== null) {
        proc.kill('SIGKILL');
        assert.fail(`expected two passes:\n${err}`);
      }
      await sleep(100);
    }
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(err, /Culling idle servers at http:\/\/127\.0\.0\.1:\d+\/hub\/api every 1 s: timeout 01:00:00/);
    assert.match(err, /SIGTERM: stopping/);
  });
});

describe('tshub cull under the hub rate limits', () => {
  const SERVICE_TOKEN = 'slow-culler-service-token-0123456789';
  let h: TestHub;

  before(async () => {
    h = await startHub({
      api_page_default_limit: 2,
      services: [{ name: 'slow-culler', api_token: SERVICE_TOKEN }],
      load_roles: [{ name: 'slow-culling', scopes: [...CULLER_SCOPES, 'admin:users'], services: ['slow-culler'] }],
      // Two requests at once, then two a second: the listing below needs six pages.
      rate_limits: { roles: { 'slow-culling': { api: { rate_per_minute: 120, burst: 2 } } } },
    });
    await h.addUsers(Array.from({ length: 10 }, (_, i) => `limited${i}`));
  });
  after(() => h.stop());

  test('a 429 is waited out (Retry-After) and the pass completes', async () => {
    const r = await runTshub(['cull', '--once', '--cull-users', '--timeout=86400'], {
      JUPYTERHUB_API_URL: new URL('hub/api', h.url).toString(),
      JUPYTERHUB_API_TOKEN: SERVICE_TOKEN,
      JUPYTERHUB_REQUEST_TIMEOUT: '30',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /GET \/users\?state=inactive: 11 users in 6 pages/);
    const trips = await h.request('GET', 'hub/api/audit?action=ratelimit.trip&actor=slow-culler');
    assert.ok(trips.json.length >= 1, 'the hub did refuse some of its requests');
  });
});
