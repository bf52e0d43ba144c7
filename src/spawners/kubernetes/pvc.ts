import type { Logger } from 'pino';
import type { SpawnerConfig } from '../../config/index.ts';
import { spawnFailed } from '../../errors/index.ts';
import { apiMessage, apiStatus, corePath, type KubeApi } from './client.ts';
import { buildPvc } from './pod-spec.ts';

/** Creates the server's storage claim unless it exists (a claim outlives its pods: it is the user's data). */
export async function ensurePvc(
  api: KubeApi,
  config: SpawnerConfig,
  p: { name: string; namespace: string; username: string; fields: Record<string, string> },
): Promise<void> {
  let body: ReturnType<typeof buildPvc>;
  try {
    body = buildPvc(config, p);
  } catch (err) {
    throw spawnFailed((err as Error).message);
  }
  try {
    await api.request('POST', corePath(p.namespace, 'persistentvolumeclaims'), { body });
  } catch (err) {
    if (apiStatus(err) !== 409) throw spawnFailed(`Cannot create storage claim ${p.name}: ${apiMessage(err)}`);
  }
}

/** Deletes a storage claim (delete_forever with delete_pvc); one already gone is fine. */
export async function deletePvc(api: KubeApi, namespace: string, name: string, log: Logger): Promise<void> {
  try {
    await api.request('DELETE', corePath(namespace, 'persistentvolumeclaims', name));
    log.info({ pvc: name, namespace }, 'storage claim deleted');
  } catch (err) {
    if (apiStatus(err) !== 404) throw new Error(`Cannot delete storage claim ${name}: ${apiMessage(err)}`);
  }
}

/** Creates a user namespace (enable_user_namespaces) unless it exists. */
export async function ensureNamespace(api: KubeApi, name: string, log: Logger): Promise<void> {
  try {
    await api.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
    log.info({ namespace: name }, 'user namespace created');
  } catch (err) {
    if (apiStatus(err) !== 409) throw spawnFailed(`Cannot create namespace ${name}: ${apiMessage(err)}`);
  }
}
