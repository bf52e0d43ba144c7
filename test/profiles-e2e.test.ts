// Profiles with real jupyterhub-singleuser servers: the chosen profile's overrides reach the server's
// environment through the API and through the spawn page's form in headless Chromium, and a restart
// without options runs the stored profile again; with the docker spawner a profile picks the image and
// the memory limit the engine gets.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { dockerSkipReason, startDockerEngine, type DockerEngine } from './docker-engine.ts';
import { freshDatabase } from '../src/db/test-helpers.ts';
import { startHub, type TestHub } from './harness.ts';
import { freePort } from './process.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

const PROFILES = [
  { display_name: 'Plain', spawner_override: { environment: { PROFILE: 'plain' } } },
  {
    display_name: 'Tuned',
    description: 'With a flavour of your choice',
    spawner_override: { environment: { PROFILE: 'tuned' } },
    profile_options: {
      flavour: {
        display_name: 'Flavour',
        choices: {
          vanilla: { display_name: 'Vanilla', spawner_override: { environment: { FLAVOUR: 'vanilla' } } },
          mint: { display_name: 'Mint', spawner_override: { environment: { FLAVOUR: 'mint' } } },
        },
        unlisted_choice: {
          enabled: true,
          display_name: 'Your own flavour',
          validation_regex: '^[a-z]+$',
          kubespawner_override: { environment: { FLAVOUR: 'own-{value}' } },
        },
      },
    },
  },
];

/** The environment of a user's running server process, read from /proc through the pid in its state. */
async function serverEnv(h: TestHub, user: string): Promise<Record<string, string>> {
  const model = await h.request('GET', `hub/api/users/${user}`);
  const pid = model.json.servers['']?.state?.pid;
  assert.ok(pid, JSON.stringify(model.json.servers));
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

async function waitReady(h: TestHub, user: string): Promise<any> {
  for (const deadline = Date.now() + 90_000; ; await new Promise((r) => setTimeout(r, 250))) {
    const server = (await h.request('GET', `hub/api/users/${user}`)).json.servers[''];
    if (server?.ready) return server;
    assert.ok(Date.now() < deadline, `${user}'s server did not become ready: ${JSON.stringify(server)}`);
  }
}

describe('profiles with real servers', () => {
  let h: TestHub;
  before(async () => {
    h = await startHub({
      slow_spawn_timeout: 0,
      spawner: {
        profile_list: PROFILES,
        group_overrides: {
          '02-lab-later': { groups: ['lab'], spawner_override: { environment: { ORDER: 'second' } } },
          '01-lab': {
            groups: ['other', 'lab'],
            spawner_override: { environment: { GROUP: 'lab', ORDER: 'first', PROFILE: 'group' } },
          },
        },
      },
    });
    await h.addUsers(['alice', 'bob', 'carl']);
  });
  after(() => h?.stop());

  test('the API: a profile and a typed value reach the server; a restart without options runs them again', async () => {
    const body = { profile: 'tuned', 'flavour--unlisted-choice': 'lemon' };
    const r = await h.request('POST', 'hub/api/users/alice/server', { body });
    assert.ok([201, 202].includes(r.status), r.text);
    const server = await waitReady(h, 'alice');
    assert.deepEqual(server.user_options, body);
    let env = await serverEnv(h, 'alice');
    assert.equal(env.PROFILE, 'tuned');
    assert.equal(env.FLAVOUR, 'own-lemon');

    assert.ok([202, 204].includes((await h.request('DELETE', 'hub/api/users/alice/server')).status));
    const again = await h.request('POST', 'hub/api/users/alice/server');
    assert.ok([201, 202].includes(again.status), again.text);
    await waitReady(h, 'alice');
    env = await serverEnv(h, 'alice');
    assert.equal(env.FLAVOUR, 'own-lemon');

    // No profile named: the default (first) one.
    await h.request('DELETE', 'hub/api/users/alice/server');
    await h.request('POST', 'hub/api/users/alice/server', { body: { profile: '' } });
    assert.deepEqual((await waitReady(h, 'alice')).user_options, { profile: 'plain' });
    await h.request('DELETE', 'hub/api/users/alice/server');
  });

  test("group_overrides reach a member's server in sorted order, before the profile's overrides", async () => {
    assert.equal((await h.request('POST', 'hub/api/groups/lab', { body: { users: ['carl'] } })).status, 201);
    const r = await h.request('POST', 'hub/api/users/carl/server', { body: { profile: 'plain' } });
    assert.ok([201, 202].includes(r.status), r.text);
    await waitReady(h, 'carl');
    const env = await serverEnv(h, 'carl');
    assert.equal(env.GROUP, 'lab');
    assert.equal(env.ORDER, 'second');
    assert.equal(env.PROFILE, 'plain');
    await h.request('DELETE', 'hub/api/users/carl/server');
  });

  test('Chromium: pick a profile and a choice on the spawn page, start, the server runs with them', {
    skip: CHROMIUM ? false : 'no chromium',
  }, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await (await browser.newContext()).newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(new URL('hub/login?next=/hub/spawn', h.url).toString());
      await page.getByLabel('Username').fill('bob');
      await page.getByLabel('Password').fill('any');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/hub\/spawn$/);
      assert.ok(await page.getByLabel('Plain').isChecked(), 'the default profile is picked');
      await page.getByLabel('Tuned').check();
      await page.getByLabel('Flavour', { exact: true }).selectOption('vanilla');
      await page.getByRole('button', { name: 'Start' }).click();
      await page.waitForURL(/\/user\/bob\//, { timeout: 90_000 });
      const env = await serverEnv(h, 'bob');
      assert.equal(env.PROFILE, 'tuned');
      assert.equal(env.FLAVOUR, 'vanilla');
      assert.deepEqual((await waitReady(h, 'bob')).user_options, { profile: 'tuned', flavour: 'vanilla' });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await h.request('DELETE', 'hub/api/users/bob/server');
    }
  });
});

