import { DEFAULT_ENV_KEEP } from '../config/schema-spawner.ts';
import { findExecutable } from './command.ts';

/**
 * The only variables a server or managed service inherits from the hub (`base`, JupyterHub's
 * Spawner.env_keep, and `extra`): the hub's own environment may hold secrets such as the proxy's auth token.
 */
export function keptEnv(
  extra: readonly string[] = [],
  base: readonly string[] = DEFAULT_ENV_KEEP,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of [...base, ...extra]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

export type RunAsIds = { uid: number; gid: number; groups: number[] } | null;

let setprivPath: string | null | undefined;

/**
 * The program and arguments that run `exe args` as `ids`. util-linux's setpriv sets uid, gid and the
 * supplementary groups and then execs in place (same pid, unlike runuser, which stays as a parent).
 * Node's own uid/gid spawn options cannot set supplementary groups (libuv drops them all), so they are
 * only the fallback where setpriv is missing, and the process keeps its primary group only.
 */
export function wrapRunAs(
  exe: string,
  args: string[],
  ids: RunAsIds,
): { file: string; argv: string[]; uid?: number; gid?: number } {
  if (ids === null) return { file: exe, argv: args };
  setprivPath ??= findExecutable('setpriv', `${process.env.PATH ?? ''}:/usr/bin:/bin:/usr/sbin:/sbin`, '/');
  if (setprivPath === null) return { file: exe, argv: args, uid: ids.uid, gid: ids.gid };
  const groups = ids.groups.length > 0 ? `--groups=${ids.groups.join(',')}` : '--clear-groups';
  return { file: setprivPath, argv: [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, groups, '--', exe, ...args] };
}
