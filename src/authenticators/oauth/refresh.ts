import * as oidc from 'openid-client';
import type { OAuthConfig } from '../../config/schema-oauth.ts';
import { refusal, userdata } from './flow.ts';
import { identityProvider } from './provider.ts';
import { type ProviderLogin, type ProviderTokens, tokensOf } from './tokens.ts';

const str = (v: unknown) => (typeof v === 'string' && v ? v : null);

/**
 * Asks the provider again about a logged-in user, as OAuthenticator's refresh_user: with a refresh
 * token, the refresh-token grant (new tokens, then the user data read again); without one, the user
 * data read with the stored access token. Returns null when the provider refuses (a revoked or expired
 * grant, an access token it no longer accepts): the login is over. An unreachable provider throws.
 */
export async function refreshLogin(o: OAuthConfig, state: Record<string, unknown>): Promise<ProviderLogin | null> {
  const idp = await identityProvider(o);
  const previous = (state.oauth_user ?? {}) as Record<string, unknown>;
  const refreshToken = str(state.refresh_token);
  let tokens: ProviderTokens;
  let claims: Record<string, unknown> = {};
  try {
    if (refreshToken) {
      const t = await oidc.refreshTokenGrant(idp.client, refreshToken, o.token_params);
      tokens = tokensOf(t, o.scope);
      // Providers may keep the refresh token the same and not send it again (RFC 6749 §6).
      tokens.refresh_token ??= refreshToken;
      tokens.id_token ??= str(state.id_token);
      claims = (t.claims() ?? {}) as Record<string, unknown>;
    } else {
      const access = str(state.access_token);
      if (!access) return null;
      tokens = { ...(state as unknown as ProviderTokens), access_token: access };
    }
    const sub = str(claims.sub) ?? str(previous.sub);
    return { oauth_user: await userdata(idp, tokens.access_token, sub), id_token: claims, tokens };
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError || err instanceof oidc.WWWAuthenticateChallengeError) return null;
    const e = refusal(err);
    // A userdata_url that answers 4xx no longer accepts the token: as refused.
    if ('reason' in e && e.reason === 'oauth_failed') return null;
    throw e;
  }
}
