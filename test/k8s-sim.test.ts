// Tests OF the Kubernetes API simulator (test/k8s-sim/), driven through the real @kubernetes/client-node
// client: what the client sends and reads back is what proves the simulation faithful enough for the
// `kubernetes` spawner. Simulated: no real API server or kubelet runs here (docs/kubernetes-simulator.md).
import assert from 'node:assert/strict';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import { type K8sSim, type Obj, startK8sSim } from './k8s-sim/index.ts';
import { waitFor } from './wait-for.ts';

let sim: K8sSim;
let kc: KubeConfig;
let core: CoreV1Api;
const NS = 'default';

before(async () => {
  sim = await startK8sSim({ bookmarkIntervalMs: 150, backoffMs: 200, node: { allocatable: { memory: '4Gi' } } });
  kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
});
after(() => sim.close());

/** The Status object of a failed call. */
async function statusOf(p: Promise<unknown>): Promise<Obj & { code: number; reason: string; message: string }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, String(err));
    return JSON.parse(err.body as string);
  }
  assert.fail('the call succeeded');
}

const pod = (name: string, extra: Record<string, any> = {}): Obj => ({
  metadata: { name, labels: { app: 'sim-test' }, ...extra.metadata },
  spec: {
    restartPolicy: 'Never',
    containers: [{ name: 'main', image: 'sim/shell:1', command: ['sleep', '30'] }],
    ...extra.spec,
  },
});

/** Whether a read answers 404 (false while the object is there). */
const isGone = (p: Promise<unknown>) =>
  p.then(
    () => false,
    (err: unknown) => err instanceof ApiException && err.code === 404,
  );

