// The kubernetes spawner class (`spawner.class: kubernetes`).
import type { Logger } from 'pino';
import type { SpawnerConfig } from '../../config/index.ts';
import { spawnerHooks } from '../../config/spawner-hooks.ts';
import type { SpawnerFactory } from '../spawner.ts';
import { KubeApi } from './client.ts';
import { KubeCluster } from './cluster.ts';
import { KubeSpawner } from './spawner.ts';

export { KubeSpawner } from './spawner.ts';
export { KubeCluster } from './cluster.ts';

/**
 * One cluster connection and one set of shared watches for all of the hub's pods, made at the first
 * spawner so that a bad kubeconfig fails that start, not the hub's.
 */
export function kubernetesSpawnerFactory(config: SpawnerConfig): SpawnerFactory {
  const hook = spawnerHooks(config).modify_pod_hook;
  let cluster: KubeCluster | null = null;
  const shared = (log: Logger): KubeCluster => {
    if (cluster === null) {
      cluster = new KubeCluster(KubeApi.fromConfig(config.kubernetes), config.kubernetes, log);
    }
    return cluster;
  };
  return {
    create: (req) => new KubeSpawner(req, shared(req.log), hook),
    restore: (req, state) => new KubeSpawner(req, shared(req.log), hook, state),
    close: () => cluster?.stop(),
  };
}
