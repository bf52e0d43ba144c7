// The files a launched proxy leaves in the hub's state directory, so that a restarted hub finds,
// talks to, and (when it must) stops the same proxy process.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface StateFiles {
  token: string;
  pid: string;
  log: string;
  /** How the proxy was launched (arguments, never the token): a config change means a relaunch. */
  launch: string;
}

export function stateFiles(stateDir: string): StateFiles {
  return {
    token: join(stateDir, 'tshub-proxy-token'),
    pid: join(stateDir, 'tshub-proxy.pid'),
    log: join(stateDir, 'tshub-proxy.log'),
    launch: join(stateDir, 'tshub-proxy.launch.json'),
  };
}

export type TokenSource = 'config' | 'env' | 'file' | 'generated';

/**
 * The API token: proxy.auth_token, else CONFIGPROXY_AUTH_TOKEN, else the one kept in the state dir.
 * Only a hub that starts the proxy may make one up (`generate`), and it keeps it (mode 0600) so
 * that after a restart it can still talk to the proxy it left running.
 */
export function resolveToken(opts: {
  configToken: string | null;
  env: NodeJS.ProcessEnv;
  tokenFile: string;
  generate: boolean;
}): { token: string; source: TokenSource } | null {
  if (opts.configToken) return { token: opts.configToken, source: 'config' };
  const fromEnv = opts.env.CONFIGPROXY_AUTH_TOKEN;
  if (fromEnv) return { token: fromEnv, source: 'env' };
  if (existsSync(opts.tokenFile)) {
    const kept = readFileSync(opts.tokenFile, 'utf8').trim();
    if (kept) {
      if ((statSync(opts.tokenFile).mode & 0o077) !== 0) chmodSync(opts.tokenFile, 0o600);
      return { token: kept, source: 'file' };
    }
  }
  if (!opts.generate) return null;
  const token = randomBytes(32).toString('hex');
  writeFileAtomic(opts.tokenFile, `${token}\n`);
  return { token, source: 'generated' };
}

/** Write-then-rename, so a crash never leaves half a file; mode 0600 as the files hold secrets or pids. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** The pid in a pid file, or null when there is none or it holds no number. */
export function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

export interface LaunchRecord {
  pid: number;
  args: string[];
  started: string;
}

export function readLaunchRecord(file: string): LaunchRecord | null {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as LaunchRecord;
    return Number.isInteger(r.pid) && Array.isArray(r.args) ? r : null;
  } catch {
    return null;
  }
}

const MAX_LOG_BYTES = 10 * 1024 * 1024;

/** Opens the proxy log for appending (keeping one old generation past 10 MB); returns fd and start offset. */
export function openLog(file: string): { fd: number; offset: number } {
  if (existsSync(file) && statSync(file).size > MAX_LOG_BYTES) renameSync(file, `${file}.1`);
  const fd = openSync(file, 'a', 0o600);
  return { fd, offset: existsSync(file) ? statSync(file).size : 0 };
}

export { logTail } from '../lib/log-tail.ts';
