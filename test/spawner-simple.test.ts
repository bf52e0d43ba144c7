// SimpleSpawner end to end: the real jupyterhub-singleuser against a fake hub, then the lifecycle
// edges with a tiny node HTTP server as `cmd` (fast, and able to misbehave on request).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HubError } from '../src/errors/index.ts';
import { findExecutable } from '../src/spawners/command.ts';
import { LocalProcessSpawner, SimpleSpawner, spawnerFactory } from '../src/spawners/index.ts';
import type { ProgressEvent, Spawner } from '../src/spawners/index.ts';
import { readProcStat } from '../src/spawners/proc-stat.ts';
import {
  Reaper,
  fakeServerCmd,
  pidExists,
  singleuserEnv,
  spawnRequest,
  startFakeHub,
  tempDir,
  waitForHttp,
  type FakeHub,
} from '../src/spawners/test-helpers.ts';

const reaper = new Reaper();
after(() => reaper.reap());

const SINGLEUSER = findExecutable('jupyterhub-singleuser', process.env.PATH, '/');
const isRoot = process.getuid?.() === 0;

async function progressOf(s: Spawner): Promise<string[]> {
  const out: string[] = [];
  for await (const e of s.progress() as AsyncIterable<ProgressEvent>) out.push(e.message);
  return out;
}

function pidOf(s: Spawner): number {
  const pid = s.state().pid;
  assert.equal(typeof pid, 'number');
  return pid as number;
}

/** A range of 20 ports, all free right now, away from the usual ephemeral range. */
function someRange(): [number, number] {
  const min = 20000 + Math.floor(Math.random() * 9000);
  return [min, min + 19];
}

describe('SimpleSpawner with the real jupyterhub-singleuser', {
  skip: SINGLEUSER ? false : 'jupyterhub-singleuser is not installed (Debian package jupyterhub)',
}, () => {
  let hub: FakeHub;
  before(async () => {
    hub = await startFakeHub('alice');
  });
  after(() => hub?.close());

  test('starts, serves /user/alice/api, writes its log, stops', async () => {
    const stateDir = tempDir();
    const range = someRange();
    const req = spawnRequest({ stateDir, env: singleuserEnv(hub.apiUrl), config: { port_range: range } });
    const s = reaper.track(new SimpleSpawner(req));
    const progress = progressOf(s);
    const url = await s.start();
    const port = Number(new URL(url).port);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(port >= range[0] && port <= range[1], `port ${port} in ${range}`);
    const workdir = join(stateDir, 'tshub-users', 'alice');
    assert.ok(statSync(workdir).isDirectory(), 'workdir created');

    assert.equal(await waitForHttp(`${url}/user/alice/api`, 30_000), 200);
    const status = await fetch(`${url}/user/alice/api/status`, { headers: { Authorization: 'token some-user-token' } });
    assert.equal(status.status, 200, 'a token is checked with the hub and accepted');
    assert.equal(await s.poll(), null);
    assert.deepEqual(hub.calls.slice(0, 1), ['GET /hub/api']);
    assert.ok(hub.calls.includes('GET /hub/api/user'), hub.calls.join(', '));

    const msgs = await progress;
    assert.match(msgs[0]!, /^Starting .*jupyterhub-singleuser/);
    assert.equal(msgs.at(-1), `Waiting for the server to listen on ${url}`);

    const state = s.state();
    assert.deepEqual(Object.keys(state).sort(), ['log_file', 'pid', 'port', 'start_time']);
    assert.equal(state.port, port);
    assert.equal(state.log_file, join(stateDir, 'logs', 'alice.log'));
    assert.equal(s.logFile, state.log_file);
    const log = readFileSync(s.logFile!, 'utf8');
    assert.match(log, /Starting jupyterhub-singleuser server version/);
    assert.ok(log.includes(workdir), 'serves files from the workdir');
    if (isRoot) assert.match(log, /--allow-root/);

    const pid = pidOf(s);
    assert.equal(readProcStat(pid)?.pgrp, pid, 'leads its own process group');
    await s.stop();
    assert.equal(pidExists(pid), false);
    assert.equal(typeof (await s.poll()), 'number');
    await s.stop(); // idempotent
  });

  test('a restored spawner polls and stops the same server; a killed server is noticed', async () => {
    const stateDir = tempDir();
    const req = spawnRequest({ stateDir, env: singleuserEnv(hub.apiUrl) });
    const first = reaper.track(new SimpleSpawner(req));
    const url = await first.start();
    await waitForHttp(`${url}/user/alice/api`, 30_000);

    const restored = reaper.track(spawnerFactory(req.config).restore(req, JSON.parse(JSON.stringify(first.state()))));
    assert.ok(restored instanceof SimpleSpawner);
    assert.equal(await restored.poll(), null);
    assert.equal(restored.logFile, first.logFile);
    assert.deepEqual(await progressOf(restored), []);
    await restored.stop();
    assert.equal(pidExists(pidOf(first)), false);
    assert.equal(typeof (await restored.poll()), 'number');
    assert.equal(typeof (await first.poll()), 'number');

    // Dying on its own (here: killed from outside) is seen by poll().
    const again = reaper.track(new SimpleSpawner(req));
    await again.start();
    process.kill(pidOf(again), 'SIGKILL');
    const deadline = Date.now() + 5000;
    while ((await again.poll()) === null && Date.now() < deadline) await sleep(50);
    assert.equal(await again.poll(), 137);
  });

  test('a server that exits at once rejects start() with the tail of its log', async () => {
    const stateDir = tempDir();
    const env = singleuserEnv(hub.apiUrl);
    delete env.JUPYTERHUB_API_TOKEN;
    const s = reaper.track(new SimpleSpawner(spawnRequest({ stateDir, env }), null, { startGraceMs: 10_000 }));
    const err = await s.start().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof HubError, String(err));
    assert.equal(err.status, 500);
    assert.match(err.message, /The server exited immediately with status 1: .*jupyterhub-singleuser/);
    assert.match(err.message, /JUPYTERHUB_API_TOKEN env is required/);
    assert.equal(await s.poll(), 1);
  });
});

