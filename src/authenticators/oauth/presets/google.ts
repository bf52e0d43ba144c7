import type { OAuthConfig } from '../../../config/schema-oauth.ts';
import { loginNotAllowed } from '../../../errors/index.ts';
import type { Identity } from '../admission.ts';

/** GoogleOAuthenticator's defaults, with Google found by OpenID discovery (its keys verify the id_token). */
export function googleDefaults(): Record<string, unknown> {
  return {
    oidc_issuer: 'https://accounts.google.com',
    login_service: 'Google',
    username_claim: 'email',
    scope: ['openid', 'email'],
  };
}

/**
 * Only verified addresses, and with hosted_domain only accounts of those Workspace domains (the `hd`
 * claim, which Google sets for Workspace accounts only: an @gmail.com address claiming a domain in its
 * name does not have it). With exactly one hosted_domain, the name is the address without @domain, as upstream.
 */
export async function googleEnrich(o: OAuthConfig, who: Identity): Promise<Identity> {
  const claims = { ...who.id_token, ...who.oauth_user };
  const email = typeof claims.email === 'string' ? claims.email : '';
  if (claims.email_verified !== true) throw loginNotAllowed(`Login with unverified email ${email} is not allowed`);
  const domains = o.hosted_domain.map((d) => d.toLowerCase());
  if (!domains.length) return who;
  const hd = typeof claims.hd === 'string' ? claims.hd.toLowerCase() : '';
  const at = email.lastIndexOf('@');
  // Without hd (a consumer account) the message names the address's domain, which is what the person knows.
  if (!domains.includes(hd))
    throw loginNotAllowed(`Google account domain @${hd || email.slice(at + 1)} not authorized.`);
  if (domains.length === 1 && at > 0 && email.slice(at + 1).toLowerCase() === domains[0])
    return { ...who, preset: { username: email.slice(0, at) } };
  return who;
}
