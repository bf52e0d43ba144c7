// Tests OF the Kubernetes API simulator (test/k8s-sim/), its watches: order, selectors, bookmarks, 410,
// dropped and stalled streams and the less common forms, driven through the real @kubernetes/client-node
// client's Watch. Simulated: no real API server runs here (docs/kubernetes-simulator.md).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeInformer } from '@kubernetes/client-node';
import { connect, pod } from './k8s-sim/client.ts';
import { type K8sSim, startK8sSim } from './k8s-sim/index.ts';
import { waitFor } from './wait-for.ts';

let sim: K8sSim;
let c: ReturnType<typeof connect>;
let core: ReturnType<typeof connect>['core'];
const NS = 'default';

before(async () => {
  sim = await startK8sSim({ bookmarkIntervalMs: 150 });
  c = connect(sim);
  core = c.core;
});
after(() => sim.close());

describe('watch', () => {
  test('sees ADDED, MODIFIED and DELETED in order, through a label selector', async () => {
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=watched' });
    const w = await c.collect(`/api/v1/namespaces/${NS}/pods`, {
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
    const w = await c.collect(`/api/v1/namespaces/${NS}/configmaps`, { allowWatchBookmarks: true });
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
    const w = await c.collect(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: old });
    assert.equal(await w.done, null, 'the server ends the stream after the error');
    assert.equal(w.seen.length, 1);
    assert.equal(w.seen[0]!.type, 'ERROR');
    assert.equal(w.seen[0]!.obj.code, 410);
    assert.equal(w.seen[0]!.obj.reason, 'Expired');
    assert.match(w.seen[0]!.obj.message, /^too old resource version: \d+ \(\d+\)$/);
    await core.deleteNamespacedConfigMap({ name: 'cm-old', namespace: NS });
  });

  test('a dropped watch ends the stream with an error; a stalled one sends nothing until released', async () => {
    const dropped = await c.collect(`/api/v1/namespaces/${NS}/pods`, { allowWatchBookmarks: true });
    await waitFor('the watch registered', () => sim.control.openWatches() === 1);
    assert.equal(sim.control.dropWatches(), 1);
    assert.ok((await dropped.done) instanceof Error, 'done gets an error');

    const stalled = await c.collect(`/api/v1/namespaces/${NS}/configmaps`, { allowWatchBookmarks: true });
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

test('watch forms: sendInitialEvents ends the initial state with a marked bookmark; one object by name; the legacy path', async () => {
  await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'form-a' } } });
  await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'form-b' } } });
  const initial = await c.collect(`/api/v1/namespaces/${NS}/configmaps`, {
    sendInitialEvents: true,
    resourceVersionMatch: 'NotOlderThan',
    allowWatchBookmarks: true,
    labelSelector: '',
  });
  const end = await waitFor('the end of the initial state', () =>
    initial.seen.find((e) => e.type === 'BOOKMARK' && e.obj.metadata.annotations?.['k8s.io/initial-events-end']),
  );
  initial.stop();
  const before = initial.seen.slice(0, initial.seen.indexOf(end)).map((e) => e.obj.metadata.name);
  assert.ok(before.includes('form-a') && before.includes('form-b'));
  const one = await c.collect(`/api/v1/namespaces/${NS}/configmaps`, { fieldSelector: 'metadata.name=form-b' });
  const legacy = await c.collect(`/api/v1/watch/namespaces/${NS}/configmaps/form-a`, {});
  await core.deleteNamespacedConfigMap({ name: 'form-a', namespace: NS });
  await core.deleteNamespacedConfigMap({ name: 'form-b', namespace: NS });
  await waitFor('both deletions', () => one.seen.at(-1)?.type === 'DELETED' && legacy.seen.at(-1)?.type === 'DELETED');
  one.stop();
  legacy.stop();
  assert.deepEqual(
    one.seen.map((e) => [e.type, e.obj.metadata.name]),
    [
      ['ADDED', 'form-b'],
      ['DELETED', 'form-b'],
    ],
  );
  assert.deepEqual(
    legacy.seen.map((e) => [e.type, e.obj.metadata.name]),
    [
      ['ADDED', 'form-a'],
      ['DELETED', 'form-a'],
    ],
  );
});

test('the client’s informer lists, watches, and relists after a 410', async () => {
  sim.control.resetCounts();
  const seen: string[] = [];
  const informer = makeInformer(
    c.kc,
    `/api/v1/namespaces/${NS}/pods`,
    () => core.listNamespacedPod({ namespace: NS, labelSelector: 'app=informed' }),
    'app=informed',
  );
  informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
  informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
  // The informer stops on a cut connection; restarting it is the caller's part, as the client documents.
  let stopping = false;
  informer.on('error', () => {
    seen.push('error');
    if (!stopping) setTimeout(() => void informer.start(), 50);
  });
  await informer.start();
  await core.createNamespacedPod({
    namespace: NS,
    body: pod('informed-1', { metadata: { labels: { app: 'informed' } } }),
  });
  await waitFor('add', () => seen.includes('add informed-1'));
  // A cut stream whose resourceVersion has left the window: the informer must list again.
  sim.control.compactHistory();
  sim.control.dropWatches('pods');
  await core.createNamespacedPod({
    namespace: NS,
    body: pod('informed-2', { metadata: { labels: { app: 'informed' } } }),
  });
  await waitFor('add after the relist', () => seen.includes('add informed-2'));
  assert.ok(seen.includes('error'), 'the cut was seen');
  assert.ok(
    sim.control.requests.filter((r) => r.verb === 'list' && r.resource === 'pods').length >= 2,
    'the 410 made it list again',
  );
  await core.deleteNamespacedPod({ name: 'informed-1', namespace: NS, gracePeriodSeconds: 0 });
  await waitFor('delete', () => seen.includes('delete informed-1'));
  stopping = true;
  await informer.stop();
  assert.deepEqual(
    informer.list().map((p) => p.metadata?.name),
    ['informed-2'],
  );
  await core.deleteNamespacedPod({ name: 'informed-2', namespace: NS, gracePeriodSeconds: 0 });
});
