import { Listeners } from './listeners.ts';
import type { Raw, Sink } from './reflector.ts';

/** What the hub keeps of each server pod: a few fields, not the whole object (thousands of pods stay small). */
export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  phase: string;
  ready: boolean;
  podIP: string | null;
  deleting: boolean;
  /** The server container's waiting reason and message (ContainerCreating, ErrImagePull, CrashLoopBackOff...). */
  waiting: { reason: string; message: string } | null;
  /** The server container's exit, once it has one. */
  exitCode: number | null;
  /** The Unschedulable reason of the PodScheduled condition, with its message. */
  unschedulable: string | null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Raw => (v !== null && typeof v === 'object' ? (v as Raw) : {});
const list = (v: unknown): Raw[] => (Array.isArray(v) ? (v as Raw[]) : []);

/** The PodView of a pod as the API (watch: plain JSON) or the client (list: model objects) gives it. */
export function podView(raw: Raw): PodView {
  const metadata = obj(raw.metadata);
  const status = obj(raw.status);
  const conditions = list(status.conditions);
  const cond = (type: string) => conditions.find((c) => c.type === type);
  const statuses = list(status.containerStatuses);
  const server = statuses.find((s) => s.name === 'notebook') ?? statuses[0];
  const state = obj(server?.state);
  const waiting = state.waiting ? obj(state.waiting) : null;
  const terminated = state.terminated ? obj(state.terminated) : null;
  const scheduled = cond('PodScheduled');
  return {
    namespace: str(metadata.namespace),
    name: str(metadata.name),
    uid: str(metadata.uid),
    phase: str(status.phase) || 'Pending',
    ready: cond('Ready')?.status === 'True' && statuses.every((s) => s.ready === true),
    podIP: str(status.podIP) || null,
    deleting: metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null,
    waiting: waiting ? { reason: str(waiting.reason), message: str(waiting.message) } : null,
    exitCode: typeof terminated?.exitCode === 'number' ? terminated.exitCode : null,
    unschedulable:
      scheduled?.status === 'False' && scheduled.reason === 'Unschedulable'
        ? str(scheduled.message) || 'Unschedulable'
        : null,
  };
}

/** Whether the server in this pod is up: Running, Ready, with an IP, and not being deleted (KubeSpawner's test). */
export function isRunning(p: PodView): boolean {
  return p.phase === 'Running' && p.ready && p.podIP !== null && !p.deleting;
}

/** The shared pod watch's cache: every server pod by namespace/name, with listeners per pod. */
export class PodCache implements Sink<PodView> {
  readonly #pods = new Map<string, PodView>();
  readonly #listeners = new Listeners<PodView | null>();

  get size(): number {
    return this.#pods.size;
  }

  get(key: string): PodView | undefined {
    return this.#pods.get(key);
  }

  has(key: string): boolean {
    return this.#pods.has(key);
  }

  /** Calls `fn` on every change of this pod (null: gone) until the returned function is called. */
  subscribe(key: string, fn: (pod: PodView | null) => void): () => void {
    return this.#listeners.on(key, fn);
  }

  replace(items: Map<string, PodView>): void {
    for (const key of [...this.#pods.keys()]) if (!items.has(key)) this.remove(key);
    for (const [key, pod] of items) this.upsert(key, pod);
  }

  upsert(key: string, pod: PodView): void {
    this.#pods.set(key, pod);
    this.#listeners.emit(key, pod);
  }

  remove(key: string): void {
    if (!this.#pods.delete(key)) return;
    this.#listeners.emit(key, null);
  }
}
