import type { V1Pod } from '@kubernetes/client-node';
import { spawnFailed } from '../../errors/index.ts';
import { expandUsername } from '../paths.ts';
import { pickPort } from '../ports.ts';
import { OneStart } from '../one-start.ts';
import type { ProgressEvent, SpawnRequest, Spawner } from '../spawner.ts';
import { apiMessage, apiStatus, corePath, hubNamespace } from './client.ts';
import type { KubeCluster } from './cluster.ts';
import type { EventView } from './events.ts';
import { fieldProblems } from './fields.ts';
import { expandAll, expandTemplate, templateFields } from './names.ts';
import { buildPod, CONTAINER, MANAGED_BY } from './pod-spec.ts';
import { isRunning, type PodView } from './pods.ts';
import { deletePvc, ensureNamespace, ensurePvc } from './pvc.ts';

export type ModifyPodHook = (req: SpawnRequest, pod: Record<string, unknown>) => unknown;

/** Waiting reasons after which the container will not start without a change (bad image, crashing server). */
const FATAL_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
]);
/** Warning events that end a start at once, with their message (not after start_timeout). */
const FATAL_EVENTS = new Set([
  'Failed',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'FailedScheduling',
  'BackOff',
]);

/** The most of a pod's log read for its last lines, whatever their length. */
const MAX_LOG_BYTES = 1024 * 1024;

