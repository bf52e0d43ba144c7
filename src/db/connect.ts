import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type pgModule from 'pg';
import type { DbKind } from './kind.ts';
import { openSqlite } from './sqlite-driver.ts';
import type { Database } from './tables.ts';

export type DbTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string };

export interface Db {
  kind: DbKind;
  k: Kysely<Database>;
  close(): Promise<void>;
}

export function connect(target: DbTarget): Db {
  if (target.kind === 'sqlite') {
    if (target.path !== ':memory:') mkdirSync(dirname(target.path), { recursive: true });
    const { kysely } = openSqlite(target.path);
    const k = new Kysely<Database>({ dialect: new SqliteDialect({ database: kysely }) });
    return { kind: 'sqlite', k, close: () => k.destroy() };
  }
  // Loaded only for PostgreSQL: a hub on SQLite never pays the driver's memory.
  const pg = createRequire(import.meta.url)('pg') as typeof pgModule;
  // COUNT(*) comes back as int8, which pg leaves as a string by default; counts here stay far below 2^53.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: target.connectionString, max: 10 });
  // An idle pooled connection that the server drops (restart, admin termination) must not crash the
  // hub: the pool discards it and the next query opens a fresh one or fails with its own error.
  pool.on('error', () => {});
  const k = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kind: 'postgres', k, close: () => k.destroy() };
}