describe('profiles with the docker spawner', { skip: dockerSkipReason() }, () => {
  let engine: DockerEngine;
  let h: TestHub | undefined;
  before(async () => {
    engine = await startDockerEngine();
  });
  after(async () => {
    await h?.stop();
    await engine?.stop();
  });

  test("a profile's image and mem_limit reach the container; stop removes it", async () => {
    // The default image does not exist: only the profile's override can start a server.
    await engine.docker.getImage(engine.image).tag({ repo: 'tshub-profile', tag: 'big' });
    h = await startHub({
      slow_spawn_timeout: 60,
      spawner: {
        class: 'docker',
        environment: { HOME: '/tmp' },
        start_timeout: 120,
        http_timeout: 120,
        docker: {
          host: engine.host,
          image: 'tshub-missing:1',
          pull_policy: 'never',
          read_only_volumes: engine.hostMounts,
          extra_create_kwargs: { user: '65534:65534' },
          remove: true,
        },
        profile_list: [
          { display_name: 'Nothing' },
          {
            display_name: 'Big',
            kubespawner_override: { image: 'tshub-profile:big', mem_limit: '256M', environment: { SIZE: 'big' } },
          },
        ],
      },
    });
    await h.addUsers(['carol']);
    const r = await h.request('POST', 'hub/api/users/carol/server', { body: { profile: 'big' } });
    assert.ok([201, 202].includes(r.status), r.text);
    const server = await waitReady(h, 'carol');
    const info = await engine.docker.getContainer(String(server.state.container_id)).inspect();
    assert.equal(info.Config.Image, 'tshub-profile:big');
    assert.equal(info.HostConfig.Memory, 256 * 1024 * 1024);
    assert.ok(info.Config.Env.includes('SIZE=big'));
    assert.ok([202, 204].includes((await h.request('DELETE', 'hub/api/users/carol/server')).status));
    for (let i = 0; (await engine.docker.listContainers({ all: true })).length > 0; i++) {
      assert.ok(i < 150, 'the container is removed after the stop');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  test("a restarted hub re-adopts a server with its profile's settings: the profile's remove still applies at stop", async () => {
    await engine.docker.getImage(engine.image).tag({ repo: 'tshub-profile', tag: 'big' });
    const dir = mkdtempSync(join(tmpdir(), 'tshub-profile-restart-'));
    const db = await freshDatabase(dir);
    // The server checks tokens at the hub's API, so the second hub listens where the first did.
    const at = { db_url: db.url, hub_bind_url: `http://127.0.0.1:${await freePort()}/`, cleanup_servers: false };
    const config = {
      ...at,
      slow_spawn_timeout: 60,
      spawner: {
        class: 'docker' as const,
        environment: { HOME: '/tmp' },
        start_timeout: 120,
        http_timeout: 120,
        docker: {
          host: engine.host,
          image: 'tshub-missing:1',
          pull_policy: 'never' as const,
          read_only_volumes: engine.hostMounts,
          extra_create_kwargs: { user: '65534:65534' },
          // Only the profile removes its containers: a hub that forgot the profile would keep this one.
          remove: false,
        },
        profile_list: [
          { display_name: 'Nothing' },
          { display_name: 'Big', kubespawner_override: { image: 'tshub-profile:big', remove: true } },
        ],
      },
    };
    let first: TestHub | undefined;
    let second: TestHub | undefined;
    try {
      first = await startHub(config);
      await first.addUsers(['dora']);
      const r = await first.request('POST', 'hub/api/users/dora/server', { body: { profile: 'big' } });
      assert.ok([201, 202].includes(r.status), r.text);
      const id = String((await waitReady(first, 'dora')).state.container_id);
      await first.stop();
      first = undefined;
      second = await startHub(config);
      assert.equal((await waitReady(second, 'dora')).state.container_id, id, 're-adopted');
      assert.ok([202, 204].includes((await second.request('DELETE', 'hub/api/users/dora/server')).status));
      const left = async () => (await engine.docker.listContainers({ all: true })).filter((c) => c.Id === id);
      for (let i = 0; (await left()).length > 0; i++) {
        assert.ok(i < 150, "the profile's remove: true removes the re-adopted server's container at stop");
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await first?.stop();
      await second?.stop();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
