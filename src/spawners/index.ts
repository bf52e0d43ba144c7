// Public surface of the spawners: the interface, the two process spawners, and the factory the hub uses.
import type { SpawnerConfig } from '../config/index.ts';
import { dockerSpawnerFactory } from './docker/index.ts';
import { kubernetesSpawnerFactory } from './kubernetes/index.ts';
import { LocalProcessSpawner } from './local.ts';
import { SimpleSpawner } from './simple.ts';
import { SlurmSpawner } from './slurm/slurm-spawner.ts';
import type { SpawnerFactory } from './spawner.ts';

export type { ProgressEvent, SpawnRequest, Spawner, SpawnerFactory } from './spawner.ts';
export { SimpleSpawner } from './simple.ts';
export { LocalProcessSpawner } from './local.ts';
export type { ProcessSpawnerOptions } from './process-spawner.ts';

/** The spawner class `spawner.class` names. */
export function spawnerFactory(config: SpawnerConfig): SpawnerFactory {
  switch (config.class) {
    case 'simple':
      return { create: (req) => new SimpleSpawner(req), restore: (req, state) => new SimpleSpawner(req, state) };
    case 'local':
      return {
        create: (req) => new LocalProcessSpawner(req),
        restore: (req, state) => new LocalProcessSpawner(req, state),
      };
    case 'docker':
      return dockerSpawnerFactory(config);
    case 'slurm':
      return { create: (req) => new SlurmSpawner(req), restore: (req, state) => new SlurmSpawner(req, state) };
    case 'kubernetes':
      return kubernetesSpawnerFactory(config);
  }
}
