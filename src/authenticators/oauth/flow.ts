import * as oidc from 'openid-client';
import type { OAuthConfig } from '../../config/schema-oauth.ts';
import {
  oauthCodeMissing,
  oauthLoginFailed,
  oauthProviderError,
  oauthStateMismatch,
  oauthStateMissingFromCookies,
  oauthStateMissingFromUrl,
  oauthUnavailable,
} from '../../errors/index.ts';
import { safeEqual } from '../../lib/secrets.ts';
import { type ProviderLogin, tokensOf } from './tokens.ts';
import type { Identity } from './admission.ts';
import type { FlowState } from './flow-state.ts';
import { type IdentityProvider, identityProvider } from './provider.ts';

/** Starts a login: fresh state, nonce and PKCE verifier (kept by the caller in the flow cookie) and the provider's URL. */
export async function beginLogin(
  o: OAuthConfig,
  callbackUrl: string,
  next: string | null,
): Promise<{ url: URL; flow: FlowState }> {
  const idp = await identityProvider(o);
  const flow: FlowState = {
    state: oidc.randomState(),
    nonce: idp.openid ? oidc.randomNonce() : null,
    verifier: o.enable_pkce ? oidc.randomPKCECodeVerifier() : null,
    next,
  };
  const params: Record<string, string> = {
    ...o.extra_authorize_params,
    redirect_uri: callbackUrl,
    scope: o.scope.join(' '),
    response_type: 'code',
    state: flow.state,
  };
  if (flow.nonce) params.nonce = flow.nonce;
  if (flow.verifier) {
    params.code_challenge = await oidc.calculatePKCECodeChallenge(flow.verifier);
    params.code_challenge_method = 'S256';
  }
  return { url: oidc.buildAuthorizationUrl(idp.client, params), flow };
}

/** Checks the callback's own parameters against the flow this browser started (before any network call). */
function checkCallback(query: URLSearchParams, flow: FlowState | null): FlowState {
  const error = query.get('error');
  if (error) throw oauthProviderError(query.get('error_description') ?? error);
  if (!query.get('code')) throw oauthCodeMissing();
  if (!flow) throw oauthStateMissingFromCookies();
  const state = query.get('state');
  if (!state) throw oauthStateMissingFromUrl();
  if (!safeEqual(state, flow.state)) throw oauthStateMismatch();
  return flow;
}

/** openid-client's refusals as catalogue errors whose message names what failed (shown and logged). */
export function refusal(err: unknown): Error {
  const codeRefused = (error: string, description: unknown) =>
    oauthLoginFailed(
      `the provider refused the code (${error}${typeof description === 'string' ? `: ${description}` : ''})`,
    );
  if (err instanceof oidc.ResponseBodyError) return codeRefused(err.error, err.error_description);
  if (err instanceof oidc.AuthorizationResponseError) return oauthProviderError(err.error_description ?? err.error);
  // GitHub refuses a code with 200 and an OAuth error object, which openid-client only sees as no access_token.
  const body = (
    (err as Error | undefined)?.cause as { cause?: { body?: { error?: unknown; error_description?: unknown } } }
  )?.cause?.body;
  if (err instanceof oidc.ClientError && typeof body?.error === 'string')
    return codeRefused(body.error, body.error_description);
  // openid-client's own message is generic ("unexpected JWT claim value"); the cause names the claim.
  if (err instanceof oidc.ClientError)
    return oauthLoginFailed(err.cause instanceof Error ? err.cause.message : err.message);
  // fetch's network failures; openid-client's own TypeErrors (a misuse, with a code) stay bugs.
  if (err instanceof TypeError && err.message === 'fetch failed')
    return oauthUnavailable((err.cause as Error | undefined)?.message ?? err.message);
  if (err instanceof Error && err.name === 'TimeoutError') return oauthUnavailable('the request timed out');
  return err as Error;
}

export async function userdata(idp: IdentityProvider, accessToken: string, sub: string | null) {
  if (!idp.userdataUrl) return {};
  const meta = idp.client.serverMetadata();
  // The discovered userinfo endpoint is read the OpenID way: the answer must be about the id_token's subject.
  if (idp.openid && sub && idp.userdataUrl.href === meta.userinfo_endpoint)
    return (await oidc.fetchUserInfo(idp.client, accessToken, sub)) as Record<string, unknown>;
  const res = await oidc.fetchProtectedResource(
    idp.client,
    accessToken,
    idp.userdataUrl,
    'GET',
    undefined,
    new Headers({ accept: 'application/json' }),
  );
  if (!res.ok) throw oauthLoginFailed(`userdata_url answered ${res.status}`);
  const body = (await res.json().catch(() => null)) as unknown;
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw oauthLoginFailed('userdata_url did not answer a JSON object');
  return body as Record<string, unknown>;
}

/**
 * Finishes a login at the callback: checks state, exchanges the code (with the PKCE verifier), has
 * openid-client verify the id_token (signature against the JWKS, iss, aud, exp, nonce), then reads userinfo.
 * Throws catalogue errors; returns what the provider says about the person. A preset's `enrich` asks the
 * provider's own APIs more with the access token (memberships), and may refuse.
 */
export async function finishLogin(
  o: OAuthConfig,
  callbackUrl: string,
  query: URLSearchParams,
  cookieFlow: FlowState | null,
  enrich?: (who: Identity, accessToken: string) => Promise<Identity>,
): Promise<ProviderLogin> {
  const flow = checkCallback(query, cookieFlow);
  const idp = await identityProvider(o);
  const current = new URL(callbackUrl);
  current.search = query.toString();
  try {
    const tokens = await oidc.authorizationCodeGrant(
      idp.client,
      current,
      {
        expectedState: flow.state,
        ...(flow.nonce ? { expectedNonce: flow.nonce } : {}),
        ...(flow.verifier ? { pkceCodeVerifier: flow.verifier } : {}),
        idTokenExpected: idp.openid,
      },
      { ...o.token_params, redirect_uri: callbackUrl },
    );
    const idToken = (tokens.claims() ?? {}) as Record<string, unknown>;
    const sub = typeof idToken.sub === 'string' ? idToken.sub : null;
    const who = { oauth_user: await userdata(idp, tokens.access_token, sub), id_token: idToken };
    const enriched = enrich ? await enrich(who, tokens.access_token) : who;
    return { ...enriched, tokens: tokensOf(tokens, o.scope) };
  } catch (err) {
    throw refusal(err);
  }
}

/**
 * Where to send the browser after the hub's own logout: the provider's end_session_endpoint when it has
 * one (RP-initiated logout, ending the provider's session too), else logout_redirect_url, else null.
 * `idTokenHint`, the id_token of the login (from auth_state), tells the provider whose session ends.
 */
export async function logoutUrl(
  o: OAuthConfig,
  loginPage: string,
  idTokenHint?: string | null,
): Promise<string | null> {
  let idp: IdentityProvider;
  try {
    idp = await identityProvider(o);
  } catch {
    // The provider is unreachable: the hub's own logout must still work.
    return o.logout_redirect_url;
  }
  if (!idp.client.serverMetadata().end_session_endpoint) return o.logout_redirect_url;
  return oidc
    .buildEndSessionUrl(idp.client, {
      post_logout_redirect_uri: o.logout_redirect_url ?? loginPage,
      ...(idTokenHint ? { id_token_hint: idTokenHint } : {}),
    })
    .toString();
}
