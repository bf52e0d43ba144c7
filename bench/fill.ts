import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { digestToken, displayPrefix, generateToken } from '../src/tokens/format.ts';

// Straight-to-SQLite fills, for sizes the APIs would take minutes to reach.

const FILL_NOTE = 'bench fill';

function open(path: string): DatabaseSync {
  return new DatabaseSync(path, { timeout: 10_000 });
}

function userIds(db: DatabaseSync): number[] {
  const ids = db
    .prepare('SELECT id FROM users ORDER BY id')
    .all()
    .map((r) => Number(r.id));
  if (ids.length === 0) throw new Error('no users to own the tokens');
  return ids;
}

function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

export function countTokens(path: string): number {
  const db = open(path);
  try {
    return Number(db.prepare('SELECT count(*) AS n FROM api_tokens').get()?.n);
  } finally {
    db.close();
  }
}

/**
 * tshub (hub stopped): deletes API tokens noted `removeNote`, then adds `count` generated tokens (the hub's own
 * format and digest, so they authenticate) spread over the existing users. Returns their secret values.
 */
export function fillTshubTokens(path: string, count: number, removeNote: string): string[] {
  const db = open(path);
  try {
    const ids = userIds(db);
    const created = new Date().toISOString();
    const tokens: string[] = new Array(count);
    inTransaction(db, () => {
      db.prepare("DELETE FROM api_tokens WHERE note = ? AND kind = 'api'").run(removeNote);
      const insert = db.prepare(
        `INSERT INTO api_tokens (hashed, prefix, kind, user_id, client_id, note, scopes, created)
         VALUES (?, ?, 'api', ?, 'jupyterhub', ?, '["inherit"]', ?)`,
      );
      for (let i = 0; i < count; i++) {
        const token = generateToken();
        tokens[i] = token;
        insert.run(digestToken(token), displayPrefix(token), ids[i % ids.length]!, FILL_NOTE, created);
      }
    });
    return tokens;
  } finally {
    db.close();
  }
}

/** JupyterHub's timestamp format (naive UTC with microseconds). */
function jhNow(): string {
  return new Date().toISOString().replace('T', ' ').replace('Z', '000');
}

/** JupyterHub's hash for generated tokens: sha512 over salt and token, one round (jupyterhub.utils.hash_token). */
function jhHash(token: string): string {
  const salt = randomBytes(8).toString('hex');
  const digest = createHash('sha512').update(salt).update(token).digest('hex');
  return `sha512:1:${salt}:${digest}`;
}

/**
 * JupyterHub (may be running: it keeps no token cache, and SQLite serializes the write): deletes API tokens
 * noted `removeNote`, then adds `count` tokens like the ones it generates (uuid4 hex, 4-character prefix).
 */
export function fillJupyterhubTokens(path: string, count: number, removeNote: string): string[] {
  const db = open(path);
  try {
    const ids = userIds(db);
    const created = jhNow();
    const tokens: string[] = new Array(count);
    inTransaction(db, () => {
      db.prepare('DELETE FROM api_tokens WHERE note = ?').run(removeNote);
      const insert = db.prepare(
        `INSERT INTO api_tokens (user_id, hashed, prefix, client_id, created, note, scopes)
         VALUES (?, ?, ?, 'jupyterhub', ?, ?, '["inherit"]')`,
      );
      for (let i = 0; i < count; i++) {
        const token = randomUUID().replaceAll('-', '');
        tokens[i] = token;
        insert.run(ids[i % ids.length]!, jhHash(token), token.slice(0, 4), created, FILL_NOTE);
      }
    });
    return tokens;
  } finally {
    db.close();
  }
}

/** JupyterHub: users as POST /hub/api/users leaves them — a users row, a default spawner row, the 'user' role. */
export function insertJupyterhubUsers(path: string, names: string[]): void {
  const db = open(path);
  try {
    const role = db.prepare("SELECT id FROM roles WHERE name = 'user'").get();
    if (!role) throw new Error("JupyterHub's database has no 'user' role");
    const created = jhNow();
    inTransaction(db, () => {
      const user = db.prepare('INSERT INTO users (name, admin, created, cookie_id) VALUES (?, 0, ?, ?)');
      const spawner = db.prepare(
        "INSERT INTO spawners (user_id, name, state, user_options) VALUES (?, '', NULL, NULL)",
      );
      const roleMap = db.prepare('INSERT INTO user_role_map (user_id, role_id) VALUES (?, ?)');
      for (const name of names) {
        const id = Number(user.run(name, created, randomUUID().replaceAll('-', '')).lastInsertRowid);
        spawner.run(id);
        roleMap.run(id, Number(role.id));
      }
    });
  } finally {
    db.close();
  }
}

/**
 * tshub (hub stopped): adds `count` users named `<prefix><i>`, each with a running default server, as a
 * restarted hub will re-adopt them: spawner row i holds `state(i)` and points at `url`.
 */
export function fillTshubServers(
  path: string,
  count: number,
  server: { url: string; state: (i: number) => Record<string, unknown>; prefix: string },
): void {
  const db = open(path);
  try {
    const now = new Date().toISOString();
    const roleId = Number(db.prepare("SELECT id FROM roles WHERE name = 'user'").get()?.id);
    inTransaction(db, () => {
      const user = db.prepare(
        'INSERT INTO users (name, admin, created, last_activity, cookie_id) VALUES (?, 0, ?, ?, ?) RETURNING id',
      );
      const role = db.prepare('INSERT INTO user_role_map (user_id, role_id) VALUES (?, ?)');
      const spawner = db.prepare(
        `INSERT INTO spawners (user_id, name, state, started, last_activity, user_options, server_url)
         VALUES (?, '', ?, ?, ?, '{}', ?)`,
      );
      for (let i = 0; i < count; i++) {
        const id = Number(user.get(`${server.prefix}${i}`, now, now, randomUUID())?.id);
        role.run(id, roleId);
        spawner.run(id, JSON.stringify(server.state(i)), now, now, server.url);
      }
    });
  } finally {
    db.close();
  }
}
