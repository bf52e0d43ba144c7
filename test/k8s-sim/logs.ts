// `GET …/pods/NAME/log` as the API server answers it: which container (the only one, or the one named),
// the 400s for a pod whose container has not started, and tailLines / limitBytes.
import type { LogBuffer } from './containers.ts';
import type { Kubelet } from './kubelet.ts';
import { badRequest, notFound } from './status.ts';
import type { Obj, Store } from './store.ts';

export function podLog(
  store: Store,
  kubelet: Kubelet,
  ns: string,
  name: string,
  container: string | null,
  previous: boolean,
): LogBuffer {
  const pod = store.get('pods', ns, name);
  if (!pod) throw notFound('pods', name);
  const names: string[] = pod.spec.containers.map((c: Obj) => c.name);
  if (container === null && names.length > 1)
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
  const cname = container ?? names[0]!;
  const inits: string[] = (pod.spec.initContainers ?? []).map((c: Obj) => c.name);
  if (!names.includes(cname) && !inits.includes(cname))
    throw badRequest(`container ${cname} is not valid for pod ${name}`);
  const log = kubelet.logOf(ns, name, cname, previous);
  if (log) return log;
  if (previous) throw badRequest(`previous terminated container "${cname}" in pod "${name}" not found`);
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const waiting = statuses.find((s: Obj) => s.name === cname)?.state?.waiting?.reason;
  throw badRequest(`container "${cname}" in pod "${name}" is waiting to start: ${waiting ?? 'ContainerCreating'}`);
}

/** The last `tail` lines, then at most `limit` bytes, as the kubelet cuts a log. */
export function trimLog(text: string, tail: number | undefined, limit: number | undefined): string {
  let out = text;
  if (tail !== undefined) {
    const lines = out.split('\n');
    const ended = lines.at(-1) === '';
    if (ended) lines.pop();
    out = lines.slice(Math.max(0, lines.length - tail)).join('\n') + (ended && tail > 0 ? '\n' : '');
  }
  return limit !== undefined ? Buffer.from(out).subarray(0, limit).toString() : out;
}
