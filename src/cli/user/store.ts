import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** One hub's stored login. */
export interface CredentialEntry {
  token: string;
  user: string;
  /** ISO time the token was stored. */
  created: string;
}

/** The file's shape: the hub used when none is named, and each hub's login by its URL. */
export interface Credentials {
  default: string | null;
  hubs: Record<string, CredentialEntry>;
}

/** `$XDG_CONFIG_HOME/tshub/credentials.json`, by default `~/.config/tshub/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'tshub', 'credentials.json');
}

/** A hub's URL as a key: absolute http(s), with a trailing slash, no query or fragment. */
export function hubKey(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`not an http(s) URL: ${url}`);
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

function isEntry(v: unknown): v is CredentialEntry {
  const e = v as CredentialEntry;
  return typeof e === 'object' && e !== null && typeof e.token === 'string' && typeof e.user === 'string';
}

/** The whole file; an absent file is an empty store, a damaged one an error (never silently overwritten). */
export async function readCredentials(path = credentialsPath()): Promise<Credentials> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { default: null, hubs: {} };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON: fix or remove it`);
  }
  const p = parsed as Partial<Credentials>;
  const hubs: Record<string, CredentialEntry> = {};
  for (const [url, entry] of Object.entries(p.hubs ?? {})) if (isEntry(entry)) hubs[url] = entry;
  return { default: typeof p.default === 'string' ? p.default : null, hubs };
}

/** The login for `url`, or for the default hub when no URL is given; null when there is none. */
export async function loadCredentials(
  url?: string,
  path = credentialsPath(),
): Promise<(CredentialEntry & { url: string }) | null> {
  const all = await readCredentials(path);
  const key = url === undefined ? all.default : hubKey(url);
  const entry = key === null ? undefined : all.hubs[key];
  return key !== null && entry ? { url: key, ...entry } : null;
}

/**
 * Stores `url`'s login and makes it the default. The file holds tokens: it is written 0600 inside a 0700
 * directory, to a temporary file renamed over the old one, so no reader ever sees half a file and no
 * moment exists where the token is readable by others.
 */
export async function saveCredentials(url: string, entry: CredentialEntry, path = credentialsPath()): Promise<string> {
  const key = hubKey(url);
  const all = await readCredentials(path);
  all.hubs[key] = { token: entry.token, user: entry.user, created: entry.created };
  all.default = key;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(all, null, 2)}\n`);
  } finally {
    await file.close();
  }
  // The mode given to open is masked by the umask; the file must end up 0600 whatever it is.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}
