import type { OAuthConfig } from '../../../config/schema-oauth.ts';
import { oauthLoginFailed } from '../../../errors/index.ts';
import type { Identity } from '../admission.ts';
import { rawString } from './api.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const entraIssuer = (tenant: string) => `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/v2.0`;

/** AzureAdOAuthenticator's defaults, found by discovery at the tenant's v2.0 issuer; groups from the id_token. */
export function azureadDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const tenant = rawString(raw, 'tenant_id');
  return {
    ...(tenant ? { oidc_issuer: entraIssuer(tenant) } : {}),
    login_service: 'Azure AD',
    username_claim: 'name',
    scope: ['openid'],
    auth_state_groups_key: 'id_token.groups',
  };
}

/**
 * The id_token's issuer was checked against the discovered one; Microsoft also asks relying parties to
 * check `tid`, which matters when oidc_issuer points elsewhere than the tenant's own issuer.
 */
export async function azureadEnrich(o: OAuthConfig, who: Identity): Promise<Identity> {
  // A tenant given by domain name cannot be compared with the tid (a GUID); the issuer check covers it.
  if (!GUID.test(o.tenant_id)) return who;
  const tid = who.id_token.tid;
  if (typeof tid !== 'string' || tid.toLowerCase() !== o.tenant_id.toLowerCase())
    throw oauthLoginFailed(`the id_token is from another tenant (tid ${typeof tid === 'string' ? tid : 'missing'})`);
  return who;
}