describe('SimpleSpawner lifecycle edges (node fake server)', () => {
  const dir = tempDir();
  const cmd = fakeServerCmd(dir);

  async function startFake(
    opts: Parameters<typeof spawnRequest>[0]['config'] & {
      env?: Record<string, string>;
      stateDir?: string;
      user?: string;
      serverName?: string;
    } = {},
    spawnerOpts = {},
  ) {
    const { env, stateDir, user, serverName, ...config } = opts;
    const req = spawnRequest({
      stateDir: stateDir ?? tempDir(),
      user,
      serverName,
      env: { JUPYTERHUB_API_TOKEN: 'tok', ...env },
      config: { cmd, ...config },
    });
    const s = reaper.track(new SimpleSpawner(req, null, spawnerOpts));
    const url = await s.start();
    return {
      s,
      url,
      req,
      info: (await (await fetch(url)).json()) as { argv: string[]; cwd: string; env: Record<string, string> },
    };
  }

  test('environment: hub env kept selectively, JupyterHub variables, overrides with {username}', async () => {
    process.env.TSHUB_TEST_SECRET = 'must-not-leak';
    try {
      const stateDir = tempDir();
      const { s, url, info } = await startFake({
        stateDir,
        env: { JUPYTERHUB_USER: 'alice', JUPYTERHUB_SERVICE_URL: 'http://wrong/' },
        notebook_dir: '/data/{username}',
        default_url: '/lab',
        environment: { GREETING: 'hello {username}', JUPYTERHUB_DEFAULT_URL: '/tree' },
        args: ['--debug'],
      });
      const workdir = join(stateDir, 'tshub-users', 'alice');
      assert.equal(info.env.JUPYTERHUB_SERVICE_URL, `${url}/`);
      assert.equal(info.env.JUPYTERHUB_USER, 'alice');
      assert.equal(info.env.JUPYTERHUB_ROOT_DIR, '/data/alice');
      assert.equal(info.env.JUPYTERHUB_DEFAULT_URL, '/tree', 'environment overrides default_url');
      assert.equal(info.env.GREETING, 'hello alice');
      assert.equal(info.env.PATH, process.env.PATH);
      assert.equal(info.env.TSHUB_TEST_SECRET, undefined);
      assert.equal(info.env.HOME, workdir);
      assert.equal(info.cwd, workdir);
      assert.deepEqual(info.argv, isRoot ? ['--debug', '--allow-root'] : ['--debug']);
      await s.stop();
    } finally {
      delete process.env.TSHUB_TEST_SECRET;
    }
  });

  test('a missing command rejects with a clear message', async () => {
    const req = spawnRequest({ stateDir: tempDir(), config: { cmd: ['no-such-singleuser-cmd', '--x'] } });
    const s = reaper.track(new SimpleSpawner(req));
    await assert.rejects(
      s.start(),
      (e: unknown) =>
        e instanceof HubError &&
        e.status === 500 &&
        /command "no-such-singleuser-cmd" not found on PATH/.test(e.message),
    );
    const req2 = spawnRequest({ stateDir: tempDir(), config: { cmd: ['/nonexistent/bin/singleuser'] } });
    await assert.rejects(
      reaper.track(new SimpleSpawner(req2)).start(),
      /command "\/nonexistent\/bin\/singleuser" not found, or not executable/,
    );
    assert.equal(await s.poll(), 1);
    await s.stop();
  });

  test("exits at once → start() rejects quoting only this run's output", async () => {
    const stateDir = tempDir();
    const first = await startFake({ stateDir, env: { FAKE_EXIT_AFTER_MS: '100000' } });
    await first.s.stop();
    const s = reaper.track(new SimpleSpawner(spawnRequest({ stateDir, env: { FAKE_EXIT_NOW: '7' }, config: { cmd } })));
    const err = (await s.start().catch((e: unknown) => e)) as Error;
    assert.match(err.message, /exited immediately with status 7/);
    assert.match(err.message, /fake server failing on purpose/);
    assert.doesNotMatch(err.message, /listening/, "the earlier run's lines are not quoted");
    assert.equal(await s.poll(), 7);
    // Both runs are in the one appended log.
    assert.equal(readFileSync(join(stateDir, 'logs', 'alice.log'), 'utf8').match(/fake server starting/g)?.length, 2);
  });

  test('dies on its own → poll() returns its status', async () => {
    const { s } = await startFake({ env: { FAKE_EXIT_AFTER_MS: '1500', FAKE_EXIT_CODE: '3' } });
    assert.equal(await s.poll(), null);
    const deadline = Date.now() + 5000;
    while ((await s.poll()) === null && Date.now() < deadline) await sleep(50);
    assert.equal(await s.poll(), 3);
    assert.match(readFileSync(s.logFile!, 'utf8'), /\[tshub [^\]]+\] server \(pid \d+\) exited with status 3/);
    await s.stop();
  });

  test('stop() signals the process group: helpers the server started go too', async () => {
    const { s, info } = await startFake({ env: { FAKE_CHILD: '1' } });
    const helper = (info as unknown as { helperPid: number }).helperPid;
    reaper.pid(helper);
    assert.equal(pidExists(helper), true);
    await s.stop();
    assert.equal(pidExists(helper), false);
  });

  test('the server outlives the hub process that started it (hub crash), and a new hub stops it', async () => {
    const stateDir = tempDir();
    const script = `
      import { SimpleSpawner } from ${JSON.stringify(new URL('../src/spawners/index.ts', import.meta.url).href)};
      import { spawnRequest } from ${JSON.stringify(new URL('../src/spawners/test-helpers.ts', import.meta.url).href)};
      const s = new SimpleSpawner(spawnRequest({ stateDir: ${JSON.stringify(stateDir)}, config: { cmd: ${JSON.stringify(cmd)} } }));
      await s.start();
      console.log(JSON.stringify(s.state()));
      setInterval(() => {}, 1000);
    `;
    const hubProc = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    hubProc.stdout!.on('data', (d) => (out += d));
    const deadline = Date.now() + 10_000;
    while (!out.includes('\n') && Date.now() < deadline && hubProc.exitCode === null) await sleep(20);
    const state = JSON.parse(out) as Record<string, unknown>;
    reaper.pid(state.pid as number);
    hubProc.kill('SIGKILL');
    await once(hubProc, 'exit');
    const restored = reaper.track(new SimpleSpawner(spawnRequest({ stateDir, config: { cmd } }), state));
    assert.equal(await restored.poll(), null, 'still running after the hub died');
    assert.equal((await fetch(`http://127.0.0.1:${state.port}/`)).status, 200);
    await restored.stop();
    assert.equal(pidExists(state.pid as number), false);
  });

  test('SIGTERM ignored → SIGKILL after the wait; concurrent stops share the work', async () => {
    const { s } = await startFake({ env: { FAKE_IGNORE_TERM: '1' } }, { termTimeoutMs: 300 });
    const pid = pidOf(s);
    const t0 = Date.now();
    await Promise.all([s.stop(), s.stop()]);
    assert.ok(Date.now() - t0 >= 300);
    assert.equal(pidExists(pid), false);
    assert.equal(await s.poll(), 137);
    assert.match(readFileSync(s.logFile!, 'utf8'), /fake server ignores SIGTERM/);
  });

  test('a restored spawner never signals a process that merely reuses the pid', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore', detached: true });
    await once(other, 'spawn');
    reaper.pid(other.pid!);
    const start = readProcStat(other.pid!)!.startTime;
    const req = spawnRequest({ stateDir: tempDir() });
    const stale = new SimpleSpawner(req, { pid: other.pid, port: 1234, start_time: start - 1, log_file: '/x.log' });
    assert.equal(await stale.poll(), 1);
    await stale.stop();
    assert.equal(pidExists(other.pid!), true, 'the unrelated process survives');
    // Nonsense state: nothing to poll, nothing to signal (pid 1 would make a group kill hit everything).
    for (const state of [{ pid: 1 }, { pid: -5 }, { pid: 'x' }, { pid: process.pid }, {}]) {
      const s = new SimpleSpawner(req, state);
      assert.equal(await s.poll(), 1, JSON.stringify(state));
      await s.stop();
    }
    other.kill('SIGKILL');
  });

  test('a stop() during start() cancels it, and nothing is left running', async () => {
    const s = reaper.track(new SimpleSpawner(spawnRequest({ stateDir: tempDir(), config: { cmd } })));
    const starting = s.start();
    await s.stop();
    await assert.rejects(starting, /cancelled by a stop request/);
    assert.equal(s.state().pid, null);
    assert.equal(await s.poll(), 1);
  });

  test('named servers log to <user>-<server>.log; a second start on one spawner is refused', async () => {
    const stateDir = tempDir();
    const { s } = await startFake({ stateDir, serverName: 'lab' });
    assert.equal(s.logFile, join(stateDir, 'logs', 'alice', 'lab.log'));
    await assert.rejects(s.start(), /already started/);
    await s.stop();
  });

  test('workdir_template: absolute, created, never escaping its base', async () => {
    const base = tempDir();
    const { s, info } = await startFake({ workdir_template: `${base}/homes/{username}/work` });
    assert.equal(info.cwd, `${base}/homes/alice/work`);
    await s.stop();
    const req = spawnRequest({ stateDir: tempDir(), user: '..', config: { cmd } });
    await assert.rejects(reaper.track(new SimpleSpawner(req)).start(), /Cannot prepare the working directory/);
    assert.equal(existsSync(join(req.stateDir, 'logs')), false, 'nothing started');
  });

  test('port_range with every port taken or promised → a clear error', async () => {
    const [min] = someRange();
    const { s, url } = await startFake({ port_range: [min, min] });
    assert.equal(new URL(url).port, String(min));
    const req = spawnRequest({ stateDir: tempDir(), config: { cmd, port_range: [min, min] } });
    await assert.rejects(reaper.track(new SimpleSpawner(req)).start(), /No free port in port_range/);
    await s.stop();
  });

  test('spawnerFactory picks the class', () => {
    const req = spawnRequest({ stateDir: tempDir() });
    assert.ok(spawnerFactory({ ...req.config, class: 'simple' }).create(req) instanceof SimpleSpawner);
    assert.ok(spawnerFactory({ ...req.config, class: 'local' }).create(req) instanceof LocalProcessSpawner);
    assert.ok(spawnerFactory({ ...req.config, class: 'local' }).restore(req, {}) instanceof LocalProcessSpawner);
  });
});
