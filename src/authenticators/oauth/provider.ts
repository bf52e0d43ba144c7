import * as oidc from 'openid-client';
import type { OAuthConfig } from '../../config/schema-oauth.ts';
import { oauthUnavailable } from '../../errors/index.ts';

/** The identity provider as the hub talks to it: openid-client's configuration and where user data lives. */
export interface IdentityProvider {
  client: oidc.Configuration;
  /** Whether id_tokens are expected and verified: an issuer was discovered and `openid` is asked for. */
  openid: boolean;
  /** userdata_url when given; else the discovered userinfo endpoint (null: the id_token alone). */
  userdataUrl: URL | null;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

// Plain http is refused by openid-client; it is accepted here only when every endpoint is on this
// machine (a provider beside the hub, or the tests'), where there is no network to listen on.
const allHttpOnLoopback = (urls: (string | URL | null | undefined)[]) =>
  urls.every((u) => !u || new URL(u).protocol === 'https:' || LOOPBACK.has(new URL(u).hostname));

function clientAuth(o: OAuthConfig): oidc.ClientAuth {
  if (!o.client_secret) return oidc.None();
  return o.basic_auth ? oidc.ClientSecretBasic(o.client_secret) : oidc.ClientSecretPost(o.client_secret);
}

async function discover(o: OAuthConfig, issuer: string): Promise<IdentityProvider> {
  const execute: ((c: oidc.Configuration) => void)[] = [];
  if (allHttpOnLoopback([issuer])) execute.push(oidc.allowInsecureRequests);
  let client: oidc.Configuration;
  try {
    client = await oidc.discovery(new URL(issuer), o.client_id, undefined, clientAuth(o), { execute, timeout: 10 });
  } catch (err) {
    throw oauthUnavailable(`discovery at ${issuer} failed (${(err as Error).message})`);
  }
  const meta = client.serverMetadata();
  if (!allHttpOnLoopback([meta.authorization_endpoint, meta.token_endpoint, meta.userinfo_endpoint, meta.jwks_uri]))
    throw oauthUnavailable('the discovered endpoints use plain http');
  // Verify id_token signatures against the provider's JWKS: TLS alone would let whoever can answer for the
  // token endpoint (a misissued certificate, a compromised proxy) vouch for anyone.
  if (meta.jwks_uri) oidc.enableNonRepudiationChecks(client);
  const userdata = o.userdata_url ?? meta.userinfo_endpoint ?? null;
  return { client, openid: o.scope.includes('openid'), userdataUrl: userdata ? new URL(userdata) : null };
}

function configured(o: OAuthConfig): IdentityProvider {
  const authorize = o.authorize_url!;
  const client = new oidc.Configuration(
    {
      // Without discovery there is no issuer to check id_tokens against; the provider is known by its endpoints.
      issuer: new URL(authorize).origin,
      authorization_endpoint: authorize,
      token_endpoint: o.token_url!,
    },
    o.client_id,
    undefined,
    clientAuth(o),
  );
  if (allHttpOnLoopback([authorize, o.token_url, o.userdata_url])) oidc.allowInsecureRequests(client);
  return { client, openid: false, userdataUrl: new URL(o.userdata_url!) };
}

// One discovery per hub (the config object is the hub's); a failed one is forgotten so the next login retries.
const cache = new WeakMap<OAuthConfig, Promise<IdentityProvider>>();

export function identityProvider(o: OAuthConfig): Promise<IdentityProvider> {
  let p = cache.get(o);
  if (!p) {
    p = o.oidc_issuer ? discover(o, o.oidc_issuer) : Promise.resolve().then(() => configured(o));
    cache.set(o, p);
    p.catch(() => cache.delete(o));
  }
  return p;
}
