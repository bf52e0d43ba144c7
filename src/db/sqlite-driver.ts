import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Bindable = null | number | bigint | string | NodeJS.ArrayBufferView;

// node:sqlite rejects booleans and undefined as parameters; Kysely passes both.
function toBindable(value: unknown): Bindable {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value as Bindable;
}

function bind(parameters: ReadonlyArray<unknown>): Bindable[] {
  return parameters.map(toBindable);
}

function wrapStatement(stmt: StatementSync): SqliteStatement {
  // A statement "reads" when it produces columns: SELECT, or anything with RETURNING. Fixed per statement.
  const columns = stmt.columns().map((c) => c.name);
  const reader = columns.length > 0;
  // Rows come as arrays and are made into objects here: node:sqlite builds each row object through V8's
  // API, one property at a time, which took as long as SQLite's own work for a page of 100 users; objects
  // made in JavaScript with the same keys in the same order share one shape (40% less for that page).
  // A later column of the same name wins, as in node:sqlite's own objects.
  if (reader) stmt.setReturnArrays(true);
  const toRow = (values: unknown): Record<string, unknown> => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = (values as unknown[])[i];
    return row;
  };
  return {
    reader,
    all: (parameters) => (stmt.all(...bind(parameters)) as unknown[]).map(toRow),
    run: (parameters) => stmt.run(...bind(parameters)),
    iterate: function* (parameters) {
      for (const values of stmt.iterate(...bind(parameters))) yield toRow(values);
    },
  };
}

/**
 * Prepared statements by SQL text. Kysely asks for a statement on every query; preparing anew each time
 * costs CPU and native memory that is only freed at rare major GCs (the hub's RSS grew ~15 KB per request).
 * Queries come from a fixed set of code paths, so a small bounded cache holds them all; reuse is safe
 * because Kysely runs one query at a time on this single connection.
 */
const STATEMENT_CACHE_SIZE = 500;

function statementCache(raw: DatabaseSync): (sql: string) => SqliteStatement {
  const cache = new Map<string, SqliteStatement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (stmt) {
      // Move to the back: the map's insertion order is the eviction order.
      cache.delete(sql);
    } else {
      stmt = wrapStatement(raw.prepare(sql));
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  };
}

export const BUSY_TIMEOUT_MS = 5000;

/** Adapts Node's built-in `node:sqlite` to the better-sqlite3 shape Kysely's SqliteDialect expects. */
export function openSqlite(path: string): { raw: DatabaseSync; kysely: SqliteDatabase } {
  // `timeout` is SQLite's busy_timeout: another process on the same file (`tshub token`, `upgrade-db`, a
  // hub still shutting down) holding the write lock makes a statement wait up to 5 s instead of failing.
  const raw = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: BUSY_TIMEOUT_MS });
  // WAL: readers (the hub's own, a `tshub token` run) do not block the writer, nor the writer them.
  if (path !== ':memory:') raw.exec('PRAGMA journal_mode = WAL');
  // In WAL mode NORMAL syncs only at checkpoints, so a commit survives the hub process dying (SIGKILL, a
  // crash, OOM) because it is in the OS's page cache; only a power loss or kernel crash may drop the
  // last commits (never corrupt the file). FULL would fsync every commit for that rarer case.
  raw.exec('PRAGMA synchronous = NORMAL');
  return {
    raw,
    kysely: {
      close: () => raw.close(),
      prepare: statementCache(raw),
    },
  };
}
