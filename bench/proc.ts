import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killGroup } from '../src/lib/process.ts';

// Child processes, temp dirs and the cleanup that undoes them, whatever way the run ends.

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];

/** Registers an undo step; returns a function that runs it early (and only once). */
export function onCleanup(fn: Cleanup): () => Promise<void> {
  let done = false;
  const once: Cleanup = async () => {
    if (done) return;
    done = true;
    await fn();
  };
  cleanups.push(once);
  return async () => {
    await once();
  };
}

/** Runs every registered undo step, newest first; errors are reported, not thrown. */
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`# cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Free loopback TCP ports, all distinct (held open together while being found). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** Kills the process (group) whose pid is written in `file`, if any. */
export async function killPidFile(file: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 1) await killGroup(pid, 3000).catch(() => {});
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  tail(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts a process in its own process group, keeping the tail of its output; stopped at cleanup. */
export function startChild(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; label: string },
): Child {
  const proc = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${opts.label}`);
  const pid = proc.pid;
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of String(chunk).split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const stop = onCleanup(async () => {
    await killGroup(pid, 8000).catch(() => {});
    await Promise.race([exited, sleep(2000)]);
  });
  return { proc, pid, tail: () => lines.join('\n'), exited, stop };
}

/** Polls `url` until it answers 2xx, the child exits, or the time is up. */
export async function waitForHttp(url: string, child: Child, label: string, timeoutMs = 60_000): Promise<void> {
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (exited) throw new Error(`${label} exited while starting:\n${child.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`${label} did not answer ${url} within ${timeoutMs / 1000} s (${last}):\n${child.tail()}`);
}

/** Resident memory of a process in MB, from /proc/<pid>/status (VmRSS). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
