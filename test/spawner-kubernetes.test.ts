// The kubernetes spawner end to end, against the in-repo Kubernetes API simulator (test/k8s-sim): no real
// API server can run on these machines, so every test here says "simulated". The simulator's kubelet runs
// each pod's command as a local process, so Debian's real jupyterhub-singleuser answers through the proxy.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigInput } from '../src/config/index.ts';
import { isAlive, killGroup } from '../src/lib/process.ts';
import { readPid, stateFiles } from '../src/proxy/state-files.ts';
import { startHub, type TestHub } from './harness.ts';
import { NS, type SimFixture, startSimFixture } from './kubernetes-fixture.ts';
import { spawnHub, writeHubConfig } from './process.ts';

/** Slow enough that a test can act between a pod's steps (created, scheduled, pulled, started). */
const STEP_MS = 150;

describe('kubernetes spawner against the simulated Kubernetes API', () => {
  let f: SimFixture;
  let sim: SimFixture['sim'];
  const hubs: TestHub[] = [];
  before(async () => {
    f = await startSimFixture(STEP_MS);
    sim = f.sim;
  });
  after(async () => {
    for (const h of hubs) await h.stop().catch(() => {});
    await f?.close();
  });
  const spawner: SimFixture['spawner'] = (...a) => f.spawner(...a);
  const podOf: SimFixture['podOf'] = (name) => f.podOf(name);

  async function hubWith(overrides: ConfigInput): Promise<TestHub> {
    const h = await startHub({ slow_spawn_timeout: 60, ...overrides });
    hubs.push(h);
    return h;
  }

  async function waitReady(h: TestHub, name: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = (await h.request('GET', `hub/api/users/${name}`)).json.servers?.[''];
      if (s?.ready) return;
      assert.ok(s, `the server of ${name} went away while starting: ${h.logs.slice(-20).join('')}`);
      assert.ok(Date.now() < deadline, `${name}'s server did not become ready`);
      await sleep(200);
    }
  }

  async function gone(name: string): Promise<void> {
    for (let i = 0; podOf(name) !== undefined; i++) {
      assert.ok(i < 150, `pod ${name} is deleted`);
      await sleep(100);
    }
  }

  test('simulated: spawn, the progress stream shows the pod events, the notebook answers through the proxy, stop deletes the pod', async () => {
    const h = await hubWith({ spawner: spawner() });
    await h.addUsers(['alice']);
    const started = h.request('POST', 'hub/api/users/alice/server');
    // Read the stream while the spawn is pending: it replays what happened so far, then follows.
    for (let i = 0; !(await h.request('GET', 'hub/api/users/alice')).json.servers?.['']; i++) {
      assert.ok(i < 100, 'the spawn begins');
      await sleep(50);
    }
    const progress = await h.request('GET', 'hub/api/users/alice/server/progress');
    const r = await started;
    assert.ok(r.status === 201 || r.status === 202, r.text);
    assert.match(progress.text, /\[Normal\] Successfully assigned jhub\/jupyter-alice/, progress.text);
    assert.match(progress.text, /\[Normal\] Pulling image/);
    await waitReady(h, 'alice');

    const token = await h.tokenFor('alice');
    const status = await h.request('GET', 'user/alice/api/status', { token });
    assert.equal(status.status, 200, status.text);

    const state = (await h.request('GET', 'hub/api/users/alice')).json.servers[''].state;
    assert.equal(state.pod_name, 'jupyter-alice');
    assert.equal(state.namespace, NS);
    assert.equal(state.dns_name, 'jupyter-alice.jhub.svc.cluster.local');
    const pod = podOf('jupyter-alice')!;
    assert.equal(pod.metadata.labels['hub.jupyter.org/username'], 'alice');
    assert.equal(pod.metadata.labels['app.kubernetes.io/managed-by'], 'tshub');

    const stop = await h.request('DELETE', 'hub/api/users/alice/server');
    assert.ok(stop.status === 204 || stop.status === 202, stop.text);
    await gone('jupyter-alice');
  });

  test('simulated: a bad image fails fast with the event message, not after start_timeout, and the pod is deleted', async () => {
    const h = await hubWith({ spawner: spawner({ image: 'bad/no-such-image:1' }) });
    await h.addUsers(['bob']);
    const began = Date.now();
    const r = await h.request('POST', 'hub/api/users/bob/server');
    assert.equal(r.status, 500, r.text);
    assert.ok(Date.now() - began < 20_000, `failed in ${Date.now() - began} ms, well before start_timeout`);
    assert.match(r.json.message, /Failed to pull image "bad\/no-such-image:1"/);
    const progress = await h.request('GET', 'hub/api/users/bob/server/progress');
    assert.match(progress.text, /"failed":true[^\n]*Failed to pull image/, 'the progress stream says why');
    await gone('jupyter-bob');
  });

  test('simulated: a pod no node can take fails fast with the FailedScheduling message', async () => {
    const h = await hubWith({ spawner: spawner({}, { mem_guarantee: '100G' }) });
    await h.addUsers(['gus']);
    const began = Date.now();
    const r = await h.request('POST', 'hub/api/users/gus/server');
    assert.equal(r.status, 500, r.text);
    assert.ok(Date.now() - began < 20_000, `failed in ${Date.now() - began} ms`);
    assert.match(r.json.message, /0\/1 nodes are available: 1 Insufficient memory/);
    await gone('jupyter-gus');
  });

  test('simulated: a watch dropped mid-spawn recovers and the spawn completes; a stalled watch is replaced', async () => {
    const h = await hubWith({ spawner: spawner() });
    await h.addUsers(['carol', 'dave']);
    // Other tests' hubs watch too: wait until as many watches are open as before the drop.
    let watching = 0;
    const openWatches = async () => {
      for (let i = 0; sim.control.openWatches() < watching; i++) {
        assert.ok(i < 200, 'the pod and event watches are open');
        await sleep(50);
      }
    };
    await h.request('GET', 'hub/api/users/carol');
    const started = h.request('POST', 'hub/api/users/carol/server');
    for (let i = 0; !podOf('jupyter-carol'); i++) {
      assert.ok(i < 400, 'the pod is created');
      await sleep(10);
    }
    // Pods take STEP_MS per step in this simulator: the pod is not running yet when its watch is cut.
    assert.notEqual(podOf('jupyter-carol')!.status?.phase, 'Running');
    watching = sim.control.openWatches();
    assert.ok(sim.control.dropWatches() > 0, 'watches were open to drop');
    const r1 = await started;
    assert.ok(r1.status === 201 || r1.status === 202, r1.text);
    await waitReady(h, 'carol');

    await openWatches();
    assert.ok(sim.control.stallWatches() > 0, 'watches were open to stall');
    const r = await h.request('POST', 'hub/api/users/dave/server');
    assert.ok(r.status === 201 || r.status === 202, r.text);
    // The stalled streams are never released: only their replacements can tell the hub the pod runs.
    await waitReady(h, 'dave');
    assert.ok(
      h.logs.some((l) => l.includes('kubernetes watch stalled; replacing it')),
      'the health check replaced the stalled watch',
    );
    sim.control.releaseWatches();
    for (const u of ['carol', 'dave']) await h.request('DELETE', `hub/api/users/${u}/server`);
    await gone('jupyter-carol');
    await gone('jupyter-dave');
  });

  test('simulated: profile_list with kubespawner_override changes the image and the limits', async () => {
    const h = await hubWith({
      spawner: spawner(
        {},
        {
          profile_list: [
            {
              display_name: 'Small',
              default: true,
              kubespawner_override: { image: 'example/small:1', mem_limit: '256M' },
            },
            {
              display_name: 'Big',
              slug: 'big',
              kubespawner_override: { image: 'example/big:2', mem_limit: '1G', cpu_limit: 2 },
            },
          ],
        },
      ),
    });
    await h.addUsers(['erin']);
    const r = await h.request('POST', 'hub/api/users/erin/server', { body: { profile: 'big' } });
    assert.ok(r.status === 201 || r.status === 202, r.text);
    await waitReady(h, 'erin');
    const c = podOf('jupyter-erin')!.spec.containers[0];
    assert.equal(c.image, 'example/big:2');
    assert.deepEqual(c.resources.limits, { memory: String(1024 ** 3), cpu: '2' });
    await h.request('DELETE', 'hub/api/users/erin/server');
    await gone('jupyter-erin');
  });

  test('simulated: storage_pvc_ensure creates the claim; removing the named server deletes it (delete_pvc)', async () => {
    const h = await hubWith({
      allow_named_servers: true,
      spawner: spawner({ storage_pvc_ensure: true, storage_capacity: '1Gi', storage_class: 'standard' }),
    });
    await h.addUsers(['fay']);
    const r = await h.request('POST', 'hub/api/users/fay/servers/lab');
    assert.ok(r.status === 201 || r.status === 202, r.text);
    for (let i = 0; !(await h.request('GET', 'hub/api/users/fay')).json.servers?.lab?.ready; i++) {
      assert.ok(i < 600, 'the named server becomes ready');
      await sleep(200);
    }
    const claim = sim.control.get('persistentvolumeclaims', NS, 'claim-fay--lab');
    assert.ok(claim, 'the claim is named by pvc_name_template');
    assert.equal(claim.spec.resources.requests.storage, '1Gi');
    assert.equal(podOf('jupyter-fay--lab')!.metadata.labels['hub.jupyter.org/servername'], 'lab');

    const stop = await h.request('DELETE', 'hub/api/users/fay/servers/lab');
    assert.ok(stop.status === 204 || stop.status === 202, stop.text);
    await gone('jupyter-fay--lab');
    assert.ok(sim.control.get('persistentvolumeclaims', NS, 'claim-fay--lab'), 'a stop keeps the claim');
    const removed = await h.request('DELETE', 'hub/api/users/fay/servers/lab', { body: { remove: true } });
    assert.ok(removed.status === 204 || removed.status === 202, removed.text);
    for (let i = 0; sim.control.get('persistentvolumeclaims', NS, 'claim-fay--lab'); i++) {
      assert.ok(i < 100, 'removing the server deletes its claim');
      await sleep(100);
    }
  });

  test('simulated: deleting a user deletes the claims of all their servers (delete_pvc), not only their pods', async () => {
    const h = await hubWith({
      allow_named_servers: true,
      spawner: spawner({ storage_pvc_ensure: true, storage_capacity: '1Gi' }),
    });
    await h.addUsers(['ivy', 'jay']);
    for (const path of ['ivy/server', 'ivy/servers/lab', 'jay/server']) {
      const r = await h.request('POST', `hub/api/users/${path}`);
      assert.ok(r.status === 201 || r.status === 202, r.text);
    }
    const claims = ['claim-ivy', 'claim-ivy--lab', 'claim-jay'];
    for (let i = 0; claims.some((c) => !sim.control.get('persistentvolumeclaims', NS, c)); i++) {
      assert.ok(i < 600, 'every server has its claim');
      await sleep(100);
    }
    await h.request('DELETE', 'hub/api/users/ivy/servers/lab');
    await gone('jupyter-ivy--lab');
    const deleted = await h.request('DELETE', 'hub/api/users/ivy');
    assert.equal(deleted.status, 204, deleted.text);
    // A stopped server's claim goes too: delete_forever is for every server the user had, as upstream.
    for (const c of ['claim-ivy', 'claim-ivy--lab'])
      assert.equal(sim.control.get('persistentvolumeclaims', NS, c), undefined, `${c} is deleted with the user`);
    await gone('jupyter-ivy');
    assert.ok(sim.control.get('persistentvolumeclaims', NS, 'claim-jay'), "another user's claim stays");
    await h.request('DELETE', 'hub/api/users/jay/server');
    await gone('jupyter-jay');
  });

  test("simulated: an admin reads a server's last lines from its pod's log (pods/log with tailLines)", async () => {
    const h = await hubWith({ spawner: spawner() });
    await h.addUsers(['kim']);
    const r = await h.request('POST', 'hub/api/users/kim/server');
    assert.ok(r.status === 201 || r.status === 202, r.text);
    await waitReady(h, 'kim');
    const all = await h.request('GET', 'hub/api/users/kim/server/logs?tail=10000');
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.source, 'engine');
    // jupyterhub-singleuser logs where it serves on stderr: the pod's log keeps both streams.
    assert.ok(
      all.json.lines.some((l: string) => /Jupyter Server .* is running at/.test(l)),
      all.json.lines.join('\n'),
    );
    assert.ok(all.json.lines.length > 3, 'the server logged a few lines');
    const two = await h.request('GET', 'hub/api/users/kim/server/logs?tail=2');
    assert.equal(two.status, 200, two.text);
    assert.deepEqual(two.json.lines, all.json.lines.slice(-2), 'tail=2 is the last two lines');
    const bad = await h.request('GET', 'hub/api/users/kim/server/logs?tail=-1');
    assert.equal(bad.status, 400, bad.text);
    const kimToken = await h.tokenFor('kim');
    const own = await h.request('GET', 'hub/api/users/kim/server/logs', { token: kimToken });
    assert.equal(own.status, 403, 'a user without admin:servers cannot read the log');
    await h.request('DELETE', 'hub/api/users/kim/server');
    await gone('jupyter-kim');
    const stopped = await h.request('GET', 'hub/api/users/kim/server/logs');
    assert.equal(stopped.status, 404, stopped.text);
  });

  test('simulated: a hub killed with SIGKILL while pods run re-adopts them after a restart, no duplicate pods', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tshub-k8s-restart-'));
    const token = `k8s-restart-admin-${Date.now()}-0123456789`;
    const written = await writeHubConfig(dir, [
      'authenticator: { admin_users: [admin] }',
      `api_tokens: { "${token}": admin }`,
      `spawner: ${JSON.stringify(spawner())}`,
    ]);
    const api = async (method: string, path: string, body?: unknown, as = token) => {
      const res = await fetch(`${written.pub}${path}`, {
        method,
        headers: { authorization: `token ${as}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
    };
    const serve = () => spawnHub(['--config', written.cfg], `${written.pub}hub/api/`);
    const users = ['ann', 'ben'];
    let hub = await serve();
    try {
      assert.equal((await api('POST', 'hub/api/users', { usernames: users })).status, 201);
      for (const u of users) assert.ok([201, 202].includes((await api('POST', `hub/api/users/${u}/server`)).status));
      for (let i = 0; ; i++) {
        if ((await api('GET', 'hub/api/users?state=ready')).json.length === 2) break;
        assert.ok(i < 240, `both servers ready: ${hub.output().slice(-2000)}`);
        await sleep(500);
      }
      const uids = Object.fromEntries(users.map((u) => [u, podOf(`jupyter-${u}`)!.metadata.uid]));

      hub.proc.kill('SIGKILL');
      await hub.stop();
      hub = await serve();
      for (const u of users) {
        const userToken = (await api('POST', `hub/api/users/${u}/tokens`, {})).json.token;
        const status = await api('GET', `user/${u}/api/status`, undefined, userToken);
        assert.equal(status.status, 200, `${u}: ${status.text}`);
        assert.equal(podOf(`jupyter-${u}`)!.metadata.uid, uids[u], `${u}'s pod is the same pod`);
      }
      const ours = sim.control
        .list('pods', NS)
        .filter((p) => users.includes(p.metadata.labels?.['hub.jupyter.org/username']));
      assert.equal(ours.length, 2, 'no duplicate pods');
      const stop = await api('DELETE', 'hub/api/users/ann/server');
      assert.ok(stop.status === 204 || stop.status === 202, stop.text);
      await gone('jupyter-ann');
    } finally {
      await api('POST', 'hub/api/shutdown', { proxy: true, servers: true }).catch(() => {});
      await Promise.race([once(hub.proc, 'exit'), sleep(30_000)]);
      await hub.stop();
      const proxyPid = readPid(stateFiles(dir).pid);
      if (proxyPid !== null && isAlive(proxyPid)) await killGroup(proxyPid, 2000).catch(() => {});
      await written.db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
