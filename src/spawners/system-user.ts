import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A system account as the local-process spawner needs it. */
export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  /** Every group the user is in, the primary one included. */
  groups: number[];
  home: string;
  shell: string;
}

type PasswdEntry = Omit<SystemUser, 'groups'>;

/** One `name:x:uid:gid:gecos:home:shell` line, or null when it does not name `name`. */
export function parsePasswdLine(line: string, name: string): PasswdEntry | null {
  const f = line.split(':');
  if (f.length < 7 || f[0] !== name) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isSafeInteger(uid) || !Number.isSafeInteger(gid) || f[2] === '' || f[3] === '') return null;
  return { name, uid, gid, home: f[5] ?? '', shell: f[6] ?? '' };
}

/** The groups of `name` from /etc/group text (`name:x:gid:member,member`), plus its primary group. */
export function parseGroupFile(text: string, name: string, primaryGid: number): number[] {
  const gids = new Set([primaryGid]);
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    const gid = Number(f[2]);
    if (
      f[2] !== '' &&
      Number.isSafeInteger(gid) &&
      f[3]!
        .split(',')
        .map((m) => m.trim())
        .includes(name)
    )
      gids.add(gid);
  }
  return [...gids];
}

function isMissingTool(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Looks the account up through NSS (`getent`, `id`), so LDAP/SSSD users work too, falling back to
 * /etc/passwd and /etc/group where those tools are missing. null when there is no such user.
 */
export async function lookupSystemUser(name: string): Promise<SystemUser | null> {
  // getent takes an all-digit argument as a uid, and one starting with '-' as an option.
  if (name === '' || name.startsWith('-') || /^\d+$/.test(name) || /[:\s\0]/.test(name)) return null;
  let entry: PasswdEntry | null = null;
  try {
    const { stdout } = await run('getent', ['passwd', name], { timeout: 10_000 });
    entry = parsePasswdLine(stdout.trim().split('\n')[0] ?? '', name);
  } catch (err) {
    if (!isMissingTool(err)) return null; // exit status 2: no such user
    const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
    for (const line of text.split('\n')) entry ??= parsePasswdLine(line, name);
  }
  if (entry === null) return null;
  let groups: number[];
  try {
    const { stdout } = await run('id', ['-G', name], { timeout: 10_000 });
    groups = stdout
      .trim()
      .split(/\s+/)
      .map(Number)
      .filter((g) => Number.isSafeInteger(g));
    if (!groups.includes(entry.gid)) groups.unshift(entry.gid);
  } catch {
    groups = parseGroupFile(await readFile('/etc/group', 'utf8').catch(() => ''), name, entry.gid);
  }
  return { ...entry, groups };
}
