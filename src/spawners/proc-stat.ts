import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** One-letter state: R, S, D, Z (zombie), T, ... */
  state: string;
  /** Process group id. */
  pgrp: number;
  /** Start time in clock ticks after boot: together with the pid it names one process for good. */
  startTime: number;
}

/**
 * Parses /proc/<pid>/stat. The second field (the command name) is in parentheses and may itself hold
 * spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // Fields 3.. (state, ppid, pgrp, ...): field N sits at index N - 3.
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = rest[0];
  const pgrp = Number(rest[2]);
  const startTime = Number(rest[19]);
  if (!state || !Number.isSafeInteger(pgrp) || !Number.isSafeInteger(startTime)) return null;
  return { state, pgrp, startTime };
}

/** null when the process does not exist or /proc is not available (not Linux). */
export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Whether /proc can tell us about processes at all (so a missing entry means "gone"). */
export function haveProcfs(): boolean {
  return readProcStat(process.pid) !== null;
}

/**
 * Whether `pid` is still the process we started. `startTime` (from readProcStat when it was started)
 * guards against pid reuse: after the server dies, its pid may be handed to an unrelated process,
 * and a hub restored from the database must neither report that one as the server nor signal it.
 * Zombies count as gone: the server has exited, only its parent has not collected the status yet.
 */
export function isOurProcess(pid: number, startTime: number | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone we may not signal; anything else means it is gone.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  if (stat === null) return !haveProcfs();
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === null || stat.startTime === startTime;
}