/** How long a fatal container state waits for the event that explains it. */
const EVENT_GRACE_MS = 1000;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function optionalString(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function checkName(what: string, name: string, max: number): void {
  if (name.length > max || !DNS_SUBDOMAIN.test(name))
    throw spawnFailed(`${what} ${JSON.stringify(name)} is not a valid Kubernetes name`);
}

/** An event as KubeSpawner shows it in the progress stream: when, its type, its message. */
export function eventLine(e: EventView): string {
  return `${new Date(e.at).toISOString()} [${e.type || 'Normal'}] ${e.message || e.reason}`;
}

/**
 * A server in a Kubernetes pod (JupyterHub's KubeSpawner). Every spawner of the hub reads one shared
 * pod watch and one event watch (KubeCluster); start() creates the pod and waits on the watch,
 * poll() reads the watch's cache. state() keeps KubeSpawner's pod_name, namespace, pvc_name and
 * dns_name, so a restarted hub adopts the same pod.
 */
export class KubeSpawner implements Spawner {
  readonly logFile = null;
  readonly #req: SpawnRequest;
  readonly #cluster: KubeCluster;
  readonly #hook: ModifyPodHook | undefined;
  #podName: string | null = null;
  #namespace: string | null = null;
  #pvcName: string | null = null;
  #dnsName: string | null = null;
  #port: number | null = null;
  readonly #start = new OneStart();
  /** Ends a start that waits on the pod, when a stop comes. */
  #cancelWait: (() => void) | null = null;

  constructor(
    req: SpawnRequest,
    cluster: KubeCluster,
    hook?: ModifyPodHook,
    state: Record<string, unknown> | null = null,
  ) {
    this.#req = req;
    this.#cluster = cluster;
    this.#hook = hook;
    if (state !== null) {
      this.#start.restored();
      this.#podName = optionalString(state.pod_name);
      this.#namespace = optionalString(state.namespace);
      this.#pvcName = optionalString(state.pvc_name);
      this.#dnsName = optionalString(state.dns_name);
      this.#port = typeof state.port === 'number' ? state.port : null;
    }
  }

  get #key(): string {
    return `${this.#namespace}/${this.#podName}`;
  }

  state(): Record<string, unknown> {
    return {
      pod_name: this.#podName,
      namespace: this.#namespace,
      pvc_name: this.#pvcName,
      dns_name: this.#dnsName,
      port: this.#port,
    };
  }

  progress(): AsyncIterable<ProgressEvent> {
    return this.#start.progress.events();
  }

  start(): Promise<string> {
    return this.#start.run(() => this.#launch());
  }

  #names(): Record<string, string> {
    const { config, user, serverName } = this.#req;
    const k = config.kubernetes;
    const hubNs = hubNamespace(k.namespace);
    const fields = templateFields(k, {
      userId: user.id,
      username: user.name,
      servername: serverName,
      hubNamespace: hubNs,
    });
    const namespace = k.enable_user_namespaces ? expandTemplate(k.user_namespace_template, fields) : hubNs;
    checkName('The namespace', namespace, 63);
    fields.namespace = namespace;
    fields.pod_name = expandTemplate(k.pod_name_template, fields);
    checkName('The pod name', fields.pod_name, 253);
    fields.pvc_name = expandTemplate(k.pvc_name_template, fields);
    if (k.storage_pvc_ensure) checkName('The storage claim name', fields.pvc_name, 253);
    this.#namespace = namespace;
    this.#podName = fields.pod_name;
    this.#pvcName = k.storage_pvc_ensure ? fields.pvc_name : null;
    this.#dnsName = expandTemplate(k.dns_name_template, { ...fields, name: fields.pod_name });
    return fields;
  }

  #environment(fields: Record<string, string>, image: string, port: number): Record<string, string> {
    const { config, user } = this.#req;
    // As KubeSpawner: JupyterHub's variables and the config's, nothing of the hub's own environment.
    const env: Record<string, string> = { ...this.#req.env, JUPYTER_IMAGE_SPEC: image, JUPYTER_IMAGE: image };
    env.JUPYTERHUB_SERVICE_URL = `http://${config.kubernetes.ip}:${port}/`;
    if (config.notebook_dir !== null) env.JUPYTERHUB_ROOT_DIR = expandUsername(config.notebook_dir, user.name);
    if (config.default_url !== null) env.JUPYTERHUB_DEFAULT_URL = expandUsername(config.default_url, user.name);
    return { ...env, ...expandAll(config.environment, fields) };
  }

  async #launch(): Promise<string> {
    const { config, user, serverName, log } = this.#req;
    const k = config.kubernetes;
    const fields = this.#names();
    const port = k.port || (await pickPort(config.port_range, (config.start_timeout + config.http_timeout) * 1000));
    this.#port = port;
    const namespace = this.#namespace!;
    const podName = this.#podName!;
    let pod: V1Pod = buildPod({
      config,
      podName,
      namespace,
      username: user.name,
      servername: serverName,
      image: k.image,
      fields,
      env: this.#environment(fields, k.image, port),
      port,
    });
    if (this.#hook) {
      const changed = await this.#hook(this.#req, pod as Record<string, unknown>);
      if (changed !== null && typeof changed === 'object') pod = changed as V1Pod;
    }
    const problems = fieldProblems(pod, 'V1Pod');
    if (problems.length > 0) throw spawnFailed(`The pod is not valid: ${problems.join('; ')}`);
    await this.#req.onState?.(this.state());
    await this.#cluster.watching(namespace);
    if (k.enable_user_namespaces) await ensureNamespace(this.#cluster.api, namespace, log);
    if (this.#pvcName !== null) {
      this.#start.progress.push(`Ensuring storage claim ${this.#pvcName}`);
      await ensurePvc(this.#cluster.api, config, { name: this.#pvcName, namespace, username: user.name, fields });
    }
    const forget = this.#cluster.expect(this.#key);
    let created = false;
    try {
      await this.#create(pod);
      created = true;
      log.info({ pod: podName, namespace, image: k.image }, 'single-user server pod created');
      const running = await this.#waitRunning();
      return `http://${running.podIP}:${port}`;
    } catch (err) {
      if (created)
        await this.#halt().catch((e: unknown) =>
          log.warn({ pod: podName, err: apiMessage(e) }, 'could not delete a failed pod'),
        );
      throw err;
    } finally {
      forget();
    }
  }

  /** Creates the pod; one of ours left under the name (a hub that lost track of it) is deleted first, as KubeSpawner. */
  async #create(pod: V1Pod): Promise<void> {
    const { api } = this.#cluster;
    const namespace = this.#namespace!;
    for (let attempt = 0; ; attempt++) {
      if (this.#start.stopRequested) throw spawnFailed('The start was cancelled by a stop request');
      this.#start.progress.push(`Creating pod ${this.#podName} in namespace ${namespace}`);
      try {
        await api.request('POST', corePath(namespace, 'pods'), { body: pod });
        return;
      } catch (err) {
        if (apiStatus(err) !== 409 || attempt > 0)
          throw spawnFailed(`Cannot create pod ${this.#podName}: ${apiMessage(err)}`);
      }
      const old = (await api
        .request('GET', corePath(namespace, 'pods', this.#podName!))
        .catch(() => null)) as V1Pod | null;
      if (old?.metadata?.labels?.['app.kubernetes.io/managed-by'] !== MANAGED_BY)
        throw spawnFailed(`A pod named ${this.#podName} that is not a server of this hub already exists`);
      this.#req.log.warn({ pod: this.#podName, namespace }, 'deleting an old pod of this server before starting it');
      this.#start.progress.push(`Deleting the old pod ${this.#podName}`);
      await this.#halt();
    }
  }

  /** Follows the pod on the shared watch until its server runs; fails at once on a fatal event or state. */
  #waitRunning(): Promise<PodView> {
    const { pods, events } = this.#cluster;
    const key = this.#key;
    return new Promise<PodView>((resolve, reject) => {
      const shown = new Set<string>();
      let lastWarning: EventView | null = null;
      let created = false;
      let grace: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        clearTimeout(grace);
        offPod();
        offEvents();
        this.#cancelWait = null;
      };
      const fail = (message: string): void => {
        cleanup();
        reject(spawnFailed(message));
      };
      const onEvent = (e: EventView): void => {
        const id = `${e.uid}@${e.at}@${e.message}`;
        if (!shown.has(id)) {
          shown.add(id);
          this.#start.progress.push(eventLine(e));
        }
        if (e.type === 'Warning') lastWarning = e;
        if (e.type === 'Warning' && FATAL_EVENTS.has(e.reason)) fail(e.message || e.reason);
      };
      const onPod = (pod: PodView | null): void => {
        if (pod === null) {
          if (created) fail(`Pod ${this.#podName} was deleted before its server started`);
          return;
        }
        created = true;
        if (isRunning(pod)) {
          cleanup();
          resolve(pod);
        } else if (pod.phase === 'Failed' || pod.phase === 'Succeeded') {
          fail(
            lastWarning?.message ||
              `Pod ${this.#podName} ended (${pod.phase}, exit status ${pod.exitCode ?? 'unknown'}) before its server started`,
          );
        } else if (pod.waiting && FATAL_WAITING.has(pod.waiting.reason)) {
          // The event that says why (the pull error, the crash) may come a moment after the pod's state.
          const { message, reason } = pod.waiting;
          grace ??= setTimeout(() => fail(lastWarning?.message || message || reason), EVENT_GRACE_MS);
        } else if (pod.unschedulable !== null) {
          fail(pod.unschedulable);
        }
      };
      const offEvents = events.subscribe(key, onEvent);
      const offPod = pods.subscribe(key, onPod);
      this.#cancelWait = () => fail('The start was cancelled by a stop request');
      for (const e of events.forPod(key)) onEvent(e);
      const now = pods.get(key);
      if (now) onPod(now);
    });
  }

  /** As KubeSpawner: null while the pod runs (or starts), its exit status once ended, 1 when it is gone. Reads the watch's cache only. */
  async poll(): Promise<number | null> {
    if (this.#podName === null || this.#namespace === null) return 0;
    try {
      await this.#cluster.watching(this.#namespace);
    } catch (err) {
      // An API server that does not answer says nothing about the server: it may well still serve.
      this.#req.log.warn({ pod: this.#podName, err: (err as Error).message }, 'cannot poll the pod');
      return null;
    }
    const pod = this.#cluster.pods.get(this.#key);
    if (!pod) return 1;
    if (pod.phase === 'Failed' || pod.phase === 'Succeeded') return pod.exitCode ?? 1;
    return null;
  }

  stop(): Promise<void> {
    this.#cancelWait?.();
    return this.#start.stop(() => this.#halt());
  }

  /** The server container's last lines (pods/log); none while the pod is gone or its container not started yet. */
  async recentLogs(tail: number): Promise<string[]> {
    if (this.#podName === null || this.#namespace === null) return [];
    const { api } = this.#cluster;
    try {
      const text = (await api.request('GET', `${corePath(this.#namespace, 'pods', this.#podName)}/log`, {
        query: { container: CONTAINER, tailLines: tail, limitBytes: MAX_LOG_BYTES },
        text: true,
      })) as string;
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      return lines;
    } catch (err) {
      if (apiStatus(err) === 404 || apiStatus(err) === 400) return [];
      throw new Error(`Cannot read the log of pod ${this.#podName}: ${apiMessage(err)}`);
    }
  }

  /** Deletes the pod with delete_grace_period and waits until the watch sees it gone. */
  async #halt(): Promise<void> {
    if (this.#podName === null || this.#namespace === null) return;
    const { api, pods, events } = this.#cluster;
    const { delete_grace_period: grace, k8s_api_request_timeout: timeout } = this.#req.config.kubernetes;
    const key = this.#key;
    await this.#cluster.watching(this.#namespace);
    const gone = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), (grace + timeout + 30) * 1000);
      const off = pods.subscribe(key, (pod) => {
        if (pod !== null) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
      if (!pods.has(key)) {
        clearTimeout(timer);
        off();
        resolve(true);
      }
    });
    try {
      await api.request('DELETE', corePath(this.#namespace, 'pods', this.#podName), {
        query: { gracePeriodSeconds: grace },
      });
    } catch (err) {
      if (apiStatus(err) !== 404) throw new Error(`Cannot delete pod ${this.#podName}: ${apiMessage(err)}`);
    }
    if (!(await gone))
      throw new Error(`Pod ${this.#podName} was not gone ${grace + timeout + 30} s after its deletion`);
    events.forget(key);
  }

  /** The server is deleted for good, so its storage claim goes too (delete_pvc), named by the template as KubeSpawner. */
  async deleteForever(): Promise<void> {
    if (!this.#req.config.kubernetes.delete_pvc) return;
    const fields = this.#names();
    await deletePvc(this.#cluster.api, this.#namespace!, fields.pvc_name!, this.#req.log);
  }
}
