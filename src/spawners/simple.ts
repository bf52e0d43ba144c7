import { mkdirSync } from 'node:fs';
import { spawnFailed } from '../errors/index.ts';
import { resolveWorkdir } from './paths.ts';
import { ProcessSpawner, type LaunchPlan } from './process-spawner.ts';

/**
 * The default spawner: every server runs as the hub's own OS user, in its own working directory
 * (`workdir_template`), which is also its HOME so that each user's Jupyter settings and
 * `pip install --user` packages stay apart (as JupyterHub's SimpleLocalProcessSpawner does).
 * It isolates users from each other only as far as that user's processes can be trusted.
 */
export class SimpleSpawner extends ProcessSpawner {
  protected async plan(): Promise<LaunchPlan> {
    const { config, user, stateDir } = this.req;
    let workdir: string;
    try {
      workdir = resolveWorkdir(config.workdir_template, user.name, stateDir);
      mkdirSync(workdir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw spawnFailed(`Cannot prepare the working directory: ${(err as Error).message}`);
    }
    return { cwd: workdir, env: { HOME: workdir, USER: user.name }, runAs: null };
  }
}
