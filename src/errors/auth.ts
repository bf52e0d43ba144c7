import { HubError } from './hub-error.ts';
import type { BindingFailure } from '../tokens/binding.ts';
import type { PolicyFailure } from './tokens-policy.ts';

/** Why a credential was refused; sent in the `reason` field so scripts can tell cases apart. */
export type AuthFailure =
  | 'credentials_missing'
  | 'token_unknown'
  | 'token_malformed'
  | 'token_expired'
  | 'token_revoked'
  | 'token_rotated'
  | PolicyFailure
  | BindingFailure
  // The identity provider refused to refresh the token owner's login (auth_refresh_age, src/web/auth-refresh.ts).
  | 'auth_expired';

/** JupyterHub's 403 for a scope the caller lacks, naming the scopes that would do. */
export function missingScope(anyOf: string[]): HubError {
  return new HubError(
    403,
    `Action is not authorized with current scopes; requires any of [${anyOf.join(', ')}]`,
    'insufficient_scope',
    { extra: { required_scopes: anyOf } },
  );
}

export function credentialsRefused(reason: AuthFailure): HubError {
  return new HubError(403, 'Missing or invalid credentials.', reason);
}

/** 403 for what only an admin may do (grant admin, change an admin), with JupyterHub's messages. */
export const adminRequired = (message: string) => new HubError(403, message, 'admin_required');

/** 401 instead of 403 for refused credentials (`tokens.invalid_credentials_status: 401`), with its challenge. */
export function credentialsChallenged(reason: AuthFailure): HubError {
  const challenge = reason === 'credentials_missing' ? 'Bearer' : 'Bearer error="invalid_token"';
  return new HubError(401, 'Missing or invalid credentials.', reason, { headers: { 'WWW-Authenticate': challenge } });
}

export const xsrfMissing = (method: string) =>
  new HubError(
    403,
    `'_xsrf' argument missing from ${method}: XSRF check failed (send the X-XSRFToken header or the _xsrf argument)`,
    'xsrf_missing',
  );

export const xsrfMismatch = (method: string) =>
  new HubError(403, `XSRF cookie does not match ${method} argument`, 'xsrf_mismatch');

/** 429 for a login refused by the failed-login throttle. */
export const loginThrottled = (message: string, retryAfter: number) =>
  new HubError(429, message, 'too_many_failures', { headers: { 'Retry-After': String(retryAfter) } });

/** 429 for an API request over a rate limit. */
export const rateLimited = (limitName: string, retryAfter: number) =>
  new HubError(
    429,
    `Too many requests (rate limit "${limitName}"): try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`,
    'rate_limited',
    { headers: { 'Retry-After': String(retryAfter) } },
  );
