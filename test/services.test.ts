/**
 * Managed and external services end to end (API.md §5): a real hub starts managed services as child
 * processes with the documented environment, restarts them with backoff, stops them with itself, puts
 * its own `tshub` first on their PATH, proxies `/services/<name>/` and registers OAuth clients. A hub killed
 * while a managed service runs: test/services-hub-killed.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { digestToken } from '../src/tokens/format.ts';
import { TSHUB_VERSION } from '../src/version.ts';
import { isAlive } from '../src/lib/process.ts';
import { startHub, type TestHub } from './harness.ts';
import { freePort } from './process.ts';
import { waitFor } from './wait-for.ts';

const EXT_TOKEN = 'external-service-token-0123456789';
const IS_ROOT = process.getuid?.() === 0;

/** A managed service: records each start, its environment and its whoami, then serves its url. */
const SERVICE_JS = `
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
const out = process.env.OUT_DIR;
const name = process.env.JUPYTERHUB_SERVICE_NAME;
writeFileSync(out + '/env-' + process.pid + '.json', JSON.stringify(process.env));
const r = await fetch(process.env.JUPYTERHUB_API_URL + '/user', { headers: { authorization: 'token ' + process.env.JUPYTERHUB_API_TOKEN } });
writeFileSync(out + '/whoami-' + process.pid + '.json', JSON.stringify({ status: r.status, body: await r.json() }));
console.log('service ' + name + ' is up as ' + process.pid);
console.error('a line on stderr');
if (process.env.JUPYTERHUB_SERVICE_URL) {
  const u = new URL(process.env.JUPYTERHUB_SERVICE_URL);
  createServer((req, res) => res.end(JSON.stringify({ service: name, path: req.url }))).listen(Number(u.port), u.hostname);
}
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1 << 30);
// Written last: a start is complete when this line is there.
appendFileSync(out + '/starts-' + name, process.pid + ' ' + Date.now() + '\\n');
`;

function starts(out: string, name: string): { pid: number; at: number }[] {
  const file = join(out, `starts-${name}`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pid, at] = l.split(' ').map(Number);
      return { pid: pid!, at: at! };
    });
}

function logEntries(h: TestHub): Record<string, any>[] {
  return h.logs.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Record<string, any>);
}

