import { spawnFailed } from '../../errors/index.ts';
import { keptEnv } from '../run-as.ts';
import { expandUsername } from '../paths.ts';
import type { SpawnRequest } from '../spawner.ts';
import { renderTemplate, shellWord, type TemplateVars } from './template.ts';
import { wrapperWords } from './wrapper.ts';

export interface BatchVars {
  /** The template variables of batch_script and the batch commands. */
  vars: TemplateVars;
  /** The server's environment, handed to sbatch, which passes it to the job (--export). */
  env: Record<string, string>;
}

const REQ_KEYS = [
  'partition',
  'account',
  'qos',
  'runtime',
  'memory',
  'nprocs',
  'ngpus',
  'reservation',
  'options',
  'prologue',
  'epilogue',
  'srun',
] as const;

/** The server's environment: JupyterHub's variables, where it listens, then the admin's `environment`. */
function serverEnv(req: SpawnRequest): Record<string, string> {
  const { config, user } = req;
  const env: Record<string, string> = { ...keptEnv([], req.config.env_keep), ...req.env };
  // jupyterhub-singleuser binds to the host and port of this URL; the wrapper puts in the port it picks.
  env.JUPYTERHUB_SERVICE_URL = `http://${config.slurm.ip}:0/`;
  if (config.notebook_dir !== null) env.JUPYTERHUB_ROOT_DIR = expandUsername(config.notebook_dir, user.name);
  if (config.default_url !== null) env.JUPYTERHUB_DEFAULT_URL = expandUsername(config.default_url, user.name);
  for (const [k, v] of Object.entries(config.environment)) env[k] = expandUsername(v, user.name);
  return env;
}

/**
 * Usernames reach shell lines and the job script (`--chdir={{homedir}}`); a name that is not one plain
 * word there is refused rather than quoted, since the script's template decides where it lands. Names
 * of system accounts, which the jobs run as, fit anyway.
 */
export function assertJobSafeUsername(name: string): void {
  if (!/^[\p{L}\p{N}_][\p{L}\p{N}_.@+-]*$/u.test(name))
    throw spawnFailed(
      `Cannot submit a Slurm job for ${JSON.stringify(name)}: the slurm spawner takes only usernames of letters, digits and . _ @ + - (not first)`,
    );
}

/** Everything a job script and the batch commands are rendered with, as batchspawner's get_req_subvars. */
export function batchVars(req: SpawnRequest, homedir: string): BatchVars {
  const { config, user } = req;
  const env = serverEnv(req);
  const vars: TemplateVars = {};
  for (const k of REQ_KEYS) vars[k] = config.slurm[`req_${k}`];
  Object.assign(vars, {
    username: user.name,
    homedir,
    ip: config.slurm.ip,
    cmd: [wrapperWords(config.slurm), ...[...config.cmd, ...config.args].map(shellWord)].join(' '),
    keepvars: Object.keys(env).join(','),
  });
  return { vars, env };
}

/** The job script; refused when it does not run the server at all (a template without {cmd}). */
export function renderScript(template: string, vars: TemplateVars): string {
  const script = renderTemplate(template, vars);
  if (!script.includes(vars.cmd ?? ''))
    throw spawnFailed('Cannot submit the job: spawner.slurm.batch_script does not run {{cmd}}');
  return script;
}
