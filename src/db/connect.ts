import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type pgModule from 'pg';
import { readDirectly } from './compiled-query.ts';
import type { DbKind } from './kind.ts';
import { openSqlite } from './sqlite-driver.ts';
import type { Database } from './tables.ts';
import { watchWrites, WriteClock } from './write-clock.ts';

export type DbTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string };

export interface Db {
  kind: DbKind;
  k: Kysely<Database>;
  /** Moves on every write (see write-clock.ts): what was read at one reading is current while it stays. */
  writes: WriteClock;
  close(): Promise<void>;
}

export function connect(target: DbTarget): Db {
  if (target.kind === 'sqlite') {
    if (target.path !== ':memory:') mkdirSync(dirname(target.path), { recursive: true });
    const { raw, kysely } = openSqlite(target.path);
    // SQLite tells a connection whether any other one has committed since it last asked: a `tshub token`
    // or `tshub passwd` run next to the hub, or a second hub on the same file.
    const dataVersion = raw.prepare('PRAGMA data_version');
    let seen = dataVersion.get()!.data_version;
    const writes = new WriteClock(() => {
      const now = dataVersion.get()!.data_version;
      if (now === seen) return false;
      seen = now;
      return true;
    });
    const k = new Kysely<Database>({ dialect: watchWrites(new SqliteDialect({ database: kysely }), writes) });
    // The same prepared statements as Kysely's path (statementCache), so the same binding and rows.
    readDirectly(k, (sql, parameters) => (raw.isTransaction ? null : kysely.prepare(sql).all(parameters)));
    return { kind: 'sqlite', k, writes, close: () => k.destroy() };
  }
  // Loaded only for PostgreSQL: a hub on SQLite never pays the driver's memory.
  const pg = createRequire(import.meta.url)('pg') as typeof pgModule;
  // COUNT(*) comes back as int8, which pg leaves as a string by default; counts here stay far below 2^53.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: target.connectionString, max: 10 });
  // An idle pooled connection that the server drops (restart, admin termination) must not crash the
  // hub: the pool discards it and the next query opens a fresh one or fails with its own error.
  pool.on('error', () => {});
  // Other processes' writes are not seen here; read-cache.ts bounds how long that can go unnoticed.
  const writes = new WriteClock();
  const k = new Kysely<Database>({ dialect: watchWrites(new PostgresDialect({ pool }), writes) });
  return { kind: 'postgres', k, writes, close: () => k.destroy() };
}
