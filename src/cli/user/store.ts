import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** One hub's stored login. */
export interface CredentialEntry {
  token: string;
  user: string;
  /** ISO 8601 time the login was stored. */
  created: string;
}

/** A stored login with the hub it is for. */
export interface StoredLogin extends CredentialEntry {
  url: string;
}

interface CredentialsFile {
  default?: string;
  hubs: Record<string, CredentialEntry>;
}

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

/** `$XDG_CONFIG_HOME/tshub/credentials.json`, else under `~/.config`. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'tshub', 'credentials.json');
}

/**
 * A hub's URL as a key: absolute http(s), no query or fragment, one trailing slash, so `--url http://h` and
 * `http://h/` are one login.
 */
export function hubKey(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CredentialsError(`not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CredentialsError(`not an http(s) URL: ${url}`);
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

async function readStore(path: string): Promise<CredentialsFile> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { hubs: {} };
    throw err;
  }
  // Like ssh with a private key: a token others can read is treated as leaked, not used.
  if (mode & 0o077)
    throw new CredentialsError(
      `${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new CredentialsError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const file = parsed as Partial<CredentialsFile> | null;
  if (!file || typeof file !== 'object' || typeof file.hubs !== 'object' || file.hubs === null)
    throw new CredentialsError(`${path} has no "hubs" object`);
  return { default: typeof file.default === 'string' ? file.default : undefined, hubs: file.hubs };
}

/** The stored login for `url`, or for the default hub without one; null when there is none. */
export async function loadCredentials(url?: string): Promise<StoredLogin | null> {
  const store = await readStore(credentialsPath());
  const key = url === undefined ? store.default : hubKey(url);
  if (key === undefined) return null;
  const entry = store.hubs[key];
  if (!entry || typeof entry.token !== 'string') return null;
  return { ...entry, url: key };
}

/** Stores (or replaces) the login for `url` and makes that hub the default; the file is created 0600. */
export async function saveCredentials(url: string, entry: CredentialEntry): Promise<void> {
  const path = credentialsPath();
  const store = await readStore(path);
  const key = hubKey(url);
  store.hubs[key] = entry;
  store.default = key;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Written beside and renamed over, so a reader never sees half a file; created 0600 so the token is never
  // readable by others, not even for a moment.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
