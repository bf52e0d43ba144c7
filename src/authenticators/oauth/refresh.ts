import * as oidc from 'openid-client';
import type { OAuthConfig } from '../../config/schema-oauth.ts';
import { refusal, userdata } from './flow.ts';
import { identityProvider } from './provider.ts';
import { type ProviderLogin, type ProviderTokens, tokensOf } from './tokens.ts';

const str = (v: unknown) => (typeof v === 'string' && v ? v : null);

/**
 * The claims of the id_token stored at login (verified then), for a refresh whose answer has no new
 * one: groups read from `id_token.*` must not vanish because the provider did not reissue it.
 */
function storedClaims(idToken: string | null): Record<string, unknown> {
  try {
    const claims = JSON.parse(Buffer.from(idToken?.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

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
  let claims: Record<string, unknown> | undefined;
  try {
    if (refreshToken) {
      const t = await oidc.refreshTokenGrant(idp.client, refreshToken, o.token_params);
      tokens = tokensOf(t, o.scope);
      // Providers may keep the refresh token the same and not send it again (RFC 6749 §6).
      tokens.refresh_token ??= refreshToken;
      tokens.id_token ??= str(state.id_token);
      claims = t.claims() as Record<string, unknown> | undefined;
    } else {
      const access = str(state.access_token);
      if (!access) return null;
      tokens = {
        access_token: access,
        refresh_token: null,
        id_token: str(state.id_token),
        scope: Array.isArray(state.scope) ? state.scope.filter((x): x is string => typeof x === 'string') : o.scope,
        token_response: (state.token_response ?? {}) as Record<string, unknown>,
      };
    }
    claims ??= storedClaims(tokens.id_token);
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
