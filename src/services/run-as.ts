import { lookupSystemUser } from '../spawners/system-user.ts';
import type { RunAsIds } from '../spawners/run-as.ts';

export interface RunAs {
  /** null: run as the hub's own user. */
  ids: RunAsIds;
  /** HOME, USER, SHELL of the account (empty when not switching). */
  env: Record<string, string>;
}

/** A service's `user` that cannot be arranged: a config error, so the service is not retried. */
export class RunAsError extends Error {}

/**
 * The system account a service with `user` runs as, the way the local-process spawner switches users
 * (uid, primary and supplementary groups, HOME, USER, SHELL). Only a root hub may switch.
 */
export async function planRunAs(user: string | null): Promise<RunAs> {
  if (user === null) return { ids: null, env: {} };
  const account = await lookupSystemUser(user);
  if (account === null) throw new RunAsError(`no system user '${user}'`);
  const env: Record<string, string> = { HOME: account.home, USER: account.name };
  if (account.shell !== '') env.SHELL = account.shell;
  const myUid = process.getuid?.() ?? -1;
  if (myUid === account.uid) return { ids: null, env };
  if (myUid !== 0) throw new RunAsError(`the hub must run as root to run a service as system user '${user}'`);
  return { ids: { uid: account.uid, gid: account.gid, groups: account.groups }, env };
}

export { wrapRunAs } from '../spawners/run-as.ts';
