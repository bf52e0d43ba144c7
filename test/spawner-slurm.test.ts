import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigInput } from '../src/config/index.ts';
import { freshDatabase } from '../src/db/test-helpers.ts';
import { startHub, type TestHub } from './harness.ts';
import { freePort } from './process.ts';
import { slurmUnavailable, startSlurmCluster, type SlurmCluster } from './slurm-cluster.ts';

// Servers as jobs of a real one-node Slurm cluster (slurmctld + slurmd on 127.0.0.1, started here).

/**
 * A wrapper that reproduces the request upstream's batchspawner-singleuser (batchspawner 1.x) sends:
 * POST to JUPYTERHUB_API_URL joined with "batchspawner", the header `Authorization: token <its
 * JUPYTERHUB_API_TOKEN>`, and the JSON body {"port": N} through the same library call (requests.post
 * with json=, so the same Content-Type and encoding), a port it picked on the node; then it puts that
 * port into JUPYTERHUB_SERVICE_URL and runs the server command it was given.
 */
const UPSTREAM_STYLE_WRAPPER = `import os, socket, sys, shutil
from urllib.parse import urlparse, urlunparse
import requests
s = socket.socket()
s.bind(("", 0))
port = s.getsockname()[1]
s.close()
api_url = os.environ["JUPYTERHUB_API_URL"]
requests.post(api_url.rstrip("/") + "/batchspawner",
              headers={"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]},
              json={"port": port})
url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
os.environ["JUPYTERHUB_SERVICE_URL"] = urlunparse(url._replace(netloc=f"{url.hostname}:{port}"))
os.execv(shutil.which(sys.argv[1]), sys.argv[1:])
`;

const skip = slurmUnavailable();
if (skip) console.log(`# ${skip}`);

