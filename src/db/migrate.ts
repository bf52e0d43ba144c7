import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResultSet } from 'kysely/migration';
import type { DbKind } from './kind.ts';
import type { Database } from './tables.ts';
import { initial } from './migrations/001-initial.ts';
import { spawnerPending } from './migrations/002-spawner-pending.ts';
import { userPasswords } from './migrations/003-user-passwords.ts';
import { spawnerOwnerIndexes } from './migrations/004-spawner-owner-indexes.ts';
import { auditLog } from './migrations/005-audit-log.ts';
import { tokenPartialIndexes } from './migrations/006-token-partial-indexes.ts';
import { passwordSignups } from './migrations/007-password-signups.ts';
import { shares } from './migrations/008-shares.ts';
import { tokenExpiryIndex } from './migrations/010-token-expiry-index.ts';
import { tokenExpiryNotices } from './migrations/011-token-expiry-notices.ts';
import { hubIdentity } from './migrations/012-hub-identity.ts';
import { deviceCodes } from './migrations/014-device-codes.ts';
import { tokenBindings } from './migrations/015-token-bindings.ts';
import { tokenUsage } from './migrations/016-token-usage.ts';

function migrations(kind: DbKind): Record<string, Migration> {
  // Names sort in order of application; never rename or edit one that has shipped.
  return {
    '001-initial': initial(kind),
    '002-spawner-pending': spawnerPending,
    '003-user-passwords': userPasswords,
    '004-spawner-owner-indexes': spawnerOwnerIndexes,
    '005-audit-log': auditLog,
    '006-token-partial-indexes': tokenPartialIndexes,
    '007-password-signups': passwordSignups,
    '008-shares': shares(kind),
    '010-token-expiry-index': tokenExpiryIndex,
    '011-token-expiry-notices': tokenExpiryNotices,
    '012-hub-identity': hubIdentity,
    '014-device-codes': deviceCodes,
    '015-token-bindings': tokenBindings,
    '016-token-usage': tokenUsage,
  };
}

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrateToLatest(db: Kysely<Database>, kind: DbKind): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(kind) },
    migrationTableName: 'tshub_migrations',
    migrationLockTableName: 'tshub_migrations_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const err = result.error instanceof Error ? result.error : new Error(String(result.error));
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${err.message}`, { cause: err });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
