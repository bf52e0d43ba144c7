// Tests OF the Kubernetes API simulator (test/k8s-sim/), its node half: the kubelet running containers as
// local processes, image pulls, scheduling against the node's room, claims, namespaces and injected faults,
// driven through the real @kubernetes/client-node client. Simulated: no kubelet or API server runs here.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, freePort, isGone, pod, statusOf } from './k8s-sim/client.ts';
import { type K8sSim, startK8sSim } from './k8s-sim/index.ts';
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

describe('more of the node', () => {
  test('with distinctPodIPs, two pods listen on one port at their own pod IPs', async () => {
    const other = await startK8sSim({ distinctPodIPs: true });
    try {
      const oc = connect(other);
      const port = await freePort();
      const script = `require('http').createServer((q,s)=>s.end(process.env.HOSTNAME)).listen(${port},process.env.POD_IP)`;
      for (const name of ['ip-a', 'ip-b'])
        await oc.core.createNamespacedPod({
          namespace: NS,
          body: pod(name, {
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'sim/node:1',
                  command: [process.execPath, '-e', script],
                  env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
                },
              ],
            },
          }),
        });
      const ips = new Set<string>();
      for (const name of ['ip-a', 'ip-b']) {
        const running = await waitFor('Running', () => {
          const p = other.control.get('pods', NS, name);
          return p?.status.phase === 'Running' && p;
        });
        const ip: string = running.status.podIP;
        assert.match(ip, /^127\.\d+\.\d+\.\d+$/);
        assert.notEqual(ip, '127.0.0.1');
        ips.add(ip);
        const answer = await waitFor('an answer', () =>
          fetch(`http://${ip}:${port}/`).then(
            (r) => r.text(),
            () => undefined,
          ),
        );
        assert.equal(answer, name);
      }
      assert.equal(ips.size, 2);
    } finally {
      await other.close();
    }
  });

  test('restartPolicy OnFailure restarts a failing container with back-off; the previous log stays readable', async () => {
    const crash = pod('crash-1', { spec: { restartPolicy: 'OnFailure' } });
    crash.spec.containers[0].command = ['sh', '-c', 'echo boom; exit 2'];
    await core.createNamespacedPod({ namespace: NS, body: crash });
    const restarted = await waitFor('a restart', async () => {
      const p = await core.readNamespacedPod({ name: 'crash-1', namespace: NS });
      const s = p.status?.containerStatuses?.[0];
      return (s?.restartCount ?? 0) >= 1 && s?.lastState?.terminated?.exitCode === 2 && p;
    });
    assert.notEqual(restarted.status?.phase, 'Failed');
    await waitFor('CrashLoopBackOff', async () => {
      const p = await core.readNamespacedPod({ name: 'crash-1', namespace: NS });
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff';
    });
    const previous = await core.readNamespacedPodLog({ name: 'crash-1', namespace: NS, previous: true });
    assert.equal(previous, 'boom\n');
    assert.ok((await eventsOf('crash-1')).some((e) => e.reason === 'BackOff' && e.type === 'Warning'));
    await core.deleteNamespacedPod({ name: 'crash-1', namespace: NS, gracePeriodSeconds: 0 });
  });

  test('a missing binary is a StartError (exit code 128) with the runtime message in an event', async () => {
    const missing = pod('nobin-1');
    missing.spec.containers[0].command = ['/nonexistent/binary'];
    await core.createNamespacedPod({ namespace: NS, body: missing });
    const failed = await waitFor('Failed', async () => {
      const p = await core.readNamespacedPod({ name: 'nobin-1', namespace: NS });
      return p.status?.phase === 'Failed' && p;
    });
    const term = failed.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(term?.exitCode, 128);
    assert.equal(term?.reason, 'StartError');
    assert.ok(
      (await eventsOf('nobin-1')).some((e) => e.reason === 'Failed' && e.message?.includes('/nonexistent/binary')),
    );
    const noLog = await statusOf(core.readNamespacedPodLog({ name: 'sleepy-none', namespace: NS }));
    assert.equal(noLog.code, 404);
    await core.deleteNamespacedPod({ name: 'nobin-1', namespace: NS });
  });

  test('latency delays every request; a watch with timeoutSeconds ends cleanly', async () => {
    sim.control.setLatency(300);
    const t0 = Date.now();
    await core.listNamespacedPod({ namespace: NS });
    assert.ok(Date.now() - t0 >= 300);
    sim.control.setLatency(0);
    const w = await c.collect(`/api/v1/namespaces/${NS}/pods`, { timeoutSeconds: 1 });
    assert.equal(await w.done, null);
  });
});