/** A request outside the client (to see raw status codes and bodies), trusting the simulator's CA. */
function raw(path: string, token?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const req = httpsGet(`${sim.url}${path}`, { ca: sim.ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const eventsOf = async (name: string) =>
  (await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${name}` })).items;

interface Seen {
  type: string;
  obj: Obj;
}

/** A watch collecting events until stopped; `done` resolves with what the client's done callback got. */
async function collect(path: string, query: Record<string, string | number | boolean | undefined>) {
  const seen: Seen[] = [];
  let resolveDone!: (err: unknown) => void;
  const done = new Promise<unknown>((resolve) => {
    resolveDone = resolve;
  });
  const w = new Watch(kc);
  const controller = await w.watch(
    path,
    query,
    (type, obj) => seen.push({ type, obj }),
    (err) => resolveDone(err ?? null),
  );
  return { seen, done, stop: () => controller.abort() };
}

describe('discovery and authentication', () => {
  test('the client reads the version; a request without the token is a 401 Status', async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    assert.equal(v.major, '1');
    const res = await raw('/api/v1/namespaces/default/pods');
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
    assert.equal((await raw('/api/v1/pods', 'nope')).status, 401);
    const resources = await raw('/api/v1', sim.token);
    assert.ok(resources.body.resources.some((r: Obj) => r.name === 'pods/log'));
    const unknown = await raw('/api/v1/widgets', sim.token);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.message, 'the server could not find the requested resource');
  });
});

describe('objects', () => {
  test('create, get, list, delete a pod; 409 on a duplicate, 404 on a missing one', async () => {
    const created = await core.createNamespacedPod({ namespace: NS, body: pod('crud-1') });
    assert.equal(created.metadata?.namespace, NS);
    assert.ok(created.metadata?.uid);
    assert.equal(created.spec?.containers[0]?.imagePullPolicy, 'IfNotPresent');
    assert.equal(created.status?.phase, 'Pending');
    const got = await core.readNamespacedPod({ name: 'crud-1', namespace: NS });
    assert.equal(got.metadata?.uid, created.metadata?.uid);
    const dup = await statusOf(core.createNamespacedPod({ namespace: NS, body: pod('crud-1') }));
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, 'AlreadyExists');
    assert.equal(dup.message, 'pods "crud-1" already exists');
    const list = await core.listNamespacedPod({ namespace: NS });
    assert.ok(list.items.some((p) => p.metadata?.name === 'crud-1'));
    assert.ok(Number(list.metadata?.resourceVersion) >= Number(created.metadata?.resourceVersion));
    await core.deleteNamespacedPod({ name: 'crud-1', namespace: NS, gracePeriodSeconds: 0 });
    const missing = await statusOf(core.readNamespacedPod({ name: 'crud-1', namespace: NS }));
    assert.equal(missing.code, 404);
    assert.equal(missing.reason, 'NotFound');
    assert.equal(missing.message, 'pods "crud-1" not found');
    const inMissingNs = await statusOf(core.createNamespacedPod({ namespace: 'nowhere', body: pod('x') }));
    assert.equal(inMissingNs.message, 'namespaces "nowhere" not found');
  });

  test('a malformed pod is a 422 Invalid naming the field', async () => {
    const badName = await statusOf(core.createNamespacedPod({ namespace: NS, body: pod('Bad_Name') }));
    assert.equal(badName.code, 422);
    assert.equal(badName.reason, 'Invalid');
    assert.match(
      badName.message,
      /^Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    assert.equal(badName.details.causes[0].field, 'metadata.name');
    const noName = await statusOf(core.createNamespacedPod({ namespace: NS, body: { spec: pod('x').spec } }));
    assert.equal(noName.message, 'Pod "" is invalid: metadata.name: Required value: name or generateName is required');
    const noImage = pod('no-image');
    noImage.spec.containers[0].image = undefined;
    const s = await statusOf(core.createNamespacedPod({ namespace: NS, body: noImage }));
    assert.equal(s.message, 'Pod "no-image" is invalid: spec.containers[0].image: Required value');
    const generated = await core.createNamespacedPod({
      namespace: NS,
      body: { ...pod(''), metadata: { generateName: 'gen-' } },
    });
    assert.match(generated.metadata?.name ?? '', /^gen-[a-z0-9]{5}$/);
    await core.deleteNamespacedPod({ name: generated.metadata!.name!, namespace: NS, gracePeriodSeconds: 0 });
  });

  test('patch merges labels; a replace with a stale resourceVersion is a 409 Conflict', async () => {
    const svc = await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'patch-me', labels: { a: '1' } }, spec: { ports: [{ port: 80 }] } },
    });
    assert.ok(svc.spec?.clusterIP);
    const merged = await core.patchNamespacedService(
      { name: 'patch-me', namespace: NS, body: { metadata: { labels: { b: '2' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.metadata?.labels, { a: '1', b: '2' });
    const jsonPatched = await core.patchNamespacedService({
      name: 'patch-me',
      namespace: NS,
      body: [{ op: 'remove', path: '/metadata/labels/a' }],
    });
    assert.deepEqual(jsonPatched.metadata?.labels, { b: '2' });
    const stale = await statusOf(core.replaceNamespacedService({ name: 'patch-me', namespace: NS, body: svc }));
    assert.equal(stale.code, 409);
    assert.equal(stale.reason, 'Conflict');
    assert.match(stale.message, /^Operation cannot be fulfilled on services "patch-me": the object has been modified/);
    const fresh = await core.readNamespacedService({ name: 'patch-me', namespace: NS });
    fresh.metadata!.annotations = { note: 'x' };
    const replaced = await core.replaceNamespacedService({ name: 'patch-me', namespace: NS, body: fresh });
    assert.equal(replaced.metadata?.annotations?.note, 'x');
    await core.deleteNamespacedService({ name: 'patch-me', namespace: NS });
  });
});

describe('selectors and paging', () => {
  test('label and field selectors filter lists; a bad one is a 400', async () => {
    for (const [name, tier, phase] of [
      ['sel-a', 'web', 'x'],
      ['sel-b', 'db', 'y'],
      ['sel-c', 'web', 'z'],
    ])
      await core.createNamespacedPod({
        namespace: NS,
        body: pod(name!, {
          metadata: { labels: { app: 'sel', tier: tier!, ...(phase === 'z' ? { canary: 'yes' } : {}) } },
        }),
      });
    const names = async (q: { labelSelector?: string; fieldSelector?: string }) =>
      (await core.listNamespacedPod({ namespace: NS, ...q })).items.map((p) => p.metadata?.name).sort();
    assert.deepEqual(await names({ labelSelector: 'app=sel,tier=web' }), ['sel-a', 'sel-c']);
    assert.deepEqual(await names({ labelSelector: 'app==sel,tier!=web' }), ['sel-b']);
    assert.deepEqual(await names({ labelSelector: 'app=sel,tier in (db, cache)' }), ['sel-b']);
    assert.deepEqual(await names({ labelSelector: 'app=sel,tier notin (db)' }), ['sel-a', 'sel-c']);
    assert.deepEqual(await names({ labelSelector: 'app=sel,canary' }), ['sel-c']);
    assert.deepEqual(await names({ labelSelector: 'app=sel,!canary' }), ['sel-a', 'sel-b']);
    assert.deepEqual(await names({ labelSelector: 'app=sel', fieldSelector: 'metadata.name=sel-b' }), ['sel-b']);
    assert.deepEqual(
      await names({ labelSelector: 'app=sel', fieldSelector: 'metadata.name!=sel-b,status.phase=Pending' }).then(
        (n) => n.length <= 2,
      ),
      true,
    );
    const all = await core.listPodForAllNamespaces({
      labelSelector: 'app=sel',
      fieldSelector: 'metadata.namespace=default',
    });
    assert.equal(all.items.length, 3);
    const bad = await statusOf(core.listNamespacedPod({ namespace: NS, labelSelector: 'tier in (a' }));
    assert.equal(bad.code, 400);
    assert.match(bad.message, /^unable to parse requirement/);
    const badField = await statusOf(core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.nope=1' }));
    assert.equal(badField.message, 'field label not supported: spec.nope');
    await core.deleteCollectionNamespacedPod({ namespace: NS, labelSelector: 'app=sel', gracePeriodSeconds: 0 });
    assert.deepEqual(await names({ labelSelector: 'app=sel' }), []);
  });

  test('5,000 seeded pods: a label-selected list and limit/continue paging see exactly the right ones', async () => {
    sim.control.seedPods(5000, { namespace: NS, prefix: 'bulk-', labels: { bulk: 'yes' } });
    const tagged = sim.control.seedPods(40, {
      namespace: NS,
      prefix: 'tagged-',
      labels: { bulk: 'yes', owner: 'alice' },
    });
    sim.control.seedEvents(2000, { namespace: NS, about: tagged });
    const alice = await core.listNamespacedPod({
      namespace: NS,
      labelSelector: 'bulk=yes,owner=alice',
      resourceVersion: '0',
    });
    assert.deepEqual(alice.items.map((p) => p.metadata?.name).sort(), tagged.map((p) => p.metadata.name).sort());
    assert.ok(alice.items.every((p) => p.status?.phase === 'Running'));
    const seen = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedPod({
        namespace: NS,
        labelSelector: 'bulk=yes',
        limit: 1000,
        _continue: token,
      });
      for (const p of page.items) seen.add(p.metadata!.name!);
      token = page.metadata?._continue;
      pages++;
    } while (token);
    assert.equal(seen.size, 5040);
    assert.equal(pages, 6);
    const aboutOne = await eventsOf(tagged[0]!.metadata.name);
    assert.equal(aboutOne.length, 50);
    await core.deleteCollectionNamespacedPod({ namespace: NS, labelSelector: 'bulk=yes' });
    await waitFor(
      'seeded pods gone',
      async () => (await core.listNamespacedPod({ namespace: NS, labelSelector: 'bulk=yes' })).items.length === 0,
    );
    await core.deleteCollectionNamespacedEvent({ namespace: NS });
  });
});

describe('watch', () => {
  test('sees ADDED, MODIFIED and DELETED in order, through a label selector', async () => {
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=watched' });
    const w = await collect(`/api/v1/namespaces/${NS}/pods`, {
      labelSelector: 'app=watched',
      resourceVersion: list.metadata!.resourceVersion!,
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: pod('watched-1', { metadata: { labels: { app: 'watched' } } }),
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: pod('unwatched-1', { metadata: { labels: { app: 'other' } } }),
    });
    await waitFor('running', () => w.seen.some((e) => e.obj.status?.phase === 'Running'));
    await core.deleteNamespacedPod({ name: 'watched-1', namespace: NS, gracePeriodSeconds: 5 });
    await waitFor('deleted', () => w.seen.some((e) => e.type === 'DELETED'));
    w.stop();
    const types = w.seen.map((e) => e.type);
    assert.equal(types[0], 'ADDED');
    assert.equal(types.at(-1), 'DELETED');
    assert.ok(types.slice(1, -1).every((t) => t === 'MODIFIED'));
    assert.ok(w.seen.every((e) => e.obj.metadata.name === 'watched-1'));
    const rvs = w.seen.map((e) => Number(e.obj.metadata.resourceVersion));
    assert.deepEqual(
      rvs,
      [...rvs].sort((a, b) => a - b),
    );
    assert.ok(
      w.seen.some((e) => e.type === 'MODIFIED' && e.obj.metadata.deletionTimestamp),
      'deletionTimestamp set first',
    );
    await core.deleteNamespacedPod({ name: 'unwatched-1', namespace: NS, gracePeriodSeconds: 0 });
  });

  test('a watch from "now" starts with the current objects; bookmarks carry the current resourceVersion', async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cm-1' }, data: { a: 'b' } } });
    const w = await collect(`/api/v1/namespaces/${NS}/configmaps`, { allowWatchBookmarks: true });
    const bookmark = await waitFor('a bookmark', () => w.seen.find((e) => e.type === 'BOOKMARK'));
    w.stop();
    assert.deepEqual(w.seen[0], { type: 'ADDED', obj: w.seen[0]!.obj });
    assert.equal(w.seen[0]!.obj.metadata.name, 'cm-1');
    assert.equal(bookmark.obj.kind, 'ConfigMap');
    assert.ok(Number(bookmark.obj.metadata.resourceVersion) >= Number(w.seen[0]!.obj.metadata.resourceVersion));
    await core.deleteNamespacedConfigMap({ name: 'cm-1', namespace: NS });
  });

  test('a resourceVersion older than the history window gets an ERROR event with a 410 Status', async () => {
    const old = String(sim.control.resourceVersion());
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cm-old' } } });
    sim.control.compactHistory();
    const w = await collect(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: old });
    assert.equal(await w.done, null, 'the server ends the stream after the error');
    assert.equal(w.seen.length, 1);
    assert.equal(w.seen[0]!.type, 'ERROR');
    assert.equal(w.seen[0]!.obj.code, 410);
    assert.equal(w.seen[0]!.obj.reason, 'Expired');
    assert.match(w.seen[0]!.obj.message, /^too old resource version: \d+ \(\d+\)$/);
    await core.deleteNamespacedConfigMap({ name: 'cm-old', namespace: NS });
  });

  test('a dropped watch ends the stream with an error; a stalled one sends nothing until released', async () => {
    const dropped = await collect(`/api/v1/namespaces/${NS}/pods`, { allowWatchBookmarks: true });
    await waitFor('the watch registered', () => sim.control.openWatches() === 1);
    assert.equal(sim.control.dropWatches(), 1);
    assert.ok((await dropped.done) instanceof Error, 'done gets an error');

    const stalled = await collect(`/api/v1/namespaces/${NS}/configmaps`, { allowWatchBookmarks: true });
    await waitFor('the watch registered', () => sim.control.openWatches() === 1);
    sim.control.stallWatches();
    const before = stalled.seen.length;
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cm-stall' } } });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(stalled.seen.length, before, 'no event and no bookmark while stalled');
    sim.control.releaseWatches();
    await waitFor('the held event', () =>
      stalled.seen.some((e) => e.type === 'ADDED' && e.obj.metadata.name === 'cm-stall'),
    );
    stalled.stop();
    await core.deleteNamespacedConfigMap({ name: 'cm-stall', namespace: NS });
  });
});

describe('the kubelet', () => {
  test('a pod running an http server becomes Running and Ready, answers, logs; delete stops the process', async () => {
    const port = await freePort();
    const script = `require('http').createServer((q,s)=>s.end('hello from '+process.env.POD)).listen(${port},'127.0.0.1',()=>console.log('listening'))`;
    await core.createNamespacedPod({
      namespace: NS,
      body: pod('web-1', {
        spec: {
          containers: [
            {
              name: 'web',
              image: 'sim/node:1',
              command: [process.execPath, '-e', script],
              env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [{ containerPort: port }],
            },
          ],
        },
      }),
    });
    const running = await waitFor('Running and Ready', async () => {
      const p = await core.readNamespacedPod({ name: 'web-1', namespace: NS });
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p;
    });
    assert.equal(running.status?.phase, 'Running');
    assert.equal(running.status?.podIP, '127.0.0.1');
    assert.equal(running.status?.hostIP, '127.0.0.1');
    assert.ok(running.status?.containerStatuses?.[0]?.state?.running?.startedAt);
    const answer = await waitFor('an answer', () =>
      fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => undefined,
      ),
    );
    assert.equal(answer, 'hello from web-1');
    await waitFor('the log', async () =>
      (await core.readNamespacedPodLog({ name: 'web-1', namespace: NS })).includes('listening'),
    );
    const reasons = (await eventsOf('web-1')).map((e) => e.reason);
    for (const r of ['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started'])
      assert.ok(reasons.includes(r), `${r} in ${reasons}`);
    const pid = sim.control.pid(NS, 'web-1');
    assert.ok(pid);
    const deleting = await core.deleteNamespacedPod({ name: 'web-1', namespace: NS, gracePeriodSeconds: 10 });
    assert.ok(deleting.metadata?.deletionTimestamp);
    await waitFor('the pod object gone', () => isGone(core.readNamespacedPod({ name: 'web-1', namespace: NS })));
    assert.throws(() => process.kill(pid, 0), 'the process is gone');
    assert.ok((await eventsOf('web-1')).some((e) => e.reason === 'Killing' && e.message === 'Stopping container web'));
  });

  test('exit codes end the pod Succeeded or Failed; secrets and $(VAR) reach the process', async () => {
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'creds' }, stringData: { pw: 's3cret' } },
    });
    const sh = (name: string, cmd: string) =>
      pod(name, {
        spec: {
          containers: [
            {
              name: 'main',
              image: 'sim/shell:1',
              command: ['sh', '-c', cmd],
              env: [
                { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'pw' } } },
                { name: 'GREETING', value: 'pw=$(PW)' },
              ],
            },
          ],
        },
      });
    await core.createNamespacedPod({ namespace: NS, body: sh('ok-1', 'echo "$GREETING"') });
    await core.createNamespacedPod({ namespace: NS, body: sh('fail-1', 'exit 3') });
    const phase = (name: string) => core.readNamespacedPod({ name, namespace: NS }).then((p) => p.status?.phase);
    await waitFor('Succeeded', async () => (await phase('ok-1')) === 'Succeeded');
    assert.equal(await core.readNamespacedPodLog({ name: 'ok-1', namespace: NS }), 'pw=s3cret\n');
    await waitFor('Failed', async () => (await phase('fail-1')) === 'Failed');
    const failed = await core.readNamespacedPod({ name: 'fail-1', namespace: NS });
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Error');
    await core.deleteNamespacedSecret({ name: 'creds', namespace: NS });
    await core.createNamespacedPod({ namespace: NS, body: sh('nosecret-2', 'true') });
    const waiting = await waitFor('CreateContainerConfigError', async () => {
      const p = await core.readNamespacedPod({ name: 'nosecret-2', namespace: NS });
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' && p;
    });
    assert.equal(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message, 'secret "creds" not found');
    await core.deleteCollectionNamespacedPod({ namespace: NS, gracePeriodSeconds: 0 });
  });

  test('an image the registry does not have: ErrImagePull events, then ImagePullBackOff', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: { ...pod('badimg-1'), spec: { containers: [{ name: 'main', image: 'bad/nothing:1' }] } },
    });
    const backoff = await waitFor('ImagePullBackOff', async () => {
      const p = await core.readNamespacedPod({ name: 'badimg-1', namespace: NS });
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' && p;
    });
    assert.equal(backoff.status?.phase, 'Pending');
    const events = await eventsOf('badimg-1');
    const failed = events.filter((e) => e.reason === 'Failed' && e.type === 'Warning').map((e) => e.message);
    assert.ok(
      failed.some((m) => m?.startsWith('Failed to pull image "bad/nothing:1": ')),
      String(failed),
    );
    assert.ok(failed.includes('Error: ErrImagePull'));
    assert.ok(failed.includes('Error: ImagePullBackOff'));
    assert.ok(events.some((e) => e.reason === 'BackOff' && e.message === 'Back-off pulling image "bad/nothing:1"'));
    await core.deleteNamespacedPod({ name: 'badimg-1', namespace: NS, gracePeriodSeconds: 0 });
  });

  test('a request over the node allocatable: FailedScheduling, then scheduled once the node grows', async () => {
    const big = pod('big-1');
    big.spec.containers[0].resources = { requests: { memory: '6Gi' } };
    await core.createNamespacedPod({ namespace: NS, body: big });
    const ev = await waitFor('FailedScheduling', async () =>
      (await eventsOf('big-1')).find((e) => e.reason === 'FailedScheduling'),
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.source?.component, 'default-scheduler');
    assert.match(ev.message ?? '', /^0\/1 nodes are available: 1 Insufficient memory\./);
    const p = await core.readNamespacedPod({ name: 'big-1', namespace: NS });
    const cond = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'Unschedulable');
    sim.control.setAllocatable({ memory: '16Gi' });
    await waitFor(
      'scheduled',
      async () => (await core.readNamespacedPod({ name: 'big-1', namespace: NS })).spec?.nodeName === 'sim-node',
    );
    await core.deleteNamespacedPod({ name: 'big-1', namespace: NS, gracePeriodSeconds: 0 });
    sim.control.setAllocatable({ memory: '4Gi' });
  });
});

describe('claims, namespaces and faults', () => {
  test('a claim binds; deleting a namespace takes its objects with it', async () => {
    await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
    const ns = await core.readNamespace({ name: 'team-a' });
    assert.equal(ns.status?.phase, 'Active');
    await core.readNamespacedServiceAccount({ name: 'default', namespace: 'team-a' });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: 'team-a',
      body: {
        metadata: { name: 'claim-a' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    const bound = await waitFor('Bound', async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ name: 'claim-a', namespace: 'team-a' });
      return c.status?.phase === 'Bound' && c;
    });
    assert.ok(bound.spec?.volumeName);
    assert.equal(bound.status?.capacity?.storage, '1Gi');
    const noModes = await statusOf(
      core.createNamespacedPersistentVolumeClaim({
        namespace: 'team-a',
        body: { metadata: { name: 'claim-b' }, spec: {} },
      }),
    );
    assert.equal(noModes.code, 422);
    // A process that ignores SIGTERM holds the namespace in Terminating until its grace second is over.
    const stubborn = pod('in-a', { spec: { terminationGracePeriodSeconds: 1 } });
    stubborn.spec.containers[0].command = ['sh', '-c', 'trap "" TERM; sleep 30'];
    await core.createNamespacedPod({ namespace: 'team-a', body: stubborn });
    await waitFor('Running', () => sim.control.get('pods', 'team-a', 'in-a')?.status.phase === 'Running');
    await core.deleteNamespace({ name: 'team-a' });
    assert.equal((await core.readNamespace({ name: 'team-a' })).status?.phase, 'Terminating');
    const refused = await statusOf(
      core.createNamespacedSecret({ namespace: 'team-a', body: { metadata: { name: 's' } } }),
    );
    assert.equal(refused.code, 403);
    await waitFor('namespace gone', () => isGone(core.readNamespace({ name: 'team-a' })));
    assert.equal(sim.control.list('pods', 'team-a').length, 0);
    assert.equal(sim.control.list('persistentvolumeclaims', 'team-a').length, 0);
  });

  test('injected failures answer 500 InternalError; requests are counted by verb and resource', async () => {
    sim.control.resetCounts();
    sim.control.failNext(1, { verb: 'list', resource: 'pods' });
    const s = await statusOf(core.listNamespacedPod({ namespace: NS }));
    assert.equal(s.code, 500);
    assert.equal(s.reason, 'InternalError');
    await core.listNamespacedPod({ namespace: NS });
    await core.listNamespacedEvent({ namespace: NS, resourceVersion: '0' });
    assert.equal(sim.control.count('list', 'pods'), 2);
    assert.equal(sim.control.count('list'), 3);
    assert.equal(sim.control.count('create'), 0);
    assert.ok(sim.control.requests.some((r) => r.resource === 'events' && r.query.includes('resourceVersion=0')));
  });
});
