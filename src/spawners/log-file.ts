import { fstatSync, mkdirSync, openSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Opens the server's log for appending (created 0600: servers may print tokens or user data) and
 * returns the descriptor with the offset this run starts at, so a failure can quote only its own output.
 */
export function openLog(path: string): { fd: number; offset: number } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  return { fd, offset: fstatSync(fd).size };
}

/** Adds a line of our own to the log (start, exit), marked so that it is not mistaken for server output. */
export function noteInLog(path: string, text: string): void {
  try {
    appendFileSync(path, `[tshub ${new Date().toISOString()}] ${text}\n`);
  } catch {
    // The note is a courtesy for the admin reading the log; never a reason to fail.
  }
}

export { logTail } from '../lib/log-tail.ts';