describe('init containers and hooks', () => {
  test('init containers run in order before the pod starts; a failing one under Never fails the pod', async () => {
    const dir = sim.control.get('namespaces', undefined, NS)!.metadata.uid as string;
    const file = `/tmp/k8s-sim-init-${dir}`;
    const withInit = pod('init-ok', {
      spec: {
        initContainers: [
          { name: 'first', image: 'sim/shell:1', command: ['sh', '-c', `echo first > ${file}`] },
          { name: 'second', image: 'sim/shell:1', command: ['sh', '-c', `echo second >> ${file}`] },
        ],
        containers: [{ name: 'main', image: 'sim/shell:1', command: ['sh', '-c', `cat ${file}; rm ${file}`] }],
      },
    });
    await core.createNamespacedPod({ namespace: NS, body: withInit });
    const done = await waitFor('Succeeded', async () => {
      const p = await core.readNamespacedPod({ name: 'init-ok', namespace: NS });
      return p.status?.phase === 'Succeeded' && p;
    });
    assert.deepEqual(
      done.status?.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.reason]),
      [
        ['first', 'Completed'],
        ['second', 'Completed'],
      ],
    );
    assert.equal(done.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
    assert.equal(await core.readNamespacedPodLog({ name: 'init-ok', namespace: NS }), 'first\nsecond\n');
    // Lists are ordered by name; the creation order is the resourceVersion's.
    const started = (await eventsOf('init-ok'))
      .filter((e) => e.reason === 'Started')
      .sort((x, y) => Number(x.metadata?.resourceVersion) - Number(y.metadata?.resourceVersion))
      .map((e) => e.message);
    assert.deepEqual(started, ['Started container first', 'Started container second', 'Started container main']);

    const failing = pod('init-fail', {
      spec: { initContainers: [{ name: 'check', image: 'sim/shell:1', command: ['sh', '-c', 'exit 7'] }] },
    });
    await core.createNamespacedPod({ namespace: NS, body: failing });
    const failed = await waitFor('Failed', async () => {
      const p = await core.readNamespacedPod({ name: 'init-fail', namespace: NS });
      return p.status?.phase === 'Failed' && p;
    });
    assert.equal(failed.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 7);
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(sim.control.pid(NS, 'init-fail'), undefined, 'the main container never ran');
    await core.deleteCollectionNamespacedPod({ namespace: NS, gracePeriodSeconds: 0 });
  });

  test('delete runs the preStop hook before SIGTERM', async () => {
    const marker = `/tmp/k8s-sim-prestop-${process.pid}-${Date.now()}`;
    const hooked = pod('prestop-1', { spec: { terminationGracePeriodSeconds: 5 } });
    hooked.spec.containers[0].lifecycle = {
      preStop: { exec: { command: ['sh', '-c', `echo "$HOSTNAME" > ${marker}`] } },
    };
    await core.createNamespacedPod({ namespace: NS, body: hooked });
    await waitFor('Running', () => sim.control.get('pods', NS, 'prestop-1')?.status.phase === 'Running');
    await core.deleteNamespacedPod({ name: 'prestop-1', namespace: NS });
    await waitFor('gone', () => !sim.control.get('pods', NS, 'prestop-1'));
    const { readFileSync, rmSync } = await import('node:fs');
    assert.equal(readFileSync(marker, 'utf8'), 'prestop-1\n');
    rmSync(marker);
  });
});

test('a followed log streams new output and ends with the container', async () => {
  const talker = pod('talker-1');
  talker.spec.containers[0].command = ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done'];
  await core.createNamespacedPod({ namespace: NS, body: talker });
  await waitFor('started', () => sim.control.pid(NS, 'talker-1'));
  const followed = await c.raw(`/api/v1/namespaces/${NS}/pods/talker-1/log?follow=true`, sim.token);
  assert.equal(followed.status, 200);
  assert.equal(followed.body, 'line 1\nline 2\nline 3\n');
  const tail = await core.readNamespacedPodLog({ name: 'talker-1', namespace: NS, tailLines: 1 });
  assert.equal(tail, 'line 3\n');
  await core.deleteNamespacedPod({ name: 'talker-1', namespace: NS });
});
