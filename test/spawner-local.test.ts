// LocalProcessSpawner end to end: a throwaway system account (with a supplementary group) made for
// this test, servers started as that account, and the account removed afterwards.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, chownSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { HubError } from '../src/errors/index.ts';
import { findExecutable } from '../src/spawners/command.ts';
import { LocalProcessSpawner, spawnerFactory } from '../src/spawners/index.ts';
import { lookupSystemUser, type SystemUser } from '../src/spawners/system-user.ts';
import {
  Reaper,
  fakeServerCmd,
  pidExists,
  singleuserEnv,
  spawnRequest,
  startFakeHub,
  tempDir,
  waitForHttp,
} from '../src/spawners/test-helpers.ts';

const isRoot = process.getuid?.() === 0;
const SINGLEUSER = findExecutable('jupyterhub-singleuser', process.env.PATH, '/');

describe('LocalProcessSpawner', {
  skip: isRoot ? false : 'creating a system user and switching to it needs root',
}, () => {
  const reaper = new Reaper();
  const suffix = randomBytes(3).toString('hex');
  const name = `tshubt${suffix}`;
  const group = `tshubg${suffix}`;
  let account: SystemUser;
  let groupId: number;
  const dir = tempDir();
  const cmd = fakeServerCmd(dir);

  before(async () => {
    execFileSync('groupadd', [group]);
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--groups', group, name]);
    account = (await lookupSystemUser(name))!;
    groupId = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
  });

  after(async () => {
    await reaper.reap();
    // userdel refuses while the account still has processes; the reaper has just killed them.
    try {
      execFileSync('userdel', ['--remove', name], { stdio: 'ignore' });
    } catch {
      // did not get as far as creating it
    }
    try {
      execFileSync('groupdel', [group], { stdio: 'ignore' });
    } catch {
      // likewise
    }
  });

  test('runs as the system user: uid, gid, supplementary groups, HOME/USER/SHELL, home as cwd', async () => {
    const stateDir = tempDir();
    const req = spawnRequest({
      stateDir,
      user: name,
      env: { JUPYTERHUB_API_TOKEN: 'tok' },
      config: { class: 'local', cmd },
    });
    const s = reaper.track(spawnerFactory(req.config).create(req));
    assert.ok(s instanceof LocalProcessSpawner);
    const url = await s.start();
    const info = (await (await fetch(url)).json()) as {
      uid: number;
      gid: number;
      groups: number[];
      cwd: string;
      argv: string[];
      env: Record<string, string>;
    };
    assert.equal(info.uid, account.uid);
    assert.equal(info.gid, account.gid);
    assert.deepEqual([...info.groups].sort(), [account.gid, groupId].sort());
    assert.equal(info.cwd, account.home);
    assert.equal(info.env.HOME, account.home);
    assert.equal(info.env.USER, name);
    assert.equal(info.env.SHELL, '/bin/sh');
    assert.equal(info.env.JUPYTERHUB_SERVICE_URL, `${url}/`);
    assert.deepEqual(info.argv, [], 'no --allow-root for an ordinary account');
    assert.match(readFileSync(s.logFile!, 'utf8'), /fake server listening/);
    assert.equal(await s.poll(), null);

    // A restored spawner (as after a hub restart) stops it.
    const pid = s.state().pid as number;
    const restored = reaper.track(new LocalProcessSpawner(req, JSON.parse(JSON.stringify(s.state()))));
    assert.equal(await restored.poll(), null);
    await restored.stop();
    assert.equal(pidExists(pid), false);
    assert.equal(typeof (await restored.poll()), 'number');
  });

  test('notebook_dir that exists becomes the working directory', async () => {
    const nb = `${account.home}/notebooks`;
    mkdirSync(nb, { recursive: true });
    chownSync(nb, account.uid, account.gid);
    const req = spawnRequest({
      stateDir: tempDir(),
      user: name,
      config: { class: 'local', cmd, notebook_dir: '~/notebooks' },
    });
    const s = reaper.track(new LocalProcessSpawner(req));
    const info = (await (await fetch(await s.start())).json()) as { cwd: string; env: Record<string, string> };
    assert.equal(info.cwd, nb);
    assert.equal(info.env.JUPYTERHUB_ROOT_DIR, '~/notebooks', 'passed on for singleuser to expand');
    await s.stop();
  });

  test('the real jupyterhub-singleuser as that user', {
    skip: SINGLEUSER ? false : 'jupyterhub-singleuser is not installed',
  }, async () => {
    const hub = await startFakeHub(name);
    try {
      const req = spawnRequest({
        stateDir: tempDir(),
        user: name,
        env: singleuserEnv(hub.apiUrl, name),
        config: { class: 'local' },
      });
      const s = reaper.track(new LocalProcessSpawner(req));
      const url = await s.start();
      assert.equal(await waitForHttp(`${url}/user/${name}/api`, 30_000), 200);
      // The server answers before it logs where it serves from (jupyter-server's order): wait for the line.
      let log = '';
      for (let i = 0; i < 100 && !log.includes('Serving notebooks from local directory'); i++) {
        log = readFileSync(s.logFile!, 'utf8');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(log.includes(`Serving notebooks from local directory: ${account.home}`), log);
      assert.doesNotMatch(log, /--allow-root/);
      await s.stop();
      assert.equal(typeof (await s.poll()), 'number');
    } finally {
      await hub.close();
    }
  });

  test('no such system user → a 500 naming the user', async () => {
    const req = spawnRequest({ stateDir: tempDir(), user: 'nosuchuser-tshub', config: { class: 'local', cmd } });
    const err = await new LocalProcessSpawner(req).start().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof HubError);
    assert.equal(err.status, 500);
    assert.match(err.message, /no system user 'nosuchuser-tshub'/);
  });
});
