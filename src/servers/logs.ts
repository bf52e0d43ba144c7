import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Spawner } from '../spawners/spawner.ts';

/** The most of a log file read for its last lines: enough for thousands of lines, bounded whatever the file. */
const MAX_READ = 1024 * 1024;

/** The last `tail` complete lines of a log file; none when there is no file (yet). */
function fileTail(path: string, tail: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - MAX_READ);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    // A read that starts mid-file starts mid-line; the file's last line may still be being written.
    if (start > 0) lines.shift();
    lines.pop();
    return lines.slice(-tail);
  } finally {
    closeSync(fd);
  }
}

/** A server's recent output, from wherever its spawner keeps it (an engine, a log file), and where that is. */
export async function serverLogs(spawner: Spawner, tail: number): Promise<{ source: string; lines: string[] }> {
  if (spawner.recentLogs) return { source: 'engine', lines: await spawner.recentLogs(tail) };
  if (spawner.logFile) return { source: spawner.logFile, lines: fileTail(spawner.logFile, tail) };
  return { source: 'none', lines: [] };
}
