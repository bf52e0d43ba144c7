import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { writeServiceRecords } from '../commands/services/records.ts';
import { allServices, apiServiceConfigTokenIds, deleteServiceWithRecords } from '../repo/services.ts';
import { findOrCreateUser } from '../repo/users.ts';
import { ensureConfigToken, revokeConfigTokensExcept } from './config-tokens.ts';

/**
 * Services from config become rows (with their api_token and OAuth client); config services since
 * removed are deleted with their tokens and client. Returns the ids of the config tokens in use,
 * including those of services created through the API, which the file does not list.
 */
export async function syncServices(db: Kysely<Database>, config: Config, log: Logger): Promise<number[]> {
  const kept: number[] = await apiServiceConfigTokenIds(db);
  const baseUrl = new URL(config.bind_url).pathname.replace(/\/?$/, '/');
  const names = new Set(config.services.map((s) => s.name));
  for (const spec of config.services) {
    const { tokenId } = await writeServiceRecords(db, spec, {
      baseUrl,
      fromConfig: true,
      tokenNote: `service ${spec.name} token from config`,
    });
    if (tokenId !== null) kept.push(tokenId);
  }
  for (const row of await allServices(db)) {
    if (row.from_config === 1 && !names.has(row.name)) {
      log.info({ service: row.name }, 'removing service no longer in config');
      await db.transaction().execute((trx) => deleteServiceWithRecords(trx, row));
    }
  }
  return kept;
}

/**
 * JupyterHub's `api_tokens: {token: username}`: the user is created if missing. Config tokens of
 * users and services that the file no longer lists are revoked.
 */
export async function syncUserConfigTokens(
  db: Kysely<Database>,
  config: Config,
  serviceTokens: number[],
): Promise<void> {
  const kept = new Set(serviceTokens);
  for (const [secret, name] of Object.entries(config.api_tokens)) {
    const user = await findOrCreateUser(db, name);
    kept.add(await ensureConfigToken(db, { kind: 'user', id: user.id }, secret, 'token from config'));
  }
  await revokeConfigTokensExcept(db, kept);
}
