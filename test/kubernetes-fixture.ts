// What the kubernetes spawner's tests share: a simulated Kubernetes API (test/k8s-sim) and spawner
// settings that run Debian's jupyterhub-singleuser in its pods.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ConfigInput, SpawnerConfig } from '../src/config/index.ts';
import type { SpawnRequest } from '../src/spawners/spawner.ts';
import { type K8sSim, startK8sSim } from './k8s-sim/index.ts';

export const NS = 'jhub';

export interface SimFixture {
  sim: K8sSim;
  home: string;
  /** Spawner settings for the simulator, with these kubernetes keys and shared keys on top. */
  spawner(kubernetes?: Record<string, unknown>, more?: Record<string, unknown>): ConfigInput['spawner'];
  podOf(name: string): ReturnType<K8sSim['control']['get']>;
  close(): Promise<void>;
}

export async function startSimFixture(stepMs?: number): Promise<SimFixture> {
  const sim = await startK8sSim({ namespace: NS, backoffMs: 200, stepMs });
  const home = mkdtempSync(join(tmpdir(), 'tshub-k8s-home-'));
  return {
    sim,
    home,
    // Pods share the simulated node's loopback, so each server gets its own port (port: 0).
    spawner: (kubernetes = {}, more = {}) =>
      ({
        class: 'kubernetes',
        environment: { HOME: home },
        // The simulated kubelet runs the server as this test's own user, which may be root here.
        args: process.getuid?.() === 0 ? ['--allow-root'] : [],
        start_timeout: 120,
        http_timeout: 120,
        ...more,
        kubernetes: {
          kubeconfig: sim.kubeconfigPath,
          namespace: NS,
          port: 0,
          ip: '127.0.0.1',
          watch_stall_timeout: 5,
          ...kubernetes,
        },
      }) as ConfigInput['spawner'],
    podOf: (name) => sim.control.get('pods', NS, name),
    close: async () => {
      await sim.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A spawn request as the server manager makes one, for driving a spawner directly. */
export function requestFor(config: SpawnerConfig, name: string, home: string): SpawnRequest {
  return {
    user: { id: 1, name },
    serverName: '',
    prefix: `/user/${name}/`,
    env: {},
    userOptions: {},
    config,
    stateDir: home,
    log: pino({ level: 'silent' }),
  };
}
