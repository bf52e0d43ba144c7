import { Type } from 'typebox';
import type { Static } from 'typebox';
import { nullable, section, str } from './schema-util.ts';

// Key names are batchspawner's SlurmSpawner traits, so that an admin moving over can copy values.
// Every req_* key is a template variable without its prefix (req_memory -> {memory}).

/**
 * batchspawner SlurmSpawner's script in our template language, with the account, QoS and GPU
 * requests it leaves to req_options written out, and without its `which jupyterhub-singleuser`
 * (a configured command of another name would fail there under `set -e`).
 */
const DEFAULT_BATCH_SCRIPT = `#!/bin/bash
#SBATCH --output={{homedir}}/jupyterhub_slurmspawner_%j.log
#SBATCH --job-name=spawner-jupyterhub
#SBATCH --chdir={{homedir}}
#SBATCH --export={{keepvars}}
#SBATCH --get-user-env=L
{% if partition %}#SBATCH --partition={{partition}}
{% endif %}{% if account %}#SBATCH --account={{account}}
{% endif %}{% if qos %}#SBATCH --qos={{qos}}
{% endif %}{% if runtime %}#SBATCH --time={{runtime}}
{% endif %}{% if memory %}#SBATCH --mem={{memory}}
{% endif %}{% if nprocs %}#SBATCH --cpus-per-task={{nprocs}}
{% endif %}{% if ngpus %}#SBATCH --gres=gpu:{{ngpus}}
{% endif %}{% if reservation %}#SBATCH --reservation={{reservation}}
{% endif %}{% if options %}#SBATCH {{options}}
{% endif %}
set -euo pipefail

trap 'echo SIGTERM received' TERM
{{prologue}}
{% if srun %}{{srun}} {% endif %}{{cmd}}
echo "jupyterhub-singleuser ended gracefully"
{{epilogue}}
`;

/** A req_* value: a string, '' when unset (templates test it with {% if name %}). */
const req = (description: string, def = '') => Type.String({ default: def, description });

export const SlurmSchema = section(
  {
    batch_script: str(
      DEFAULT_BATCH_SCRIPT,
      'The job script submitted for each server: {{var}} (or {var}) and {% if var %}...{% endif %} over cmd, port, username, homedir, keepvars and every req_* key without its prefix.',
    ),
    batch_submit_cmd: str('sbatch --parsable', 'Submits the script (given on its stdin); prints the job id.'),
    batch_query_cmd: str(
      "squeue -h -j {job_id} -o '%T %B %r'",
      'Prints the state of job {job_id}: state, execution host, and (while pending) the reason.',
    ),
    batch_cancel_cmd: str('scancel {job_id}', 'Cancels job {job_id}.'),
    node_addr_cmd: req(
      "Prints the address of node {host} (NodeAddr=...); '' connects to the host name squeue gives.",
      'scontrol show node -o {host}',
    ),
    exec_prefix: req(
      "Put before every batch command so it runs as the user ({username}); '' runs them as the hub's user.",
      'sudo -E -u {username}',
    ),
    state_pending_re: str('^(?:PENDING|CONFIGURING)', 'Matches the query output of a job waiting to run.'),
    state_running_re: str('^(?:RUNNING|COMPLETING)', 'Matches the query output of a running job.'),
    state_unknown_re: str(
      '^slurm_load_jobs error: (?:Socket timed out on send/recv|Unable to contact slurm controller)',
      'Matches query output that says nothing about the job (controller unreachable): the server counts as running.',
    ),
    state_exechost_re: str(
      '^\\S+\\s+(\\S+)',
      'Its first group is the execution host in the query output of a running job.',
    ),
    state_reason_re: str(
      '^PENDING\\s+\\S+\\s+(.+)$',
      'Its first group is why a pending job waits, shown in the progress messages.',
    ),
    startup_poll_interval: Type.Number({
      minimum: 0.05,
      default: 0.5,
      description: 'Seconds between checks of the job while it starts.',
    }),
    ip: str('0.0.0.0', 'The address the server listens on, on its node.'),
    batchspawner_singleuser_cmd: nullable(
      Type.String({ minLength: 1 }),
      "The wrapper put before the server command in the job (shell words): it picks the server's port on the node and reports it to POST /hub/api/batchspawner. null: tshub's own (needs python3 on the node); batchspawner-singleuser (batchspawner's) works too.",
    ),
    req_partition: req('Partition to submit to (--partition).'),
    req_account: req('Account to charge (--account).'),
    req_qos: req('Quality of service (--qos).'),
    req_runtime: req('Time limit of the job (--time), e.g. 8:00:00.'),
    req_memory: req('Memory per node (--mem), e.g. 4G.'),
    req_nprocs: req('CPUs for the server (--cpus-per-task).'),
    req_ngpus: req('GPUs for the server (--gres=gpu:N).'),
    req_reservation: req('Reservation to run in (--reservation).'),
    req_options: req('More sbatch options, on one #SBATCH line.'),
    req_prologue: req('Shell lines run before the server starts.'),
    req_epilogue: req('Shell lines run after the server ends.'),
    req_srun: req("The launcher put before the server command in the script; '' runs it directly.", 'srun'),
    req_homedir: nullable(
      Type.String({ minLength: 1 }),
      "The job's directory and where its output goes ({username} is replaced); null means the user's home directory.",
    ),
  },
  'The slurm class: each server is a Slurm batch job (as batchspawner SlurmSpawner).',
);

export type SlurmConfig = Static<typeof SlurmSchema>;
