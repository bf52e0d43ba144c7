// A container as a local process: its own process group (so a shell's children stop with it), stdout and
// stderr into the container's log, and its end reported the way a container runtime reports it (exit code,
// 128 + signal number when killed, StartError with the runtime's wording when the binary is missing).
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { LogBuffer } from './containers.ts';

export interface ProcessEvents {
  started(): void;
  exited(code: number, reason: string, message?: string): void;
}

export function launch(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  log: LogBuffer,
  on: ProcessEvents,
): ChildProcess {
  const proc = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let ended = false;
  proc.stdout!.on('data', (d: Buffer) => log.append(d));
  proc.stderr!.on('data', (d: Buffer) => log.append(d));
  proc.once('spawn', () => on.started());
  proc.once('error', (err: NodeJS.ErrnoException) => {
    if (ended || proc.pid !== undefined) return;
    ended = true;
    const msg = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": ${err.code === 'ENOENT' ? 'executable file not found in $PATH' : err.message}: unknown`;
    log.append(Buffer.from(`${msg}\n`));
    log.end();
    on.exited(128, 'StartError', msg);
  });
  // Output may still be in the pipes at 'exit'; 'close' comes once they are drained.
  proc.once('close', () => log.end());
  proc.once('exit', (code, signal) => {
    if (ended) return;
    ended = true;
    const n = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
    on.exited(n, n === 0 ? 'Completed' : 'Error');
  });
  return proc;
}

/** Signals the process's whole group, as stopping a container stops everything in it. */
export function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    proc.kill(signal);
  }
}
