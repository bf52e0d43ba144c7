// What a container needs before it can start as a process: its environment, argv and working directory,
// or the reason it cannot be created yet (CreateContainerConfigError / CreateContainerError), as the
// kubelet reports it.
import { existsSync, mkdirSync } from 'node:fs';
import { ConfigError, containerArgv, containerEnv, type ImageSpec } from './containers.ts';
import type { Obj, Store } from './store.ts';

export type Prepared =
  | { ok: true; argv: string[]; env: Record<string, string>; cwd: string }
  | { ok: false; reason: string; message: string };

export function prepareContainer(
  store: Store,
  pod: Obj,
  c: Obj,
  image: ImageSpec | undefined,
  podDir: string,
  baseEnv: Record<string, string>,
): Prepared {
  let env: Record<string, string>;
  try {
    env = containerEnv(store, pod, c, { ...baseEnv, HOME: podDir, HOSTNAME: pod.metadata.name, ...image?.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, reason: 'CreateContainerConfigError', message: err.message };
  }
  const argv = containerArgv(c, image, env);
  if (!argv) return { ok: false, reason: 'CreateContainerError', message: 'no command specified' };
  const cwd = c.workingDir ?? image?.workingDir ?? podDir;
  try {
    mkdirSync(podDir, { recursive: true });
    if (!existsSync(cwd)) mkdirSync(cwd, { recursive: true });
  } catch (err) {
    return {
      ok: false,
      reason: 'CreateContainerError',
      message: `failed to create working directory: ${(err as Error).message}`,
    };
  }
  return { ok: true, argv, env, cwd };
}
