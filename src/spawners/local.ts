import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawnFailed } from '../errors/index.ts';
import { expandUsername } from './paths.ts';
import { ProcessSpawner, type LaunchPlan } from './process-spawner.ts';
import { lookupSystemUser } from './system-user.ts';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * JupyterHub's LocalProcessSpawner: each hub user's server runs as the system account of the same
 * name (uid, primary and supplementary groups, HOME, USER, SHELL), starting in that user's home
 * directory, or in `notebook_dir` when that names an existing directory. The hub must run as root.
 * `workdir_template` does not apply: the home directory is the user's working directory.
 */
export class LocalProcessSpawner extends ProcessSpawner {
  protected async plan(): Promise<LaunchPlan> {
    const { config, user } = this.req;
    const account = await lookupSystemUser(user.name);
    if (account === null) throw spawnFailed(`Cannot start the server: no system user '${user.name}'`);
    const myUid = process.getuid?.() ?? -1;
    if (myUid !== 0 && myUid !== account.uid) {
      throw spawnFailed(
        `Cannot start the server as system user '${user.name}': the hub must run as root to switch users`,
      );
    }
    if (account.home === '' || !isDirectory(account.home)) {
      throw spawnFailed(
        `Cannot start the server: the home directory '${account.home}' of system user '${user.name}' does not exist`,
      );
    }
    let cwd = account.home;
    if (config.notebook_dir !== null) {
      const dir = expandUsername(config.notebook_dir, user.name).replace(/^~(?=\/|$)/, account.home);
      const full = resolve(account.home, dir);
      if (isDirectory(full)) cwd = full;
    }
    const env: Record<string, string> = { HOME: account.home, USER: account.name };
    if (account.shell !== '') env.SHELL = account.shell;
    // Already that user (a hub run by the account itself): nothing to switch, and no right to set groups.
    const runAs = myUid === account.uid ? null : { uid: account.uid, gid: account.gid, groups: account.groups };
    return { cwd, env, runAs };
  }
}
