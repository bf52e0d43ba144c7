import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { AuditSink } from '../audit/index.ts';
import type { Database } from '../db/index.ts';
import { upsertRole } from '../repo/roles.ts';
import { defaultRoles } from '../rbac/index.ts';
import { syncRoles } from './sync-roles.ts';
import { syncServices, syncUserConfigTokens } from './sync-services.ts';

export { blockConfiguredUsers } from './block-users.ts';
export { StartupError } from './sync-roles.ts';

/** Brings the database in line with the config file: roles, services, config tokens. */
export async function applyConfig(db: Kysely<Database>, config: Config, log: Logger, audit?: AuditSink): Promise<void> {
  // Default roles must exist before services (admin: true) and users reference them.
  for (const r of defaultRoles()) await upsertRole(db, r.name, r.description ?? null, r.scopes ?? []);
  const serviceTokens = await syncServices(db, config, log);
  await syncRoles(db, config, log, audit);
  await syncUserConfigTokens(db, config, serviceTokens);
}