describe('slurm spawner on a real one-node cluster', { skip: skip ?? false }, () => {
  let cluster: SlurmCluster;
  let home = '';
  const hubs: TestHub[] = [];
  const savedConf = process.env.SLURM_CONF;

  before(async () => {
    cluster = await startSlurmCluster();
    // The hub runs in this process: its batch commands find the cluster through this variable.
    process.env.SLURM_CONF = cluster.conf;
    home = mkdtempSync(join(tmpdir(), 'tshub-slurm-home-'));
  });

  after(async () => {
    for (const h of hubs) await h.stop().catch(() => {});
    if (savedConf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = savedConf;
    await cluster?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** A hub whose servers are Slurm jobs run as root (the hub's user here), homes under `home`. */
  const hubWith = async (slurm: Record<string, unknown> = {}, extra: ConfigInput = {}): Promise<TestHub> => {
    const h = await startHub({
      slow_spawn_timeout: 90,
      ...extra,
      spawner: {
        class: 'slurm',
        // jupyter-server refuses root without it; the jobs run as root because the tests do.
        args: ['--allow-root'],
        start_timeout: 90,
        slurm: { exec_prefix: '', req_homedir: `${home}/{username}`, startup_poll_interval: 0.2, ...slurm },
        ...(extra.spawner as object),
      },
    } as ConfigInput);
    hubs.push(h);
    return h;
  };

  const addUser = async (h: TestHub, name: string) => {
    await h.addUsers([name]);
    mkdirSync(join(home, name), { recursive: true });
  };

  const jobOf = async (h: TestHub, name: string): Promise<string> => {
    const model = await h.request('GET', `hub/api/users/${name}`);
    const id = model.json.servers['']?.state?.job_id;
    assert.match(String(id), /^\d+$/, model.text);
    return String(id);
  };

  const squeue = async (job: string) => (await cluster.client('squeue', ['-h', '-j', job, '-o', '%T'])).trim();

  test('slurm: a server starts as a Slurm job, answers through the proxy, and stop cancels the job', async () => {
    const h = await hubWith({ req_memory: '300M' });
    await addUser(h, 'ann');
    const start = await h.request('POST', 'hub/api/users/ann/server');
    assert.equal(start.status, 201, start.text);
    const job = await jobOf(h, 'ann');
    assert.equal(await squeue(job), 'RUNNING');
    const show = await cluster.client('scontrol', ['show', 'job', '-o', job]);
    assert.match(show, /MinMemoryNode=300M/, 'req_memory reaches the job');
    const logs = await h.request('GET', 'hub/api/users/ann/server/logs');
    assert.equal(logs.status, 200, logs.text);
    assert.equal(logs.json.source, join(home, 'ann', `jupyterhub_slurmspawner_${job}.log`), 'the job output file');
    assert.ok(logs.json.lines.length > 0, logs.text);
    const token = await h.tokenFor('ann');
    const status = await h.request('GET', 'user/ann/api/status', { token });
    assert.equal(status.status, 200, status.text);

    const stop = await h.request('DELETE', 'hub/api/users/ann/server');
    assert.equal(stop.status, 204, stop.text);
    assert.equal(await squeue(job), '', 'the job is gone from the queue');
  });

  test('slurm: the progress stream tells the job id, why it waits in the queue, and its node', async () => {
    const h = await hubWith({ req_options: '--begin=now+3' }, { slow_spawn_timeout: 0 });
    await addUser(h, 'bea');
    const start = await h.request('POST', 'hub/api/users/bea/server');
    assert.equal(start.status, 202, start.text);
    const progress = await fetch(new URL('hub/api/users/bea/server/progress', h.url), {
      headers: { authorization: `token ${h.adminToken}` },
    });
    const text = await progress.text();
    const messages = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)).message as string);
    assert.ok(
      messages.some((m) => /^Queued as job \d+$/.test(m)),
      text,
    );
    assert.ok(messages.includes('Pending in queue (BeginTime)'), text);
    assert.ok(messages.includes('Running on localhost'), text);
    assert.ok(
      messages.some((m) => /^The server reported port \d+$/.test(m)),
      text,
    );
    assert.match(messages.at(-1) ?? '', /^Server ready/, text);
    assert.equal((await h.request('DELETE', 'hub/api/users/bea/server')).status, 204);
  });

  test('slurm: a held job shows its reason in the progress stream, and stopping the pending start cancels it', async () => {
    const h = await hubWith({ req_options: '--hold' }, { slow_spawn_timeout: 0 });
    await addUser(h, 'eve');
    assert.equal((await h.request('POST', 'hub/api/users/eve/server')).status, 202);
    const progress = await fetch(new URL('hub/api/users/eve/server/progress', h.url), {
      headers: { authorization: `token ${h.adminToken}` },
    });
    const reader = progress.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('Pending in queue (JobHeldUser)')) {
      const { value, done } = await reader.read();
      assert.ok(!done, text);
      text += value;
    }
    const job = /Queued as job (\d+)/.exec(text)?.[1];
    assert.ok(job, text);
    assert.equal(await squeue(job), 'PENDING');
    const stop = await h.request('DELETE', 'hub/api/users/eve/server');
    assert.ok(stop.status === 204 || stop.status === 202, stop.text);
    for (let i = 0; i < 40 && (await squeue(job)) !== ''; i++) await sleep(250);
    assert.equal(await squeue(job), '', 'the held job was cancelled');
    await reader.cancel();
  });

  test("slurm: a job whose command cannot run fails the spawn with the job's own error", async () => {
    const h = await hubWith({}, { spawner: { cmd: ['no-such-server-command'] } } as ConfigInput);
    await addUser(h, 'cid');
    const start = await h.request('POST', 'hub/api/users/cid/server');
    assert.equal(start.status, 500, start.text);
    assert.match(start.json.message, /ended before/, start.text);
    assert.match(start.json.message, /no-such-server-command: No such file or directory/, start.text);
    const model = await h.request('GET', 'hub/api/users/cid');
    assert.equal(model.json.server, null);
    assert.equal((await cluster.client('squeue', ['-h'])).trim(), '', 'nothing left in the queue');
  });

  test('slurm: a restarted hub re-adopts the running job by its id, and notices a scancel from outside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-slurm-db-'));
    const db = await freshDatabase(dir);
    // The server checks tokens at the hub's API, so the second hub must listen where the first did.
    const hubAt = { db_url: db.url, hub_bind_url: `http://127.0.0.1:${await freePort()}/` };
    try {
      const first = await hubWith({}, { ...hubAt, cleanup_servers: false });
      await addUser(first, 'dan');
      assert.equal((await first.request('POST', 'hub/api/users/dan/server')).status, 201);
      const job = await jobOf(first, 'dan');
      const token = await first.tokenFor('dan');
      await first.stop();
      hubs.splice(hubs.indexOf(first), 1);
      assert.equal(await squeue(job), 'RUNNING', 'the job outlives the hub');

      const second = await hubWith({}, hubAt);
      assert.equal(await jobOf(second, 'dan'), job);
      let status = await second.request('GET', 'user/dan/api/status', { token });
      for (let i = 0; i < 20 && status.status !== 200; i++) {
        await sleep(250);
        status = await second.request('GET', 'user/dan/api/status', { token });
      }
      assert.equal(status.status, 200, status.text);

      // scancel from outside: the hub's poll notices and the server is gone.
      await cluster.client('scancel', [job]);
      await second.hub.ctx.servers.pollAll();
      for (let i = 0; i < 20 && (await squeue(job)) !== ''; i++) await sleep(250);
      await second.hub.ctx.servers.pollAll();
      const model = await second.request('GET', 'hub/api/users/dan');
      assert.equal(model.json.server, null, model.text);
      const gone = await second.request('GET', 'user/dan/api/status', { token });
      assert.notEqual(gone.status, 200, 'the route went with the job');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });

  /** Writes each started server's API token to `dir`/<user> on its way to sbatch (the job's own token). */
  const capturing = (dir: string) => `printenv JUPYTERHUB_API_TOKEN > ${dir}/{username}; sbatch --parsable`;
  const tokenFile = async (file: string): Promise<string> => {
    // The shell creates the file before printenv writes to it: wait for the whole line.
    const read = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    for (let i = 0; i < 200 && !read().endsWith('\n'); i++) await sleep(100);
    const token = read().trim();
    assert.ok(token, `a token in ${file}`);
    return token;
  };

  test("slurm: upstream's batchspawner-singleuser request reports the port; a running server's report is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-slurm-tokens-'));
    try {
      const wrapper = join(dir, 'upstream-style-wrapper.py');
      writeFileSync(wrapper, UPSTREAM_STYLE_WRAPPER);
      const h = await hubWith({
        batchspawner_singleuser_cmd: `/usr/bin/python3 ${wrapper}`,
        batch_submit_cmd: capturing(dir),
      });
      await addUser(h, 'fay');
      const start = await h.request('POST', 'hub/api/users/fay/server');
      assert.equal(start.status, 201, start.text);
      const state = (await h.request('GET', 'hub/api/users/fay')).json.servers[''].state;
      assert.ok(Number.isInteger(state.port) && state.port > 0, JSON.stringify(state));
      const status = await h.request('GET', 'user/fay/api/status', { token: await h.tokenFor('fay') });
      assert.equal(status.status, 200, status.text);
      // The server is running now: nothing waits for a port any more.
      const late = await h.request('POST', 'hub/api/batchspawner', {
        body: { port: 8080 },
        token: await tokenFile(join(dir, 'fay')),
      });
      assert.equal(late.status, 400, late.text);
      assert.equal(late.json.reason, 'port_not_expected');
      assert.equal((await h.request('DELETE', 'hub/api/users/fay/server')).status, 204);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("slurm: POST /hub/api/batchspawner takes only a port, and only with the starting server's own token", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-slurm-tokens-'));
    try {
      const h = await hubWith({ req_options: '--hold', batch_submit_cmd: capturing(dir) }, { slow_spawn_timeout: 0 });
      await addUser(h, 'gil');
      assert.equal((await h.request('POST', 'hub/api/users/gil/server')).status, 202);
      const serverToken = await tokenFile(join(dir, 'gil'));
      const report = (body: unknown, token: string | null = serverToken) =>
        h.request('POST', 'hub/api/batchspawner', { body, token });
      for (const bad of [
        {},
        { port: 0 },
        { port: 65536 },
        { port: -1 },
        { port: '8080' },
        { port: 80.5 },
        { port: null },
        { port: 8080, ip: '10.0.0.9' },
        { ip: '10.0.0.9' },
        [8080],
        8080,
      ]) {
        const r = await report(bad);
        assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
      }
      const bodyless = await h.request('POST', 'hub/api/batchspawner', { rawBody: 'port=8080', token: serverToken });
      assert.equal(bodyless.status, 400, bodyless.text);
      for (const [who, token] of [
        ["the user's personal token", await h.tokenFor('gil')],
        ["an admin's token", h.adminToken],
      ] as const) {
        const r = await report({ port: 8080 }, token);
        assert.equal(r.status, 403, `${who}: ${r.text}`);
        assert.equal(r.json.reason, 'server_token_required', who);
      }
      assert.equal((await report({ port: 8080 }, null)).status, 403, 'no credentials');
      assert.equal((await report({ port: 8080 }, `${serverToken}x`)).status, 403, 'a forged token');

      // A report while the job waits in the queue is taken; the job's own wrapper reports later, and the latest counts.
      const unused = await freePort();
      const ok = await report({ port: unused });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.json, { message: 'BatchSpawner data configured' });
      const job = await jobOf(h, 'gil');
      await cluster.client('scontrol', ['release', job]);
      let model = await h.request('GET', 'hub/api/users/gil');
      for (let i = 0; i < 400 && !model.json.servers['']?.ready; i++) {
        await sleep(250);
        model = await h.request('GET', 'hub/api/users/gil');
      }
      assert.ok(model.json.servers['']?.ready, model.text);
      assert.notEqual(model.json.servers[''].state.port, unused);
      const status = await h.request('GET', 'user/gil/api/status', { token: await h.tokenFor('gil') });
      assert.equal(status.status, 200, status.text);
      assert.equal((await h.request('DELETE', 'hub/api/users/gil/server')).status, 204);
      // The stopped server's token went with it.
      assert.equal((await report({ port: 8080 })).status, 403);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
