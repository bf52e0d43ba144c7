import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PersistentVolumeClaim, Pod } from 'kubernetes-models/v1';
import { buildConfig, type ConfigInput } from '../../config/index.ts';
import { fieldProblems } from './fields.ts';
import { templateFields } from './names.ts';
import { buildPod, buildPvc, POD_SELECTOR } from './pod-spec.ts';

type SpawnerInput = NonNullable<ConfigInput['spawner']>;

function podFor(spawner: SpawnerInput, username = 'alice', servername = '') {
  const config = buildConfig({ spawner: { class: 'kubernetes', ...spawner } as SpawnerInput }).spawner;
  const fields = {
    ...templateFields(config.kubernetes, { userId: 1, username, servername, hubNamespace: 'jhub' }),
    namespace: 'jhub',
    pod_name: 'jupyter-x',
    pvc_name: 'claim-x',
  };
  const pod = buildPod({
    config,
    podName: 'jupyter-x',
    namespace: 'jhub',
    username,
    servername,
    image: config.kubernetes.image,
    fields,
    env: { JUPYTERHUB_API_TOKEN: 'secret' },
    port: config.kubernetes.port,
  });
  return { config, pod, fields };
}

/** Valid for the Kubernetes schemas (kubernetes-models) and with no field the API does not know. */
function assertValidPod(pod: unknown, what: string): void {
  assert.doesNotThrow(() => new Pod(pod as never).validate(), what);
  assert.deepEqual(fieldProblems(pod, 'V1Pod'), [], `${what}: no unknown field`);
}

const CONFIGS: [string, SpawnerInput][] = [
  ['defaults', {}],
  [
    'limits and guarantees (GPUs too)',
    {
      mem_limit: '2G',
      mem_guarantee: 1024 ** 3,
      cpu_limit: 1.5,
      cpu_guarantee: 0.5,
      kubernetes: {
        extra_resource_limits: { 'nvidia.com/gpu': '1' },
        extra_resource_guarantees: { 'nvidia.com/gpu': '1' },
      },
    },
  ],
  [
    'scheduling: node selector, tolerations, affinities',
    {
      kubernetes: {
        node_selector: { 'hub.jupyter.org/node-purpose': 'user' },
        tolerations: [{ key: 'hub.jupyter.org/dedicated', operator: 'Equal', value: 'user', effect: 'NoSchedule' }],
        node_affinity_required: [{ matchExpressions: [{ key: 'gpu', operator: 'In', values: ['yes'] }] }],
        node_affinity_preferred: [
          { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
        ],
        pod_affinity_preferred: [
          {
            weight: 100,
            podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { a: 'b' } } },
          },
        ],
        pod_anti_affinity_required: [{ topologyKey: 'kubernetes.io/hostname' }],
      },
    },
  ],
  [
    'storage, volumes, init containers, lifecycle, identity',
    {
      kubernetes: {
        storage_pvc_ensure: true,
        storage_capacity: '10Gi',
        volumes: [{ name: 'home', persistentVolumeClaim: { claimName: 'claim-{username}' } }],
        volume_mounts: [{ name: 'home', mountPath: '/home/jovyan' }],
        init_containers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
        extra_containers: [{ name: 'sidecar', image: 'busybox' }],
        lifecycle_hooks: { postStart: { exec: { command: ['sh', '-c', 'echo hi'] } } },
        uid: 1000,
        gid: 100,
        fs_gid: 100,
        service_account: 'user-sa',
        image_pull_secrets: ['regcred'],
        image_pull_policy: 'Always',
        extra_labels: { team: '{username}' },
        extra_annotations: { note: 'for {unescaped_username}' },
      },
    },
  ],
  [
    'extra pod and container config in either spelling',
    {
      kubernetes: {
        extra_pod_config: { priority_class_name: 'users', dnsPolicy: 'ClusterFirst', enableServiceLinks: false },
        extra_container_config: { working_dir: '/home/jovyan', securityContext: { readOnlyRootFilesystem: true } },
        cmd: ['start-notebook.sh'],
        port: 9000,
      },
      args: ['--debug'],
    },
  ],
];

test('pods built from many configs validate against the Kubernetes schemas, with no unknown field', () => {
  for (const [what, spawner] of CONFIGS) {
    const { pod } = podFor(spawner, 'User@Example.com', 'lab 2');
    assertValidPod(pod, what);
  }
  // The checks do refuse what is wrong, so passing them means something.
  const { pod } = podFor({});
  const broken = { ...pod, spec: { ...pod.spec, containers: [{ name: 5 }] } };
  assert.throws(() => new Pod(broken as never).validate());
  assert.deepEqual(fieldProblems(broken, 'V1Pod'), ['spec.containers[0].name: 5 is not a string']);
});

