import type { Kysely } from 'kysely';
import { oauthClientTarget } from '../auth/principal.ts';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import type { OAuthClientTarget } from '../rbac/index.ts';

export interface OAuthClient {
  identifier: string;
  description: string;
  /** digestToken(secret); null for a client that cannot authenticate (never given a code's token). */
  secretHash: string | null;
  redirectUri: string;
  allowedScopes: string[];
}

export async function findClient(k: Kysely<Database>, identifier: string): Promise<OAuthClient | null> {
  const row = await k.selectFrom('oauth_clients').selectAll().where('identifier', '=', identifier).executeTakeFirst();
  if (!row) return null;
  return {
    identifier: row.identifier,
    description: row.description || row.identifier,
    secretHash: row.secret_hash,
    redirectUri: row.redirect_uri,
    allowedScopes: parseJson<string[]>(row.allowed_scopes, []).filter((s) => typeof s === 'string'),
  };
}

/** The server (spawners.oauth_client_id) or service (services.oauth_client_id) a client stands for. */
export function clientTarget(k: Kysely<Database>, identifier: string): Promise<OAuthClientTarget | null> {
  return oauthClientTarget(k, identifier);
}

/** `oauth_no_confirm: true` in the service's config: its users are not asked to confirm. */
export function skipsConfirmation(config: Config, identifier: string): boolean {
  return config.services.some((s) => s.oauth_no_confirm && (s.oauth_client_id ?? `service-${s.name}`) === identifier);
}

/** The access scope a client's users need (and its tokens always carry). */
export function accessScopeOf(target: OAuthClientTarget): string {
  return target.kind === 'server'
    ? `access:servers!server=${target.user}/${target.server}`
    : `access:services!service=${target.name}`;
}
