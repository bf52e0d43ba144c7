// Public surface of the spawners: the interface, the two process spawners, and the factory the hub uses.
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import type { SpawnerConfig } from '../config/index.ts';
import { LocalProcessSpawner } from './local.ts';
import { SimpleSpawner } from './simple.ts';
import type { SpawnerFactory } from './spawner.ts';

// The docker, slurm and kubernetes classes load when configured, not at every start: the docker one brings dockerode
// and its dependencies (~200 modules, ~10 MB of the hub's memory). A synchronous require (of an ES module,
// from the sources or from dist/ like this file) keeps spawnerFactory synchronous.
const load = createRequire(import.meta.url);
const ext = extname(import.meta.url);
const docker = (): typeof import('./docker/index.ts') => load(`./docker/index${ext}`);
const slurm = (): typeof import('./slurm/slurm-spawner.ts') => load(`./slurm/slurm-spawner${ext}`);
// The watches, caches and field table: only a kubernetes hub pays for them.
const kubernetes = (): typeof import('./kubernetes/index.ts') => load(`./kubernetes/index${ext}`);

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
      return docker().dockerSpawnerFactory(config);
    case 'slurm': {
      const { SlurmSpawner } = slurm();
      return { create: (req) => new SlurmSpawner(req), restore: (req, state) => new SlurmSpawner(req, state) };
    }
    case 'kubernetes':
      return kubernetes().kubernetesSpawnerFactory(config);
  }
}