describe('services', () => {
  let h: TestHub;
  let out: string;
  let backend: Server;
  let servicePort: number;
  let downPort: number;
  let stopped = false;
  const pidsSeen = new Set<number>();

  before(async () => {
    out = join(process.env.TMPDIR ?? '/tmp', `tshub-services-${process.pid}-${Date.now()}`);
    mkdirSync(out, { recursive: true });
    // A service may run as another system user (the `user` test) and must be able to write here.
    chmodSync(out, 0o777);
    writeFileSync(join(out, 'service.mjs'), SERVICE_JS);
    chmodSync(join(out, 'service.mjs'), 0o644);
    backend = createServer((req, res) => res.end(JSON.stringify({ backend: 'ext', path: req.url })));
    await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
    const backendPort = (backend.address() as { port: number }).port;
    servicePort = await freePort();
    downPort = await freePort();
    const shell = (name: string, script: string) => ({
      name,
      command: ['/bin/sh', '-c', script],
      environment: { OUT_DIR: out },
    });
    h = await startHub({
      services: [
        {
          name: 'echo',
          url: `http://127.0.0.1:${servicePort}`,
          command: [process.execPath, join(out, 'service.mjs')],
          environment: { OUT_DIR: out, EXTRA_SETTING: 'from-environment' },
          oauth_client_allowed_scopes: ['read:users:name'],
        },
        { name: 'crashy', command: [process.execPath, join(out, 'service.mjs')], environment: { OUT_DIR: out } },
        shell(
          'which',
          'command -v tshub > "$OUT_DIR/which.tmp"; tshub --version >> "$OUT_DIR/which.tmp" 2>&1; mv "$OUT_DIR/which.tmp" "$OUT_DIR/which"; exec sleep 1000',
        ),
        ...(IS_ROOT
          ? [
              {
                ...shell(
                  'asuser',
                  'echo "$(id -u) $USER $HOME $JUPYTERHUB_USER $(command -v tshub)" > "$OUT_DIR/asuser"; exec sleep 1000',
                ),
                user: 'nobody',
              },
            ]
          : []),
        {
          name: 'ext',
          url: `http://127.0.0.1:${backendPort}`,
          api_token: EXT_TOKEN,
          oauth_client_allowed_scopes: ['read:users:name'],
        },
        { name: 'down', url: `http://127.0.0.1:${downPort}` },
      ],
      load_roles: [{ name: 'user', scopes: ['self', 'access:services'] }],
    });
  });

  after(async () => {
    if (!stopped) await h.stop();
    backend.close();
    for (const pid of pidsSeen) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(out, { recursive: true, force: true });
  });

  test('a managed service gets the documented environment and its token identifies it', async () => {
    const [first] = await waitFor('echo to start', () => starts(out, 'echo').length > 0 && starts(out, 'echo'));
    pidsSeen.add(first!.pid);
    const env = JSON.parse(readFileSync(join(out, `env-${first!.pid}.json`), 'utf8')) as Record<string, string>;
    const hubApi = new URL('hub/api', h.hub.hubUrl).toString();
    assert.equal(env.JUPYTERHUB_SERVICE_NAME, 'echo');
    assert.ok(env.JUPYTERHUB_API_TOKEN && env.JUPYTERHUB_API_TOKEN.length >= 16);
    assert.equal(env.JUPYTERHUB_API_URL, hubApi);
    assert.equal(env.JUPYTERHUB_CLIENT_ID, 'service-echo');
    assert.equal(env.JUPYTERHUB_HOST, '');
    assert.equal(env.JUPYTERHUB_OAUTH_CALLBACK_URL, '/services/echo/oauth_callback');
    assert.deepEqual(JSON.parse(env.JUPYTERHUB_OAUTH_ACCESS_SCOPES!), [
      'access:services',
      'access:services!service=echo',
    ]);
    assert.deepEqual(JSON.parse(env.JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES!), ['read:users:name']);
    assert.equal(env.JUPYTERHUB_USER, '');
    assert.equal(env.JUPYTERHUB_BASE_URL, '/');
    assert.equal(env.JUPYTERHUB_PUBLIC_URL, '');
    assert.equal(env.JUPYTERHUB_SERVICE_URL, `http://127.0.0.1:${servicePort}`);
    assert.equal(env.JUPYTERHUB_SERVICE_PREFIX, '/services/echo/');
    assert.equal(env.EXTRA_SETTING, 'from-environment');
    assert.ok(!('JUPYTERHUB_ACTIVITY_URL' in env), 'services get no activity URL');
    assert.ok(existsSync(join(env.PATH!.split(':')[0]!, 'tshub')), 'the first PATH entry holds tshub');
    // The hub's own environment (e.g. the proxy's secret) is not passed on.
    assert.ok(!('CONFIGPROXY_AUTH_TOKEN' in env));

    const who = await waitFor(
      'whoami',
      () =>
        existsSync(join(out, `whoami-${first!.pid}.json`)) &&
        JSON.parse(readFileSync(join(out, `whoami-${first!.pid}.json`), 'utf8')),
    );
    assert.equal(who.status, 200);
    assert.equal(who.body.kind, 'service');
    assert.equal(who.body.name, 'echo');

    // Its OAuth client's secret is this run's token.
    const client = await h.hub.ctx.k
      .selectFrom('oauth_clients')
      .selectAll()
      .where('identifier', '=', 'service-echo')
      .executeTakeFirstOrThrow();
    assert.equal(client.secret_hash, digestToken(env.JUPYTERHUB_API_TOKEN!));
    assert.equal(client.redirect_uri, '/services/echo/oauth_callback');

    // pid and command in the API.
    const model = await h.request('GET', 'hub/api/services/echo');
    assert.equal(model.json.pid, first!.pid);
    assert.deepEqual(model.json.command, [process.execPath, join(out, 'service.mjs')]);
    assert.equal(model.json.prefix, '/services/echo/');

    // Reachable through the proxy under its prefix.
    const viaProxy = await waitFor('the echo route', async () => {
      const r = await fetch(new URL('services/echo/hello?x=1', h.url)).catch(() => null);
      return r?.ok && ((await r.json()) as { service: string; path: string });
    });
    assert.deepEqual(viaProxy, { service: 'echo', path: '/services/echo/hello?x=1' });

    // Its output lines are in the hub's log, tagged with its name.
    const lines = await waitFor('service output in the log', () => {
      const l = logEntries(h).filter((e) => e.service === 'echo' && (e.stream === 'stdout' || e.stream === 'stderr'));
      return l.length >= 2 && l;
    });
    assert.ok(lines.some((e) => e.stream === 'stdout' && e.msg === `service echo is up as ${first!.pid}`));
    assert.ok(lines.some((e) => e.stream === 'stderr' && e.msg === 'a line on stderr'));
  });

  test('a managed service that dies is restarted with a growing delay; each run has its own token', async () => {
    const [first] = await waitFor('crashy to start', () => starts(out, 'crashy').length > 0 && starts(out, 'crashy'));
    pidsSeen.add(first!.pid);
    const oldToken = (JSON.parse(readFileSync(join(out, `env-${first!.pid}.json`), 'utf8')) as Record<string, string>)
      .JUPYTERHUB_API_TOKEN!;
    assert.equal((await h.request('GET', 'hub/api/user', { token: oldToken })).status, 200);

    const killedAt1 = Date.now();
    process.kill(first!.pid, 'SIGKILL');
    const second = await waitFor('the first restart', () => starts(out, 'crashy')[1]);
    pidsSeen.add(second.pid);
    assert.notEqual(second.pid, first!.pid);
    assert.ok(second.at - killedAt1 >= 950, `restarted after ${second.at - killedAt1} ms, expected about 1 s`);
    // The dead run's token is revoked; the new run has a new one that works.
    assert.equal((await h.request('GET', 'hub/api/user', { token: oldToken })).status, 403);
    const newToken = (JSON.parse(readFileSync(join(out, `env-${second.pid}.json`), 'utf8')) as Record<string, string>)
      .JUPYTERHUB_API_TOKEN!;
    assert.notEqual(newToken, oldToken);
    assert.equal((await h.request('GET', 'hub/api/user', { token: newToken })).json.name, 'crashy');
    assert.equal((await h.request('GET', 'hub/api/services/crashy')).json.pid, second.pid);

    // Dying again soon after: the delay doubles.
    const killedAt2 = Date.now();
    process.kill(second.pid, 'SIGKILL');
    const third = await waitFor('the second restart', () => starts(out, 'crashy')[2]);
    pidsSeen.add(third.pid);
    assert.ok(third.at - killedAt2 >= 1950, `restarted after ${third.at - killedAt2} ms, expected about 2 s`);
    const logs = logEntries(h).filter((e) => e.service === 'crashy');
    assert.ok(logs.some((e) => /exited with signal SIGKILL/.test(e.msg)));
    assert.deepEqual(
      logs.filter((e) => e.delay_ms !== undefined).map((e) => e.delay_ms),
      [1000, 2000],
    );
  });

  test("tshub is first on a managed service's PATH and runs this installation", async () => {
    const text = await waitFor(
      'the which file',
      () => existsSync(join(out, 'which')) && readFileSync(join(out, 'which'), 'utf8'),
      20_000,
    );
    const [path, version] = text.trim().split('\n');
    assert.ok(path!.endsWith('/tshub'), text);
    assert.match(readFileSync(path!, 'utf8'), /bin\/tshub\.js/);
    assert.equal(version, TSHUB_VERSION);
  });

  test('a service with `user` runs as that system user (hub as root)', { skip: !IS_ROOT && 'needs root' }, async () => {
    const text = await waitFor(
      'the asuser file',
      () => existsSync(join(out, 'asuser')) && readFileSync(join(out, 'asuser'), 'utf8'),
    );
    const [uid, user, home, jhUser, tshub] = text.trim().split(' ');
    assert.equal(uid, '65534');
    assert.equal(user, 'nobody');
    assert.equal(home, '/nonexistent');
    assert.equal(jhUser, 'nobody');
    assert.ok(tshub!.endsWith('/tshub'));
    assert.equal(dirname(tshub!), dirname(readFileSync(join(out, 'which'), 'utf8').split('\n')[0]!));
  });

  test('an external service: proxy route, OAuth client, token; an unreachable one is logged', async () => {
    const r = await fetch(new URL('services/ext/some/page', h.url));
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { backend: 'ext', path: '/services/ext/some/page' });
    const routes = await h.request('GET', 'hub/api/proxy');
    assert.ok('/services/ext/' in routes.json && '/services/down/' in routes.json && '/services/echo/' in routes.json);
    assert.equal(routes.json['/services/ext/'].data.service, 'ext');
    const client = await h.hub.ctx.k
      .selectFrom('oauth_clients')
      .selectAll()
      .where('identifier', '=', 'service-ext')
      .executeTakeFirstOrThrow();
    assert.equal(client.secret_hash, digestToken(EXT_TOKEN));
    assert.equal(client.redirect_uri, '/services/ext/oauth_callback');
    assert.deepEqual(JSON.parse(client.allowed_scopes), ['read:users:name']);
    // Services without a url get neither a route nor a client.
    assert.ok(!('/services/crashy/' in routes.json));
    assert.equal(
      await h.hub.ctx.k
        .selectFrom('oauth_clients')
        .select('id')
        .where('identifier', '=', 'service-crashy')
        .executeTakeFirst(),
      undefined,
    );
    const ext = await h.request('GET', 'hub/api/services/ext');
    assert.deepEqual([ext.json.pid, ext.json.command], [0, []]);
    await waitFor('the health-check warning', () =>
      logEntries(h).some((e) => e.service === 'down' && /Cannot connect to service down/.test(e.msg)),
    );
    assert.ok(!logEntries(h).some((e) => e.service === 'ext' && /Cannot connect/.test(e.msg)));
  });

  test('managed services stop with the hub, tokens revoked, nothing left running', async () => {
    const running = ['echo', 'crashy', 'which', ...(IS_ROOT ? ['asuser'] : [])].map((n) => h.hub.ctx.services.pid(n));
    assert.ok(
      running.every((p) => typeof p === 'number'),
      `all running: ${running}`,
    );
    for (const p of running) pidsSeen.add(p!);
    const k = h.hub.ctx.k;
    const launcherDir = dirname(readFileSync(join(out, 'which'), 'utf8').split('\n')[0]!);
    // The database is closed by stop(): read the run tokens first, check them after.
    const runTokens = await k
      .selectFrom('api_tokens')
      .select(['id', 'note', 'revoked_at'])
      .where('note', 'like', 'Managed service %')
      .execute();
    assert.ok(runTokens.filter((t) => t.revoked_at === null).length >= 3);
    const t0 = Date.now();
    const db = h.hub.ctx.db;
    const originalClose = db.close;
    let leftActive = -1;
    // Count live run tokens at the moment the database is closed, i.e. after the services stopped.
    db.close = async () => {
      leftActive = (
        await k
          .selectFrom('api_tokens')
          .select('id')
          .where('note', 'like', 'Managed service %')
          .where('revoked_at', 'is', null)
          .execute()
      ).length;
      return originalClose.call(db);
    };
    stopped = true;
    await h.stop();
    assert.ok(Date.now() - t0 < 10_000);
    for (const p of running) assert.equal(isAlive(p!), false, `pid ${p} is gone`);
    assert.equal(leftActive, 0, 'every run token is revoked');
    assert.equal(existsSync(launcherDir), false, 'the launcher directory is removed');
  });
});
