import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { findRole, grantRole, revokeRole, assignDefaultRoles } from '../repo/roles.ts';
import { deleteOAuthClient } from '../repo/oauth-clients.ts';
import {
  allServices,
  apiServiceConfigTokenIds,
  deleteServiceWithRecords,
  findService,
  upsertService,
} from '../repo/services.ts';
import { hasOAuthClient, oauthClientId, upsertServiceClient } from '../services/index.ts';
import { findUser, insertUser } from '../repo/users.ts';
import { ensureConfigToken, revokeConfigTokensExcept } from './config-tokens.ts';

/**
 * Services from config become rows (with their api_token and OAuth client); config services since
 * removed are deleted with their tokens and client. Returns the ids of the config tokens in use,
 * including those of services created through the API, which the file does not list.
 */
export async function syncServices(db: Kysely<Database>, config: Config, log: Logger): Promise<number[]> {
  const kept: number[] = await apiServiceConfigTokenIds(db);
  const adminRole = await findRole(db, 'admin');
  const baseUrl = new URL(config.bind_url).pathname.replace(/\/?$/, '/');
  const names = new Set(config.services.map((s) => s.name));
  for (const spec of config.services) {
    const clientId = hasOAuthClient(spec) ? oauthClientId(spec) : null;
    const before = await findService(db, spec.name);
    const row = await upsertService(db, {
      name: spec.name,
      admin: spec.admin,
      url: spec.url,
      oauth_client_id: clientId,
      info: spec.info,
      display: spec.display,
      from_config: true,
    });
    // A client id that changed (or OAuth dropped from the spec) leaves no client behind.
    if (before?.oauth_client_id && before.oauth_client_id !== clientId)
      await deleteOAuthClient(db, before.oauth_client_id);
    // A managed service without api_token gets its secret when each run's token is issued.
    if (clientId !== null) await upsertServiceClient(db, spec, baseUrl, spec.api_token);
    // `admin: true` is deprecated upstream but still honoured: it grants the admin role.
    if (adminRole) {
      if (spec.admin) await grantRole(db, 'service', row.id, adminRole.id);
      else await revokeRole(db, 'service', row.id, adminRole.id);
    }
    if (spec.api_token)
      kept.push(
        await ensureConfigToken(
          db,
          { kind: 'service', id: row.id },
          spec.api_token,
          `service ${spec.name} token from config`,
        ),
      );
  }
  for (const row of await allServices(db)) {
    if (row.from_config === 1 && !names.has(row.name)) {
      log.info({ service: row.name }, 'removing service no longer in config');
      await deleteServiceWithRecords(db, row);
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
    let user = await findUser(db, name);
    if (!user) {
      user = await insertUser(db, name, false);
      await assignDefaultRoles(db, user.id, false);
    }
    kept.add(await ensureConfigToken(db, { kind: 'user', id: user.id }, secret, 'token from config'));
  }
  await revokeConfigTokensExcept(db, kept);
}
