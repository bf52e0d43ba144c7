import type { SlurmConfig } from '../../config/schema-slurm.ts';

/** What one answer of batch_query_cmd says about a job. */
export type JobState =
  | { kind: 'pending'; reason: string | null }
  | { kind: 'running'; host: string | null }
  /** The query failed in a way that says nothing about the job (controller down): assume it lives. */
  | { kind: 'unknown' }
  /** Finished, failed, cancelled or forgotten by the controller; `status` is the exit status to report. */
  | { kind: 'gone'; status: number; text: string };

type StateRes = Pick<
  SlurmConfig,
  'state_pending_re' | 'state_running_re' | 'state_unknown_re' | 'state_exechost_re' | 'state_reason_re'
>;

type ReKey = keyof StateRes;

/** The configured expression `key`; a config error names the key rather than a bare SyntaxError. */
function regex(res: StateRes, key: ReKey): RegExp {
  try {
    return new RegExp(res[key], 'm');
  } catch (err) {
    throw new Error(`spawner.slurm.${key} is not a valid regular expression: ${(err as Error).message}`);
  }
}

function group(res: StateRes, key: ReKey, text: string): string | null {
  const found = regex(res, key).exec(text)?.[1]?.trim() ?? '';
  // squeue prints "None" for a pending job's reason in the moment before the scheduler looks at it.
  return found === '' || found === 'None' ? null : found;
}

/**
 * Reads the query's output (its stderr when it printed nothing) with the configured expressions, as
 * batchspawner's BatchSpawnerRegexStates does. A job squeue still lists as COMPLETED exited 0;
 * everything else that is neither pending nor running counts as a failure (batchspawner's 1).
 */
export function classifyJob(output: string, res: StateRes): JobState {
  const text = output.trim();
  const test = (key: ReKey) => text !== '' && regex(res, key).test(text);
  if (test('state_running_re')) return { kind: 'running', host: group(res, 'state_exechost_re', text) };
  if (test('state_pending_re')) return { kind: 'pending', reason: group(res, 'state_reason_re', text) };
  if (test('state_unknown_re')) return { kind: 'unknown' };
  return { kind: 'gone', status: /^COMPLETED\b/.test(text) ? 0 : 1, text };
}

/** The job id sbatch --parsable printed (`id` or `id;cluster`); null when it printed something else. */
export function parseJobId(output: string): string | null {
  const id = output.trim().split(';')[0]?.trim() ?? '';
  return /^\d+$/.test(id) ? id : null;
}

/** NodeAddr from `scontrol show node -o` output, or null. */
export function parseNodeAddr(output: string): string | null {
  return /(?:^|\s)NodeAddr=(\S+)/.exec(output)?.[1] ?? null;
}

/**
 * Where the job writes its output, from the script's `#SBATCH --output`/`-o` line, with the patterns
 * sbatch expands that we know (%j job id, %u user, %%); null when it is not an absolute path.
 */
export function jobOutputPath(script: string, jobId: string, username: string): string | null {
  const m = /^#SBATCH\s+(?:--output[= ]|-o\s*)(\S+)/m.exec(script);
  if (!m?.[1]?.startsWith('/')) return null;
  return m[1].replace(/%(%|j|u)/g, (_whole, c: string) => (c === 'j' ? jobId : c === 'u' ? username : '%'));
}
