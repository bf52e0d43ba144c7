import { Type } from 'typebox';
import type { Static } from 'typebox';
import { bool, int, nullable, section, str, strMap } from './schema-util.ts';

// KubeSpawner's keys (jupyterhub/kubespawner), under `spawner.kubernetes`; docs/spawners-kubernetes.md maps them.

const anyMap = (description: string) =>
  Type.Record(Type.String(), Type.Unknown(), { default: {}, description, hint: 'a mapping of names to values' });

const objects = (description: string) =>
  Type.Array(Type.Record(Type.String(), Type.Unknown()), { default: [], description, hint: 'a list of mappings' });

export const KubernetesSchema = section(
  {
    kubeconfig: nullable(
      Type.String({ minLength: 1 }),
      "A kubeconfig file to reach the cluster with; null uses the pod's service account inside a cluster, else KUBECONFIG or ~/.kube/config.",
    ),
    namespace: nullable(
      Type.String({ minLength: 1 }),
      "The namespace of the servers' pods; null is the hub's own (from its service account), else `default`.",
    ),
    enable_user_namespaces: bool(false, 'Each user gets a namespace of their own, named by user_namespace_template.'),
    user_namespace_template: str(
      '{hubnamespace}-{username}',
      'The namespace of a user when enable_user_namespaces is on; {hubnamespace} is the hub\'s namespace ("user" for "default").',
    ),
    pod_name_template: str(
      'jupyter-{user_server}',
      'The name of each pod: {username}, {servername}, {user_server} (slugs made per slug_scheme), {unescaped_username}, {userid}.',
    ),
    pvc_name_template: str('claim-{user_server}', 'The name of each user storage claim, with the same fields.'),
    dns_name_template: str(
      '{name}.{namespace}.svc.cluster.local',
      'The DNS name saved in the server state as dns_name ({name} is the pod name).',
    ),
    slug_scheme: Type.Union([Type.Literal('safe'), Type.Literal('escape')], {
      default: 'safe',
      description:
        'How user and server names become Kubernetes names: safe (valid names kept, others stripped and hashed; KubeSpawner 7) or escape (every other character as -XX; older KubeSpawner).',
    }),
    image: str('quay.io/jupyterhub/singleuser:latest', 'The image each server runs.'),
    image_pull_policy: Type.Union([Type.Literal('IfNotPresent'), Type.Literal('Always'), Type.Literal('Never')], {
      default: 'IfNotPresent',
      description: 'When the node pulls the image: IfNotPresent, Always or Never.',
    }),
    image_pull_secrets: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Names of the Secrets the node pulls the image with.',
    }),
    cmd: nullable(
      Type.Array(Type.String(), { minItems: 1 }),
      'The command run in the container; null runs spawner.cmd. spawner.args are added after it.',
    ),
    ip: str('0.0.0.0', 'The address the server listens on inside its pod.'),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8888,
      description:
        "The port each server listens on in its pod. 0 picks a free port on the hub's machine, for pods that share one network (hostNetwork, and the test simulator).",
    }),
    uid: nullable(Type.Integer({ minimum: 0 }), "The user id the container runs as (runAsUser); null: the image's."),
    gid: nullable(Type.Integer({ minimum: 0 }), "The group id the container runs as (runAsGroup); null: the image's."),
    fs_gid: nullable(
      Type.Integer({ minimum: 0 }),
      "The group that owns mounted volumes (the pod's fsGroup); null sets none.",
    ),
    extra_labels: strMap('Labels added to every pod (values may use the name template fields).'),
    extra_annotations: strMap('Annotations added to every pod (values may use the name template fields).'),
    node_selector: strMap('Node labels a pod must be scheduled on (nodeSelector).'),
    tolerations: objects('Tolerations of every pod, as Kubernetes writes them.'),
    node_affinity_required: objects('Node selector terms every pod requires (requiredDuringScheduling...).'),
    node_affinity_preferred: objects('Weighted node selector terms pods prefer (preferredDuringScheduling...).'),
    pod_affinity_required: objects('Pod affinity terms every pod requires.'),
    pod_affinity_preferred: objects('Weighted pod affinity terms pods prefer.'),
    pod_anti_affinity_required: objects('Pod anti-affinity terms every pod requires.'),
    pod_anti_affinity_preferred: objects('Weighted pod anti-affinity terms pods prefer.'),
    service_account: nullable(
      Type.String({ minLength: 1 }),
      "The service account of the pods; null: the namespace's default.",
    ),
    automount_service_account_token: nullable(
      Type.Boolean(),
      "Whether the service account's token is mounted in pods; null mounts it only when service_account is set.",
    ),
    volumes: objects('Volumes of every pod, as Kubernetes writes them; strings may use the name template fields.'),
    volume_mounts: objects('Volume mounts of the server container; strings may use the name template fields.'),
    init_containers: objects('Containers run to completion before the server starts.'),
    extra_containers: objects('More containers run beside the server in its pod.'),
    lifecycle_hooks: anyMap("The server container's lifecycle (postStart, preStop), as Kubernetes writes it."),
    extra_pod_config: anyMap('More fields of the pod spec (Kubernetes names, e.g. priorityClassName), merged last.'),
    extra_container_config: anyMap('More fields of the server container (e.g. securityContext), merged last.'),
    extra_resource_limits: strMap('More resource limits of the server container, e.g. {"nvidia.com/gpu": "1"}.'),
    extra_resource_guarantees: strMap('More resource requests of the server container.'),
    storage_pvc_ensure: bool(false, 'Create a PersistentVolumeClaim per server (pvc_name_template) before its pod.'),
    storage_capacity: nullable(Type.String({ minLength: 1 }), 'The size each claim requests, e.g. 10Gi.'),
    storage_class: nullable(
      Type.String({ minLength: 1 }),
      'The storage class of each claim; null: the cluster default.',
    ),
    storage_access_modes: Type.Array(Type.String({ minLength: 1 }), {
      default: ['ReadWriteOnce'],
      description: 'The access modes of each claim.',
    }),
    storage_extra_labels: strMap('Labels added to each claim.'),
    delete_pvc: bool(true, "Delete the server's claim when the server is deleted for good (not on a stop)."),
    delete_grace_period: int(1, 'Seconds a stopping pod gets between SIGTERM and SIGKILL.'),
    k8s_api_request_timeout: int(3, 'Seconds each Kubernetes API request may take.', 1),
    watch_stall_timeout: int(
      90,
      'Seconds without any event or bookmark after which a watch counts as stalled and is replaced.',
      5,
    ),
    events_max_count: int(5000, 'The most pod events kept in memory (for spawn progress); older ones go first.', 100),
    events_max_age: int(900, 'Seconds a pod event is kept in memory.', 60),
  },
  'Settings of the kubernetes spawner (spawner.class: kubernetes), with KubeSpawner key names.',
);

export type KubernetesConfig = Static<typeof KubernetesSchema>;
