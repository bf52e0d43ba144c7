import type * as oidc from 'openid-client';
import type { Identity } from './admission.ts';

/** What the token endpoint gave, in OAuthenticator's auth_state keys. */
export interface ProviderTokens {
  access_token: string;
  refresh_token: string | null;
  /** The id_token as issued (a JWT), for logout's id_token_hint. */
  id_token: string | null;
  scope: string[];
  token_response: Record<string, unknown>;
}

/** A login's identity and the tokens that came with it. */
export type ProviderLogin = Identity & { tokens: ProviderTokens };

export function tokensOf(t: oidc.TokenEndpointResponse, asked: string[]): ProviderTokens {
  // JSON round trip: the response object also carries openid-client's helper methods.
  const token_response = JSON.parse(JSON.stringify(t)) as Record<string, unknown>;
  return {
    access_token: t.access_token,
    refresh_token: t.refresh_token ?? null,
    id_token: t.id_token ?? null,
    // The granted scope when the provider says, else what was asked (RFC 6749 §5.1).
    scope: t.scope ? t.scope.split(' ').filter(Boolean) : asked,
    token_response,
  };
}

/** The auth_state OAuthenticator stores: the tokens and the user data (`oauth_user`). */
export function authStateOf(login: ProviderLogin): Record<string, unknown> {
  // A preset's findings (GitHub's `teams`) sit beside the tokens under upstream's keys.
  return { ...login.tokens, oauth_user: login.oauth_user, ...login.preset?.auth_state };
}
