import { SYSTEM_CALLER } from '../commands/deps.ts';
import { blockUser, type UserServersDeps } from '../commands/users/index.ts';

/**
 * JupyterHub 5.2's start-up pass over `authenticator.blocked_users`: each one that exists loses every
 * permission and their servers. Logins are refused by admission; this ends what they held before. Runs
 * once the server runtime has adopted the servers left running, so that theirs are stopped too.
 */
export async function blockConfiguredUsers(deps: UserServersDeps): Promise<void> {
  for (const name of deps.config.authenticator.blocked_users) await blockUser(deps, SYSTEM_CALLER, { name });
}
