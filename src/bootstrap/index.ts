import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditSink } from '../audit/index.ts';
import { SYSTEM_CALLER } from '../commands/deps.ts';
import { ensureDefaultRoles, syncRoles } from '../commands/roles/index.ts';
import type { Config } from '../config/index.ts';
import type { Database, DbKind } from '../db/index.ts';
import { loadGroups } from './load-groups.ts';
import { syncServices, syncUserConfigTokens } from './sync-services.ts';

export { StartupError } from '../commands/roles/index.ts';
export { blockConfiguredUsers } from './block-users.ts';

const NO_AUDIT: AuditSink = { record: () => {} };

/** Brings the database in line with the config file: roles, services, config tokens, load_groups. */
export async function applyConfig(
  db: Kysely<Database>,
  config: Config,
  log: Logger,
  audit?: AuditSink,
  dbKind: DbKind = 'sqlite',
): Promise<void> {
  // Default roles must exist before services (admin: true) and users reference them.
  await ensureDefaultRoles(db);
  const serviceTokens = await syncServices(db, config, log);
  await syncRoles({ k: db, config, log, audit: audit ?? NO_AUDIT }, SYSTEM_CALLER);
  await syncUserConfigTokens(db, config, serviceTokens);
  // After the roles: users it creates get the default roles, and nothing caches permissions yet.
  const deps = { k: db, dbKind, config, log, audit: audit ?? NO_AUDIT, permissions: { invalidate() {} } };
  await loadGroups(deps, SYSTEM_CALLER);
}
