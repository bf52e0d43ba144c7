// What the kubelet needs to turn a container spec into a local process: the image's default command, the
// environment (literal values, secretKeyRef / configMapKeyRef, fieldRef, $(VAR) expansion as the kubelet
// expands it), and a bounded log of the process's stdout and stderr.
import type { Obj, Store } from './store.ts';

/** What the simulator's "registry" knows of an image: its default entrypoint and environment. */
export interface ImageSpec {
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  workingDir?: string;
}

/** Why a container cannot be created yet (a missing secret, ...), worded as the kubelet's event. */
export class ConfigError extends Error {}

/** The image's name without tag or digest, for lookups: "x/y:1.2" → "x/y". */
export const imageName = (image: string) => image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');

export function findImage(images: Record<string, ImageSpec> | undefined, image: string): ImageSpec | undefined {
  return images?.[image] ?? images?.[imageName(image)];
}

/** $(VAR) → its value when defined, $$(VAR) → literal $(VAR), as the kubelet expands command, args and env. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && env[name] !== undefined ? env[name] : whole;
  });
}

function fieldValue(pod: Obj, path: string): string {
  const m = pod.metadata;
  const byPath: Record<string, unknown> = {
    'metadata.name': m.name,
    'metadata.namespace': m.namespace,
    'metadata.uid': m.uid,
    'spec.nodeName': pod.spec.nodeName,
    'spec.serviceAccountName': pod.spec.serviceAccountName,
    'status.podIP': pod.status?.podIP,
    'status.hostIP': pod.status?.hostIP,
    'status.podIPs': pod.status?.podIP,
  };
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) return String(m[label[1]!]?.[label[2]!] ?? '');
  if (!(path in byPath)) throw new ConfigError(`unsupported fieldPath: ${path}`);
  return String(byPath[path] ?? '');
}

function keyRef(store: Store, ns: string, kind: 'secrets' | 'configmaps', ref: Obj): string | undefined {
  const obj = store.get(kind, ns, ref.name);
  const what = kind === 'secrets' ? 'secret' : 'configmap';
  if (!obj) {
    if (ref.optional) return undefined;
    throw new ConfigError(`${what} "${ref.name}" not found`);
  }
  const raw = obj.data?.[ref.key];
  if (raw === undefined) {
    if (ref.optional) return undefined;
    throw new ConfigError(
      `couldn't find key ${ref.key} in ${kind === 'secrets' ? 'Secret' : 'ConfigMap'} ${ns}/${ref.name}`,
    );
  }
  return kind === 'secrets' ? Buffer.from(raw, 'base64').toString() : raw;
}

/** The container's environment on top of `base`, in the order the kubelet resolves it. */
export function containerEnv(store: Store, pod: Obj, c: Obj, base: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { ...base };
  const ns = pod.metadata.namespace;
  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    const kind = from.secretRef ? 'secrets' : 'configmaps';
    const obj = store.get(kind, ns, ref?.name);
    if (!obj) {
      if (ref?.optional) continue;
      throw new ConfigError(`${from.secretRef ? 'secret' : 'configmap'} "${ref?.name}" not found`);
    }
    for (const [k, v] of Object.entries(obj.data ?? {}))
      env[`${from.prefix ?? ''}${k}`] = kind === 'secrets' ? Buffer.from(String(v), 'base64').toString() : String(v);
  }
  for (const e of c.env ?? []) {
    let value: string | undefined;
    if (e.valueFrom?.secretKeyRef) value = keyRef(store, ns, 'secrets', e.valueFrom.secretKeyRef);
    else if (e.valueFrom?.configMapKeyRef) value = keyRef(store, ns, 'configmaps', e.valueFrom.configMapKeyRef);
    else if (e.valueFrom?.fieldRef) value = fieldValue(pod, e.valueFrom.fieldRef.fieldPath);
    else if (e.valueFrom) throw new ConfigError(`unsupported valueFrom for ${e.name}`);
    else value = expand(String(e.value ?? ''), env);
    if (value !== undefined) env[e.name] = value;
  }
  return env;
}

/** The argv a container runs: its command/args over the image's entrypoint, expanded; null when none. */
export function containerArgv(c: Obj, image: ImageSpec | undefined, env: Record<string, string>): string[] | null {
  const command: string[] | undefined = c.command ?? image?.command;
  const args: string[] = c.args ?? (c.command ? [] : (image?.args ?? []));
  const argv = [...(command ?? []), ...args].map((a) => expand(String(a), env));
  return argv.length ? argv : null;
}

/** A process's output, keeping the last `limit` bytes as a container runtime's log rotation does. */
export class LogBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly followers = new Set<(chunk: Buffer | null) => void>();
  /** The process is gone: no more output, and a follower's stream ends. */
  ended = false;

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
    for (const f of this.followers) f(chunk);
  }

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }

  end(): void {
    this.ended = true;
    for (const f of this.followers) f(null);
    this.followers.clear();
  }

  /** Calls `f` with each new chunk, then with null when the process ends. */
  follow(f: (chunk: Buffer | null) => void): () => void {
    if (this.ended) f(null);
    else this.followers.add(f);
    return () => this.followers.delete(f);
  }
}
