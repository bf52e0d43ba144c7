import type { Kysely } from 'kysely';
import { ensureConfigToken } from '../../bootstrap/config-tokens.ts';
import type { ServiceSpec } from '../../config/index.ts';
import type { Database, ServiceRow } from '../../db/index.ts';
import { deleteOAuthClient } from '../../repo/oauth-clients.ts';
import { findRole, grantRole, revokeRole } from '../../repo/roles.ts';
import { findService, upsertService } from '../../repo/services.ts';
import { hasOAuthClient, oauthClientId, upsertServiceClient } from '../../services/index.ts';

/**
 * Writes what a service spec stands for, from the config file or the API alike: the row, the admin
 * role (`admin: true` is deprecated upstream but still honoured), its api_token as a config token, and
 * its OAuth client, whose secret is that token. A client id that changed, or OAuth dropped from the
 * spec, leaves no client behind. Returns the row and the id of its token, if it has one.
 */
export async function writeServiceRecords(
  db: Kysely<Database>,
  spec: ServiceSpec,
  opts: { baseUrl: string; fromConfig: boolean; tokenNote: string },
): Promise<{ row: ServiceRow; tokenId: number | null }> {
  const clientId = hasOAuthClient(spec) ? oauthClientId(spec) : null;
  const before = await findService(db, spec.name);
  const row = await upsertService(db, {
    name: spec.name,
    admin: spec.admin,
    url: spec.url,
    oauth_client_id: clientId,
    info: spec.info,
    display: spec.display,
    from_config: opts.fromConfig,
  });
  if (before?.oauth_client_id && before.oauth_client_id !== clientId)
    await deleteOAuthClient(db, before.oauth_client_id);
  // A managed service without api_token gets its secret when each run's token is issued.
  if (clientId !== null) await upsertServiceClient(db, spec, opts.baseUrl, spec.api_token);
  const adminRole = await findRole(db, 'admin');
  if (adminRole) {
    if (spec.admin) await grantRole(db, 'service', row.id, adminRole.id);
    else await revokeRole(db, 'service', row.id, adminRole.id);
  }
  const tokenId = spec.api_token
    ? await ensureConfigToken(db, { kind: 'service', id: row.id }, spec.api_token, opts.tokenNote)
    : null;
  return { row, tokenId };
}
