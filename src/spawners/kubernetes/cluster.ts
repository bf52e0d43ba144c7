import type { Logger } from 'pino';
import type { KubernetesConfig } from '../../config/schema-kubernetes.ts';
import { spawnFailed } from '../../errors/index.ts';
import { apiMessage, type KubeApi } from './client.ts';
import { EventStore, eventView } from './events.ts';
import { POD_SELECTOR } from './pod-spec.ts';
import { PodCache, podView } from './pods.ts';
import { type ListQuery, type ListResult, Reflector } from './reflector.ts';

const EVENT_SELECTOR = 'involvedObject.kind=Pod';
/** A list of thousands of pods takes longer than one small request: lists get this many request timeouts. */
const LIST_TIMEOUT_FACTOR = 10;

/**
 * Everything the hub's kubernetes servers share: the API client, ONE pod watch and ONE event watch per
 * namespace (or one of each for the whole cluster with user namespaces), the pod cache they fill, and
 * the bounded event store. Spawners only read these; no spawner polls the API on its own.
 */
export class KubeCluster {
  readonly api: KubeApi;
  readonly pods = new PodCache();
  readonly events: EventStore;
  readonly #k: KubernetesConfig;
  readonly #log: Logger;
  /** Pods being created, whose events are kept before their pod shows in the cache. */
  readonly #expected = new Map<string, number>();
  readonly #watches = new Map<string, Reflector<unknown>[]>();

  constructor(api: KubeApi, k: KubernetesConfig, log: Logger) {
    this.api = api;
    this.#k = k;
    this.#log = log;
    this.events = new EventStore({
      wanted: (pod) => this.pods.has(pod) || this.#expected.has(pod),
      maxCount: k.events_max_count,
      maxAgeMs: k.events_max_age * 1000,
    });
  }

  /** The reflectors (pods, events) covering this namespace, started on first use; for tests and the benchmark. */
  reflectors(namespace: string): readonly Reflector<unknown>[] {
    return this.#watches.get(this.#scope(namespace)) ?? [];
  }

  #scope(namespace: string): string {
    return this.#k.enable_user_namespaces ? '' : namespace;
  }

  /** Resolves once the watches covering `namespace` have listed what exists. */
  async watching(namespace: string): Promise<void> {
    const scope = this.#scope(namespace);
    let pair = this.#watches.get(scope);
    if (!pair) {
      pair = [this.#podReflector(scope), this.#eventReflector(scope)] as Reflector<unknown>[];
      this.#watches.set(scope, pair);
      for (const r of pair) r.start();
    }
    try {
      await Promise.all(pair.map((r) => r.synced()));
    } catch (err) {
      throw spawnFailed(`Cannot list ${namespace ? `pods in namespace ${namespace}` : 'pods'}: ${apiMessage(err)}`);
    }
  }

  /** Keeps the events of a pod about to be created; call the returned function when it no longer matters. */
  expect(pod: string): () => void {
    this.#expected.set(pod, (this.#expected.get(pod) ?? 0) + 1);
    return () => {
      const n = (this.#expected.get(pod) ?? 1) - 1;
      if (n > 0) this.#expected.set(pod, n);
      else this.#expected.delete(pod);
    };
  }

  stop(): void {
    for (const pair of this.#watches.values()) for (const r of pair) r.stop();
    this.#watches.clear();
  }

  #common(scope: string, what: string) {
    return {
      name: `${what} in ${scope || 'all namespaces'}`,
      path: scope ? `/api/v1/namespaces/${encodeURIComponent(scope)}/${what}` : `/api/v1/${what}`,
      watch: this.api.watch.bind(this.api),
      stallMs: this.#k.watch_stall_timeout * 1000,
      log: this.#log,
    };
  }

  /** Lists with the API server's JSON as is: thousands of objects, of which the projection keeps a few fields. */
  #list(path: string) {
    const timeout = this.#k.k8s_api_request_timeout * LIST_TIMEOUT_FACTOR * 1000;
    return (q: ListQuery) => this.api.getJson(path, { ...q }, timeout) as Promise<ListResult>;
  }

  #podReflector(scope: string): Reflector<unknown> {
    const common = this.#common(scope, 'pods');
    return new Reflector(
      { ...common, labelSelector: POD_SELECTOR, list: this.#list(common.path), project: podView },
      this.pods,
    ) as Reflector<unknown>;
  }

  #eventReflector(scope: string): Reflector<unknown> {
    const common = this.#common(scope, 'events');
    return new Reflector(
      { ...common, fieldSelector: EVENT_SELECTOR, list: this.#list(common.path), project: eventView },
      this.events,
    ) as Reflector<unknown>;
  }
}
