// Shared by the tests (unit and end-to-end); not part of the hub. Under `npm run test:pg`
// (scripts/with-postgres.sh) every test database is a PostgreSQL database of its own.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { connect, type Db } from './connect.ts';
import { migrateToLatest } from './migrate.ts';

/** A PostgreSQL server for tests, when given: TSHUB_TEST_POSTGRES=postgresql://user@127.0.0.1:port/postgres. */
export const TEST_POSTGRES = process.env.TSHUB_TEST_POSTGRES ?? '';

export interface TestDatabase {
  /** A db_url for a hub: SQLite in the given directory, or a new PostgreSQL database. */
  url: string;
  /** Removes the PostgreSQL database (SQLite's file goes with the test's directory). */
  drop(): Promise<void>;
}

async function asAdmin<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_POSTGRES });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

/** A database of its own for one hub (or one hub restarted several times on the same data). */
export async function freshDatabase(dir: string): Promise<TestDatabase> {
  if (!TEST_POSTGRES) return { url: `sqlite:///${join(dir, 'tshub.sqlite')}`, drop: async () => {} };
  const name = `tshub_test_${randomBytes(6).toString('hex')}`;
  await asAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE: a killed hub's connections may still be open when the test ends.
    drop: () => asAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

/** A migrated database for a unit test: SQLite in memory, or a fresh PostgreSQL one; close() also drops it. */
export async function openTestDb(): Promise<Db> {
  if (!TEST_POSTGRES) {
    const db = connect({ kind: 'sqlite', path: ':memory:' });
    await migrateToLatest(db.k, db.kind);
    return db;
  }
  const fresh = await freshDatabase('');
  const db = connect({ kind: 'postgres', connectionString: fresh.url });
  await migrateToLatest(db.k, db.kind);
  return { ...db, close: () => db.close().finally(() => fresh.drop()) };
}

/** Everything a PostgreSQL database holds, schema and rows, as text (Debian's newest `pg_dump`). */
export async function dumpDatabase(url: string): Promise<string> {
  const version = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0];
  const { stdout } = await promisify(execFile)(`/usr/lib/postgresql/${version}/bin/pg_dump`, ['--dbname', url], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}
