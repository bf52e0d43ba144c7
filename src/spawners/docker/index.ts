// The docker spawner class (`spawner.class: docker`).
import type Docker from 'dockerode';
import type { SpawnerConfig } from '../../config/index.ts';
import type { SpawnerFactory } from '../spawner.ts';
import { connectEngine } from './engine.ts';
import { DockerSpawner } from './spawner.ts';

export { DockerSpawner } from './spawner.ts';

/** One engine client for all of the hub's containers, made at the first start so a bad `host` fails that start. */
export function dockerSpawnerFactory(config: SpawnerConfig): SpawnerFactory {
  let engine: Docker | null = null;
  const client = (): Docker => {
    engine ??= connectEngine(config.docker.host);
    return engine;
  };
  return {
    create: (req) => new DockerSpawner(req, client()),
    restore: (req, state) => new DockerSpawner(req, client(), state),
  };
}
