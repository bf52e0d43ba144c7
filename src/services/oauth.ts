import type { Kysely } from 'kysely';
import type { ServiceSpec } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { upsertOAuthClient } from '../repo/oauth-clients.ts';
import { digestToken } from '../tokens/format.ts';
import { oauthClientId, oauthRedirectUri } from './spec.ts';

export type ServiceClientSpec = Pick<
  ServiceSpec,
  'name' | 'url' | 'oauth_client_id' | 'oauth_redirect_uri' | 'oauth_client_allowed_scopes'
>;

/**
 * The service's OAuth client (upstream's `service-<name>`). Its secret is the service's API token, as
 * upstream: the service authenticates to /oauth2/token with JUPYTERHUB_API_TOKEN. A service with no
 * token yet (a managed one, before its run's token is issued) has no secret and cannot exchange codes.
 */
export async function upsertServiceClient(
  k: Kysely<Database>,
  spec: ServiceClientSpec,
  baseUrl: string,
  secret: string | null,
): Promise<void> {
  await upsertOAuthClient(k, {
    identifier: oauthClientId(spec),
    description: `Service ${spec.name}`,
    secretHash: secret === null ? null : digestToken(secret),
    redirectUri: oauthRedirectUri(spec, baseUrl),
    allowedScopes: spec.oauth_client_allowed_scopes,
  });
}
