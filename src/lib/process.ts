import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Is `pid` a running process? Zombies (exited, not yet reaped) count as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: field 3 of /proc/<pid>/stat is the state; the command name before it may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Does `pid` still run the program we started (its command line mentions `marker`)? Guards against
 * killing an unrelated process that reused the pid of a proxy that died long ago. Where /proc is not
 * available we cannot tell and trust the pid file, as JupyterHub does.
 */
export function runsProgram(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return isAlive(pid);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    // The proxy is started as the leader of its own process group: signal the whole group so
    // anything it started goes too; fall back to the pid alone if it is not a group leader.
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM the process group (waking it if stopped), then SIGKILL after `graceMs`; resolves once gone. */
export async function killGroup(pid: number, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGTERM');
  // A stopped process only acts on SIGTERM once continued.
  signal(pid, 'SIGCONT');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (!isAlive(pid)) {
    // The leader is gone; children it left in its group go too.
    signal(pid, 'SIGKILL');
    return;
  }
  signal(pid, 'SIGKILL');
  const hard = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < hard) await sleep(50);
  if (isAlive(pid)) throw new Error(`process ${pid} did not exit after SIGKILL`);
}
