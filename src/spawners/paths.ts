import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Replaces every `{username}` in a config template. */
export function expandUsername(template: string, username: string): string {
  return template.replaceAll('{username}', username);
}

/**
 * The hub validates usernames already; this is the second lock: a name that could move a path
 * (`..`, a slash, a NUL) never reaches the file system.
 */
function assertPathSafe(username: string): void {
  if (username === '' || username === '.' || username === '..' || /[/\\\0]/.test(username)) {
    throw new Error(`Username ${JSON.stringify(username)} cannot be used in a file path`);
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The server's working directory from `workdir_template`, relative to `stateDir` unless absolute. The
 * result must stay inside the template's fixed part (the directory before the first `{username}`).
 */
export function resolveWorkdir(template: string, username: string, stateDir: string): string {
  assertPathSafe(username);
  const full = resolve(stateDir, expandUsername(template, username));
  const cut = template.indexOf('{username}');
  if (cut >= 0) {
    const prefix = template.slice(0, cut);
    // 'tshub-users/{username}' -> tshub-users; '/srv/u-{username}' -> /srv; '{username}' -> stateDir.
    const base = resolve(stateDir, prefix === '' || prefix.endsWith('/') ? prefix : dirname(prefix));
    if (!isInside(full, base))
      throw new Error(`The working directory of ${JSON.stringify(username)} would leave ${base}`);
  }
  return full;
}

/** A name made safe as one file name component (the log file is named after user and server). */
function fileSafe(name: string): string {
  const s = name.replace(/[^\p{L}\p{N}._@+=,-]/gu, '_');
  return s.startsWith('.') ? `_${s}` : s;
}

/**
 * `<stateDir>/logs/<user>.log` for the default server, `<stateDir>/logs/<user>/<server>.log` for a named
 * one: a separate folder, so user `a-b` and user `a`'s server `b` can never share a file.
 */
export function logFilePath(stateDir: string, username: string, serverName: string): string {
  const logs = join(resolve(stateDir), 'logs');
  return serverName === ''
    ? join(logs, `${fileSafe(username)}.log`)
    : join(logs, fileSafe(username), `${fileSafe(serverName)}.log`);
}