test('the pod carries what the keys say', () => {
  const { pod: plain } = podFor({});
  const c = plain.spec!.containers[0]!;
  assert.equal(c.name, 'notebook');
  assert.equal(c.image, 'quay.io/jupyterhub/singleuser:latest');
  assert.deepEqual(c.args, ['jupyterhub-singleuser']);
  assert.deepEqual(c.ports, [{ name: 'notebook-port', containerPort: 8888 }]);
  assert.equal(plain.spec!.automountServiceAccountToken, false, 'no token without a service account');
  const labels = plain.metadata!.labels!;
  assert.equal(labels['app.kubernetes.io/component'], 'singleuser-server');
  assert.equal(labels['app.kubernetes.io/managed-by'], 'tshub');
  assert.equal(labels['hub.jupyter.org/username'], 'alice');
  for (const part of POD_SELECTOR.split(',')) {
    const [key, value] = part.split('=');
    assert.equal(labels[key!], value, 'the shared watch selects every server pod');
  }

  const { pod } = podFor(CONFIGS[1]![1]);
  assert.deepEqual(pod.spec!.containers[0]!.resources, {
    limits: { memory: String(2 * 1024 ** 3), cpu: '1.5', 'nvidia.com/gpu': '1' },
    requests: { memory: String(1024 ** 3), cpu: '0.5', 'nvidia.com/gpu': '1' },
  });

  const { pod: sched } = podFor(CONFIGS[2]![1]);
  const aff = sched.spec!.affinity!;
  assert.deepEqual(aff.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution, {
    nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'In', values: ['yes'] }] }],
  });
  assert.equal(aff.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.length, 1);
  assert.equal(sched.spec!.tolerations![0]!.effect, 'NoSchedule');

  const { pod: full } = podFor(CONFIGS[3]![1]);
  assert.equal(full.spec!.volumes![0]!.persistentVolumeClaim!.claimName, 'claim-alice', 'templates in volumes');
  assert.equal(full.metadata!.labels!.team, 'alice');
  assert.equal(full.metadata!.annotations!.note, 'for alice');
  assert.deepEqual(full.spec!.containers[0]!.securityContext, {
    allowPrivilegeEscalation: false,
    runAsUser: 1000,
    runAsGroup: 100,
  });
  assert.deepEqual(full.spec!.securityContext, { fsGroup: 100 });
  assert.equal(full.spec!.automountServiceAccountToken, true);
  assert.deepEqual(full.spec!.imagePullSecrets, [{ name: 'regcred' }]);

  const { pod: extra } = podFor(CONFIGS[4]![1]);
  assert.equal(extra.spec!.priorityClassName, 'users', 'snake_case keys become the API names');
  assert.equal(extra.spec!.containers[0]!.workingDir, '/home/jovyan');
  assert.deepEqual(extra.spec!.containers[0]!.args, ['start-notebook.sh', '--debug']);
});

test('a misspelt or mistyped key in extra_pod_config is named before anything is sent', () => {
  const { pod } = podFor({ kubernetes: { extra_pod_config: { priorityClasName: 'x', hostNetwork: 'yes' } } });
  assert.deepEqual(fieldProblems(pod, 'V1Pod'), [
    'spec.priorityClasName: not a field of PodSpec',
    'spec.hostNetwork: "yes" is not a boolean',
  ]);
  const { pod: c } = podFor({ kubernetes: { extra_container_config: { securityContext: { runAsUsr: 1 } } } });
  assert.deepEqual(fieldProblems(c, 'V1Pod'), [
    'spec.containers[0].securityContext.runAsUsr: not a field of SecurityContext',
  ]);
  const { pod: v } = podFor({ kubernetes: { volumes: [{ name: 'x', hostPth: { path: '/' } }] } });
  assert.deepEqual(fieldProblems(v, 'V1Pod'), ['spec.volumes[0].hostPth: not a field of Volume']);
});

test('the storage claim validates, and needs a capacity', () => {
  const { config, fields } = podFor({
    kubernetes: { storage_pvc_ensure: true, storage_capacity: '5Gi', storage_class: 'fast' },
  });
  const pvc = buildPvc(config, { name: 'claim-alice', namespace: 'jhub', username: 'alice', fields });
  assert.doesNotThrow(() => new PersistentVolumeClaim(pvc as never).validate());
  assert.deepEqual(fieldProblems(pvc, 'V1PersistentVolumeClaim'), []);
  assert.equal(pvc.spec!.storageClassName, 'fast');
  assert.deepEqual(pvc.spec!.resources!.requests, { storage: '5Gi' });
  const { config: none } = podFor({ kubernetes: { storage_pvc_ensure: true } });
  assert.throws(() => buildPvc(none, { name: 'c', namespace: 'jhub', username: 'alice', fields }), /storage_capacity/);
});
