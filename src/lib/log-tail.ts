import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The last `maxLines` lines a child process (server, proxy) wrote to its log at or after `fromOffset`,
 * reading at most the final 16 KiB, to quote in an error message; '' if the file cannot be read.
 */
export function logTail(path: string, fromOffset: number, maxLines = 20): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(fromOffset, size - 16_384);
    if (start >= size) return '';
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const lines = buf.toString('utf8').trimEnd().split('\n');
    return lines.slice(-maxLines).join('\n');
  } finally {
    closeSync(fd);
  }
}
