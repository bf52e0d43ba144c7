// End-to-end tests of the proxy module, run against each proxy the hub can launch: the real
// configurable-http-proxy (proxy-chp.test.ts) and `tshub proxy` (proxy-tshub.test.ts). Both must pass
// the same cases, since the hub drives them through the same client and launcher.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChpClient,
  ChpLauncher,
  ChpProxy,
  chpCommand,
  reconcileRoutes,
  hubRoute,
  startRouteChecker,
  stateFiles,
  tshubProxyCommand,
  type ChpProxyOptions,
} from '../src/proxy/index.ts';
import { isAlive } from '../src/lib/process.ts';
import { freePort, ROOT } from './process.ts';
import { Cleanup, get, openWebSocket, pgid, startBackend, type Backend } from './proxy-helpers.ts';

export type ProxyKind = 'chp' | 'tshub';

/** What differs between the two programs: how to run them, and what they call themselves. */
export function proxyProgram(kind: ProxyKind): { command: string[]; name: string } {
  return kind === 'chp'
    ? { command: chpCommand(), name: 'configurable-http-proxy' }
    : { command: tshubProxyCommand(), name: 'tshub proxy' };
}

export function proxySuite(kind: ProxyKind): void {
  const { command, name } = proxyProgram(kind);
  const c = new Cleanup();
  let hub: Backend;
  let user: Backend;

  // The test backends leave a WebSocket the proxy hung up on half-open (Node servers allow half-open
  // sockets), which server.close() would wait for forever: end them here.
  const upgraded: Duplex[] = [];
  before(async () => {
    hub = await startBackend('hub');
    user = await startBackend('alice');
    for (const b of [hub, user]) b.server.on('upgrade', (_req, socket: Duplex) => upgraded.push(socket));
  });
  after(async () => {
    await c.cleanup();
    for (const s of upgraded) s.destroy();
    await hub.close();
    await user.close();
  });

  interface Ports {
    bind: number;
    api: number;
  }
  async function ports(): Promise<Ports> {
    return { bind: await freePort(), api: await freePort() };
  }

  function chp(
    stateDir: string,
    p: Ports,
    over: Partial<ChpProxyOptions> & { token?: string | null; shouldStart?: boolean } = {},
  ): ChpProxy {
    const proxy = new ChpProxy({
      proxy: {
        should_start: over.shouldStart ?? true,
        api_url: `http://127.0.0.1:${p.api}`,
        auth_token: over.token ?? null,
      },
      bindUrl: `http://127.0.0.1:${p.bind}/`,
      hubUrl: hub.url,
      baseUrl: '/',
      stateDir,
      log: c.logger(),
      env: {},
      checkRunningMs: 0,
      startTimeoutMs: 15_000,
      command,
      ...over,
    });
    c.onCleanup(() => proxy.stop());
    return proxy;
  }

  async function started(proxy: ChpProxy, action: 'launched' | 'adopted'): Promise<number> {
    const outcome = await proxy.startProxy();
    assert.equal(outcome?.action, action);
    return c.pid(outcome.pid);
  }

  describe(name, { timeout: 50_000 }, () => {
    it('launches detached, routes HTTP and WebSockets, reports last_activity', async () => {
      const p = await ports();
      const dir = c.stateDir();
      const proxy = chp(dir, p);
      const pid = await started(proxy, 'launched');
      const files = stateFiles(dir);
      assert.equal(readFileSync(files.pid, 'utf8').trim(), String(pid));
      assert.equal(statSync(files.token).mode & 0o777, 0o600);
      assert.match(readFileSync(files.log, 'utf8'), /Proxy API at/);
      assert.equal(pgid(pid), String(pid), 'leads its own process group');
      assert.notEqual(pgid(pid), pgid(process.pid));

      assert.deepEqual(await proxy.getRoutes(), {}, 'the default route CHP made itself is not hub-managed');
      await proxy.addRoute('/', hub.url, { hub: true });
      await proxy.addRoute('/user/alice', user.url, { user: 'alice', server_name: '' });
      await proxy.addRoute('/user/a%20b/', user.url, { user: 'a b', server_name: '' });
      const routes = await proxy.getRoutes();
      assert.deepEqual(Object.keys(routes).sort(), ['/', '/user/a%20b/', '/user/alice/']);
      const alice = routes['/user/alice/']!;
      assert.equal(alice.target, user.url);
      assert.deepEqual(
        { ...alice.data, last_activity: undefined },
        { user: 'alice', server_name: '', last_activity: undefined },
      );
      assert.ok(!Number.isNaN(Date.parse(String(alice.data.last_activity))));

      assert.equal((await get(p.bind, '/user/alice/tree?x=1')).body, 'alice GET /user/alice/tree?x=1');
      assert.equal((await get(p.bind, '/user/a%20b/api')).body, 'alice GET /user/a%20b/api');
      assert.equal((await get(p.bind, '/hub/home')).body, 'hub GET /hub/home');
      const later = (await proxy.getRoutes())['/user/alice/']!.data.last_activity;
      assert.ok(
        Date.parse(String(later)) > Date.parse(String(alice.data.last_activity)),
        'traffic moved last_activity',
      );

      const ws = await openWebSocket(p.bind, '/user/alice/api/kernels/k1/channels');
      assert.equal(await ws.send('hello'), 'alice echo /user/alice/api/kernels/k1/channels hello');
      assert.equal(await ws.send('again'), 'alice echo /user/alice/api/kernels/k1/channels again');
      ws.close();

      await proxy.deleteRoute('/user/alice/');
      await proxy.deleteRoute('/user/alice/'); // already gone: fine
      assert.equal((await get(p.bind, '/user/alice/tree')).body, 'hub GET /user/alice/tree');
      assert.deepEqual(Object.keys(await proxy.getRoutes()).sort(), ['/', '/user/a%20b/']);
      await proxy.stop();
      assert.ok(isAlive(pid), 'a normal stop leaves the proxy running');
      await proxy.terminate();
      assert.ok(!isAlive(pid) && !existsSync(files.pid), 'terminate stops it and forgets it');
    });

    it('a restarted hub adopts the running proxy: same pid, open connections keep working', async () => {
      const p = await ports();
      const dir = c.stateDir();
      const first = chp(dir, p);
      const pid = await started(first, 'launched');
      await first.addRoute('/user/alice/', user.url, { user: 'alice' });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      c.onCleanup(() => agent.destroy());
      assert.equal((await get(p.bind, '/user/alice/1', agent)).body, 'alice GET /user/alice/1');
      const ws = await openWebSocket(p.bind, '/user/alice/ws');
      assert.match(await ws.send('before'), /before$/);
      await first.stop();

      const second = chp(dir, p);
      assert.equal(await started(second, 'adopted'), pid);
      assert.equal(second.launcher?.token, first.launcher?.token, 'the kept token');
      assert.ok(c.logs.some((l) => l.includes('adopting the proxy already running')));
      const again = await get(p.bind, '/user/alice/2', agent);
      assert.deepEqual(again, { status: 200, body: 'alice GET /user/alice/2', reused: true });
      assert.match(await ws.send('after'), /after$/);
      ws.close();
      assert.deepEqual(Object.keys(await second.getRoutes()), ['/user/alice/']);
      await second.stop();
      // A hub that moved is no reason to cut connections either (only a changed listen address is).
      assert.equal(await started(chp(dir, p, { hubUrl: user.url }), 'adopted'), pid);
      assert.ok(c.logs.some((l) => l.includes('started for another hub URL')));
    });

    it('a hub killed together with its process group leaves the proxy running', async () => {
      const p = await ports();
      const dir = c.stateDir();
      const script = `
        const { ChpProxy } = await import(${JSON.stringify(new URL('../src/proxy/index.ts', import.meta.url).href)});
        const { default: pino } = await import('pino');
        const proxy = new ChpProxy({ proxy: { should_start: true, api_url: 'http://127.0.0.1:${p.api}', auth_token: null },
          bindUrl: 'http://127.0.0.1:${p.bind}/', hubUrl: ${JSON.stringify(hub.url)}, baseUrl: '/', stateDir: ${JSON.stringify(dir)}, log: pino({ level: 'silent' }),
          command: ${JSON.stringify(command)} });
        console.log((await proxy.startProxy()).pid);
        setInterval(() => {}, 1000);`;
      const fakeHub = spawn(process.execPath, ['--input-type=module', '-e', script], {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      c.pid(fakeHub.pid);
      const [line] = (await once(fakeHub.stdout!, 'data')) as [Buffer];
      const pid = c.pid(Number(line.toString().trim()));
      process.kill(-fakeHub.pid!, 'SIGTERM');
      await once(fakeHub, 'exit');
      await sleep(200);
      assert.ok(isAlive(pid), 'the proxy outlived the hub');
      assert.equal(await started(chp(dir, p), 'adopted'), pid);
    });

    it('starts fresh over a stale pid file, without killing a stranger that reused the pid', async () => {
      const p = await ports();
      const dir = c.stateDir();
      const dead = spawn(process.execPath, ['-e', '']);
      await new Promise((r) => dead.once('exit', r));
      writeFileSync(stateFiles(dir).pid, `${dead.pid}\n`);
      await started(chp(dir, p), 'launched');

      const p2 = await ports();
      const dir2 = c.stateDir();
      writeFileSync(stateFiles(dir2).pid, `${process.pid}\n`); // alive, but not a proxy: must survive
      await started(chp(dir2, p2), 'launched');
      assert.ok(isAlive(process.pid));
    });

    it('replaces its own proxy that rejects the token, hangs, or was launched with other settings', async () => {
      const p = await ports();
      const dir = c.stateDir();
      const one = await started(chp(dir, p, { token: 'token-one' }), 'launched');
      const two = await started(chp(dir, p, { token: 'token-two' }), 'launched');
      assert.notEqual(two, one);
      assert.ok(!isAlive(one), 'the proxy with the old token was stopped');

      process.kill(two, 'SIGSTOP');
      const three = await started(chp(dir, p, { token: 'token-two', probeTimeoutMs: 500 }), 'launched');
      assert.ok(!isAlive(two), 'the hung proxy was stopped');

      const moved = { ...p, bind: await freePort() };
      const four = await started(chp(dir, moved, { token: 'token-two' }), 'launched');
      assert.ok(!isAlive(three), 'relaunched for the new bind_url');
      assert.equal((await get(moved.bind, '/x')).body, 'hub GET /x');
      assert.ok(isAlive(four));
    });

    it('reconcileRoutes adds, fixes and removes only hub-managed routes', async () => {
      const p = await ports();
      const proxy = chp(c.stateDir(), p);
      await started(proxy, 'launched');
      await proxy.client.postRoute('/foreign/', { target: 'http://127.0.0.1:9' }); // not ours: no marker
      await proxy.addRoute('/user/bob/', 'http://127.0.0.1:1', { user: 'bob', server_name: '' });
      await proxy.addRoute('/user/gone/', 'http://127.0.0.1:2', { user: 'gone', server_name: '' });
      const log = c.logger();
      const wanted = {
        ...hubRoute(hub.url),
        '/user/alice/': { target: user.url, data: { user: 'alice', server_name: '' } },
        '/user/bob/': { target: user.url, data: { user: 'bob', server_name: '' } },
      };
      assert.deepEqual(await reconcileRoutes(proxy, wanted, log), {
        added: ['/', '/user/alice/'],
        updated: ['/user/bob/'],
        removed: ['/user/gone/'],
      });
      assert.deepEqual(await reconcileRoutes(proxy, wanted, log), { added: [], updated: [], removed: [] });
      const all = await proxy.client.getChpRoutes();
      assert.deepEqual(Object.keys(all).sort(), ['/', '/foreign', '/user/alice', '/user/bob']);
      assert.equal(all['/']!.target, hub.url);
      assert.equal((await get(p.bind, '/user/bob/x')).body, 'alice GET /user/bob/x');
    });

    it('relaunches a proxy that died and puts the routes back', async () => {
      const wanted = () => ({ ...hubRoute(hub.url), '/user/alice/': { target: user.url, data: { user: 'alice' } } });
      // The liveness watch (JupyterHub's check_running) notices within its interval.
      const p = await ports();
      let restored = 0;
      const watched: ChpProxy = chp(c.stateDir(), p, {
        checkRunningMs: 100,
        onRestart: async () => {
          await reconcileRoutes(watched, wanted(), c.logger());
          restored++;
        },
      });
      const pid = await started(watched, 'launched');
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && restored === 0; i++) await sleep(100);
      assert.equal(restored, 1);
      assert.notEqual(c.pid(watched.launcher?.pid), pid);
      assert.equal((await get(p.bind, '/user/alice/x')).body, 'alice GET /user/alice/x');

      // Without the watch, the periodic route check finds the proxy gone and relaunches it.
      const q = await ports();
      const proxy = chp(c.stateDir(), q);
      const checker = startRouteChecker({ proxy, log: c.logger(), intervalSeconds: 3600, wanted });
      c.onCleanup(() => checker.stop());
      const old = await started(proxy, 'launched');
      assert.deepEqual((await checker.runNow()).added, ['/', '/user/alice/']);
      process.kill(old, 'SIGKILL');
      assert.deepEqual((await checker.runNow()).added, ['/', '/user/alice/']);
      assert.notEqual(c.pid(proxy.launcher?.pid), old);
      assert.equal((await get(q.bind, '/user/alice/y')).body, 'alice GET /user/alice/y');
    });

    it('should_start: false uses a proxy started elsewhere and never stops it', async () => {
      const p = await ports();
      const external = spawn(
        command[0]!,
        [
          ...command.slice(1),
          '--ip',
          '127.0.0.1',
          '--port',
          String(p.bind),
          '--api-ip',
          '127.0.0.1',
          '--api-port',
          String(p.api),
          '--default-target',
          hub.url,
        ],
        {
          detached: true,
          stdio: 'ignore',
          env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: 'external-token' },
        },
      );
      external.unref();
      const pid = c.pid(external.pid);
      const probe = new ChpClient({ apiUrl: `http://127.0.0.1:${p.api}`, authToken: 'external-token' });
      for (let i = 0; i < 100 && (await probe.probe(500)).state !== 'ok'; i++) await sleep(100);
      probe.close();

      assert.throws(
        () => chp(c.stateDir(), p, { shouldStart: false }),
        /proxy.auth_token \(or CONFIGPROXY_AUTH_TOKEN\) is required/,
      );
      await assert.rejects(
        chp(c.stateDir(), p, { shouldStart: false, token: 'nope' }).start(),
        /answered 403 to GET \/api\/routes \(wrong token/,
      );
      const proxy = chp(c.stateDir(), p, { shouldStart: false, env: { CONFIGPROXY_AUTH_TOKEN: 'external-token' } });
      assert.equal(await proxy.startProxy(), null);
      await proxy.addRoute('/user/alice/', user.url, { user: 'alice' });
      assert.equal((await get(p.bind, '/user/alice/')).body, 'alice GET /user/alice/');
      await proxy.stop({ kill: true });
      assert.ok(isAlive(pid), 'an external proxy is never stopped');
      const nothing = await ports();
      await assert.rejects(
        chp(c.stateDir(), nothing, { shouldStart: false, token: 't' }).start(),
        new RegExp(`cannot reach the proxy API at http://127.0.0.1:${nothing.api}`),
      );
    });

    it('fails clearly when a port is taken or the proxy cannot start', async () => {
      const busy = createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
      c.onCleanup(() => busy.close());
      const port = (busy.address() as { port: number }).port;
      const dir = c.stateDir();
      await assert.rejects(
        chp(dir, { bind: port, api: await freePort() }).start(),
        new RegExp(
          `cannot start the proxy on bind_url http://127.0.0.1:${port}/: another program already listens on http://127.0.0.1:${port}`,
        ),
      );
      await assert.rejects(
        chp(dir, { bind: await freePort(), api: port }).start(),
        /proxy.api_url .* another program listens there and does not answer as a proxy/,
      );
      const squatter = await startBackend('squatter'); // answers 200 text, not a routing table
      c.onCleanup(() => squatter.close());
      await assert.rejects(
        chp(dir, { bind: await freePort(), api: Number(new URL(squatter.url).port) }).start(),
        /answers 200 to GET \/api\/routes.*tshub will not stop it/,
      );

      // CHP survives a failed listen and only logs it: caught from its log, the process is stopped.
      const unroutable = chp(
        dir,
        { bind: await freePort(), api: await freePort() },
        { bindUrl: 'http://192.0.2.1:8000/' },
      );
      await assert.rejects(unroutable.start(), (err: Error) => {
        // CHP logs the failed listen and keeps running; tshub proxy exits: either way the cause is shown.
        assert.ok(err.message.startsWith(`could not start ${name} on http://192.0.2.1:8000/ `), err.message);
        assert.match(
          err.message,
          /(the proxy reported: listen EADDRNOTAVAIL|the proxy exited with code 1; last lines of [\s\S]*EADDRNOTAVAIL)/,
        );
        assert.ok(err.message.includes(`tshub starts ${name} --ip 192.0.2.1`), err.message);
        return true;
      });
      assert.ok(!existsSync(stateFiles(dir).pid), 'no pid file left behind');

      const exits = new ChpLauncher({
        bindUrl: `http://127.0.0.1:${await freePort()}/`,
        apiUrl: `http://127.0.0.1:${await freePort()}`,
        hubUrl: hub.url,
        baseUrl: '/',
        stateDir: dir,
        authToken: 't',
        log: c.logger(),
        command: [process.execPath, '-e', 'console.error("bad option"); process.exit(3)', '--'],
      });
      await assert.rejects(exits.start(), /the proxy exited with code 3; last lines of [\s\S]*bad option/);
    });
  });
}
