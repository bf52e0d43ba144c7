// Tests OF the Kubernetes API simulator (test/k8s-sim/), its API: discovery, authentication, objects,
// selectors, paging, bad input and the test controls, driven through the real @kubernetes/client-node
// client, since what the client sends and reads back is what proves the simulation faithful enough for
// the `kubernetes` spawner. Simulated: no real API server runs here (docs/kubernetes-simulator.md).
// Watches: test/k8s-sim-watch.test.ts; the node (kubelet, scheduler): test/k8s-sim-pods.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, VersionApi } from '@kubernetes/client-node';
import { connect, pod, statusOf } from './k8s-sim/client.ts';
import { type K8sSim, type Obj, startK8sSim } from './k8s-sim/index.ts';
import { waitFor } from './wait-for.ts';

let sim: K8sSim;
let c: ReturnType<typeof connect>;
let core: ReturnType<typeof connect>['core'];
const NS = 'default';

before(async () => {
  sim = await startK8sSim({ bookmarkIntervalMs: 150, backoffMs: 200, node: { allocatable: { memory: '4Gi' } } });
  c = connect(sim);
  core = c.core;
});
after(() => sim.close());

const eventsOf = (name: string) => c.eventsOf(NS, name);

describe('discovery and authentication', () => {
  test('the client reads the version; a request without the token is a 401 Status', async () => {
    const v = await c.kc.makeApiClient(VersionApi).getCode();
    assert.equal(v.major, '1');
    const res = await c.raw('/api/v1/namespaces/default/pods');
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
    assert.equal((await c.raw('/api/v1/pods', 'nope')).status, 401);
    const resources = await c.raw('/api/v1', sim.token);
    assert.ok(resources.body.resources.some((r: Obj) => r.name === 'pods/log'));
    const unknown = await c.raw('/api/v1/widgets', sim.token);
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
    const mount = pod('bad-mount');
    mount.spec.containers[0].volumeMounts = [{ name: 'home', mountPath: '/home/jovyan' }];
    const m = await statusOf(core.createNamespacedPod({ namespace: NS, body: mount }));
    assert.equal(m.message, 'Pod "bad-mount" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "home"');
    const quantity = pod('bad-quantity');
    quantity.spec.containers[0].resources = { requests: { memory: '1GB' } };
    const q = await statusOf(core.createNamespacedPod({ namespace: NS, body: quantity }));
    assert.equal(q.code, 400);
    assert.match(q.message, /^Pod in version "v1" cannot be handled as a Pod: quantities must match/);
    const over = pod('over-limit');
    over.spec.containers[0].resources = { requests: { cpu: '2' }, limits: { cpu: '1' } };
    const o = await statusOf(core.createNamespacedPod({ namespace: NS, body: over }));
    assert.equal(
      o.message,
      'Pod "over-limit" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    );
    const two = { ...pod('two-bad', { spec: { restartPolicy: 'Sometimes' } }), metadata: { name: 'Two-Bad' } };
    const t = await statusOf(core.createNamespacedPod({ namespace: NS, body: two }));
    assert.equal(t.details.causes.length, 2);
    assert.match(
      t.message,
      /^Pod "Two-Bad" is invalid: \[metadata\.name: .*, spec\.restartPolicy: Unsupported value: "Sometimes"/,
    );
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

describe('bad input', () => {
  test('malformed JSON, a body too large, a wrong kind, a foreign namespace and odd names are refused', async () => {
    const post = (path: string, body: string | Buffer, type?: string) =>
      c.raw(path, sim.token, { method: 'POST', body, type });
    const pods = `/api/v1/namespaces/${NS}/pods`;
    const broken = await post(pods, '{"metadata": ');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.reason, 'BadRequest');
    const huge = await post(pods, Buffer.alloc(4 * 1024 * 1024, 32));
    assert.equal(huge.status, 413);
    assert.equal(huge.body.reason, 'RequestEntityTooLarge');
    const wrongKind = await post(pods, JSON.stringify({ kind: 'Secret', metadata: { name: 'x' } }));
    assert.equal(wrongKind.status, 400);
    const foreign = await post(
      pods,
      JSON.stringify({ ...pod('x'), metadata: { name: 'x', namespace: 'kube-system' } }),
    );
    assert.equal(foreign.status, 400);
    assert.equal(
      foreign.body.message,
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    const slash = await c.raw(`${pods}/a%2F..%2Fb`, sim.token);
    assert.equal(slash.status, 404);
    const notArray = await post(pods, JSON.stringify({ metadata: { name: 'x' }, spec: { containers: 'sleep' } }));
    assert.equal(notArray.status, 400);
    assert.match(notArray.body.message, /cannot unmarshal string into Go struct field PodSpec\.spec\.containers/);
    const labelsList = await post(pods, JSON.stringify({ ...pod('x'), metadata: { name: 'x', labels: ['a'] } }));
    assert.equal(labelsList.status, 400);
    const noContainers = await post(pods, JSON.stringify({ metadata: { name: 'x' } }));
    assert.equal(noContainers.status, 422);
    assert.equal(noContainers.body.message, 'Pod "x" is invalid: spec.containers: Required value');
    const numberArgs = pod('x');
    numberArgs.spec.containers[0].command = ['sleep', 30];
    assert.equal((await post(pods, JSON.stringify(numberArgs))).status, 400);
    const apply = await c.raw(`${pods}/x`, sim.token, {
      method: 'PATCH',
      body: 'a: b',
      type: 'application/apply-patch+yaml',
    });
    assert.equal(apply.status, 415, 'server-side apply is not simulated');
    assert.equal(apply.body.reason, 'UnsupportedMediaType');
    const badRv = await c.raw(`${pods}?watch=true&resourceVersion=abc`, sim.token);
    assert.equal(badRv.status, 400);
    assert.equal(sim.control.list('pods', NS).filter((p) => p.metadata.name === 'x').length, 0);
  });
});

describe('controls and in-cluster access', () => {
  test('dropWatches(resource) cuts only that resource’s streams; modify() writes one MODIFIED', async () => {
    const pods = await c.collect(`/api/v1/namespaces/${NS}/pods`, {});
    const maps = await c.collect(`/api/v1/namespaces/${NS}/configmaps`, {});
    await waitFor('two watches', () => sim.control.openWatches() === 2);
    assert.equal(sim.control.dropWatches('configmaps'), 1);
    assert.ok((await maps.done) instanceof Error);
    assert.equal(sim.control.openWatches(), 1);
    const [seeded] = sim.control.seedPods(1, { namespace: NS, prefix: 'touch-' });
    sim.control.modify('pods', NS, seeded!.metadata.name, (p) => ({
      ...p,
      metadata: { ...p.metadata, annotations: { touched: '1' } },
    }));
    const touched = await waitFor('MODIFIED', () => pods.seen.find((e) => e.type === 'MODIFIED'));
    assert.equal(touched.obj.metadata.annotations.touched, '1');
    pods.stop();
    await core.deleteNamespacedPod({ name: seeded!.metadata.name, namespace: NS });
  });

  test('a client configured from the in-cluster service account mount reaches the API', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, sim.inCluster.env);
    try {
      const kc = new KubeConfig();
      kc.loadFromCluster(sim.inCluster.pathPrefix);
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, sim.namespace);
      const list = await kc.makeApiClient(CoreV1Api).listNamespacedServiceAccount({ namespace: NS });
      assert.ok(list.items.some((sa) => sa.metadata?.name === 'default'));
    } finally {
      for (const k of Object.keys(sim.inCluster.env)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
