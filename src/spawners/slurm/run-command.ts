import { spawn } from 'node:child_process';
import { keptEnv } from '../run-as.ts';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 60_000;

/**
 * The hub's Slurm and Munge settings (SLURM_CONF and friends) on top of the variables every child
 * keeps: batch commands need them to find the cluster, and nothing else of the hub's environment
 * (which may hold secrets) goes along.
 */
export function batchEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = keptEnv();
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && /^(SLURM|MUNGE)_/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Runs one batch command line through /bin/sh (the commands are shell lines in the config, as in
 * batchspawner) with `input` on its stdin. Never rejects for the command's own failure: the caller
 * reads the exit code and output.
 */
export function runCommand(line: string, env: Record<string, string>, input = ''): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', line], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    // A command that does not read its stdin closes it early; that is its business, not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
