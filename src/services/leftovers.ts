import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../proxy/state-files.ts';
import { isOurProcess } from '../spawners/proc-stat.ts';

/** A running managed service as recorded in the state directory. */
export interface RecordedRun {
  name: string;
  pid: number;
  /** From /proc at spawn: with the pid it names one process for good (pids get reused). */
  startTime: number | null;
}

function pidFile(stateDir: string): string {
  return join(stateDir, 'tshub-services.pids.json');
}

/**
 * Keeps the running services' pids (and the launcher directory) on disk, so that the next hub can
 * clean up after one that was killed without stopping them.
 */
export function recordRuns(stateDir: string, launcherDir: string | null, runs: RecordedRun[]): void {
  if (runs.length === 0) rmSync(pidFile(stateDir), { force: true });
  else writeFileAtomic(pidFile(stateDir), `${JSON.stringify({ launcher_dir: launcherDir, runs })}\n`);
}

function readRecord(stateDir: string): { launcherDir: string | null; runs: RecordedRun[] } {
  try {
    const parsed = JSON.parse(readFileSync(pidFile(stateDir), 'utf8')) as { launcher_dir?: unknown; runs?: unknown };
    const dir = typeof parsed.launcher_dir === 'string' ? parsed.launcher_dir : null;
    // Only ever a directory this code makes (see launcher.ts): the file must not be able to aim rmSync elsewhere.
    const launcherDir =
      dir !== null && dirname(dir) === tmpdir() && basename(dir).startsWith('tshub-bin-') ? dir : null;
    if (!Array.isArray(parsed.runs)) return { launcherDir, runs: [] };
    const runs = parsed.runs.filter(
      (r): r is RecordedRun =>
        typeof r?.name === 'string' &&
        Number.isSafeInteger(r.pid) &&
        r.pid > 1 &&
        r.pid !== process.pid &&
        (r.startTime === null || Number.isSafeInteger(r.startTime)),
    );
    return { launcherDir, runs };
  } catch {
    return { launcherDir: null, runs: [] };
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone already, or it left its group: nothing more to do
  }
}

/**
 * Stops the services a previous hub process left running (it was killed, so it could not stop
 * them): they would hold their ports and run with revoked tokens. Only processes that are still the
 * very ones recorded (pid and start time) are signalled, with their process groups.
 */
export async function stopLeftovers(stateDir: string, log: Logger, termTimeoutMs: number): Promise<void> {
  const record = readRecord(stateDir);
  const runs = record.runs.filter((r) => isOurProcess(r.pid, r.startTime));
  for (const r of runs) {
    log.warn(
      { service: r.name, pid: r.pid },
      `stopping service ${r.name} (pid ${r.pid}) left running by a previous hub process`,
    );
    signalGroup(r.pid, 'SIGTERM');
  }
  const deadline = Date.now() + termTimeoutMs;
  while (runs.some((r) => isOurProcess(r.pid, r.startTime)) && Date.now() < deadline) await sleep(50);
  for (const r of runs) if (isOurProcess(r.pid, r.startTime)) signalGroup(r.pid, 'SIGKILL');
  if (record.launcherDir !== null) rmSync(record.launcherDir, { recursive: true, force: true });
  rmSync(pidFile(stateDir), { force: true });
}
