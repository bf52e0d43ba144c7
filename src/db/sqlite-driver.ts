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
  return {
    // A statement "reads" when it produces columns: SELECT, or anything with RETURNING.
    get reader() {
      return stmt.columns().length > 0;
    },
    all: (parameters) => stmt.all(...bind(parameters)),
    run: (parameters) => stmt.run(...bind(parameters)),
    iterate: (parameters) => stmt.iterate(...bind(parameters)),
  };
}

/** Adapts Node's built-in `node:sqlite` to the better-sqlite3 shape Kysely's SqliteDialect expects. */
export function openSqlite(path: string): { raw: DatabaseSync; kysely: SqliteDatabase } {
  const raw = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5000 });
  if (path !== ':memory:') raw.exec('PRAGMA journal_mode = WAL');
  raw.exec('PRAGMA synchronous = NORMAL');
  return {
    raw,
    kysely: {
      close: () => raw.close(),
      prepare: (sql: string) => wrapStatement(raw.prepare(sql)),
    },
  };
}
