import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { TokenUseAudit } from '../audit/token-use.ts';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { credentialsChallenged, credentialsRefused, type HubError, type AuthFailure } from '../errors/index.ts';
import { cookieAuthAllowed } from '../http/route-policy.ts';
import type { ActivityRecorder } from './activity.ts';
import type { TokenIdentifier } from './identify-token.ts';
import type { PrincipalCache } from './principal-cache.ts';
import type { Principal } from './principal.ts';
import { principalForUser, type SessionDeps, sessionIdOf, sessionUser } from './session.ts';
import { checkXsrf } from './xsrf.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    authFailure: AuthFailure | null;
  }
}

/** What refusing credentials needs: how (`tokens.invalid_credentials_status`). */
export interface CredentialsDeps {
  config: Pick<Config, 'tokens'>;
}

/** What authenticating a request needs; the hub's context has it all. */
export interface AuthenticateDeps extends SessionDeps {
  k: Kysely<Database>;
  identifier: Pick<TokenIdentifier, 'identifyStored'>;
  principals: Pick<PrincipalCache, 'forToken' | 'ownerScopes'>;
  activity: Pick<ActivityRecorder, 'tokenUsed' | 'userActive'>;
  audit: { tokens: Pick<TokenUseAudit, 'refused' | 'used'> };
}

const AUTH_HEADER = /^(?:token|bearer)\s+(\S+)\s*$/i;

/** Reads `Authorization: token X` / `Bearer X` (JupyterHub never reads ?token= on its API). */
export function tokenFromHeader(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  return AUTH_HEADER.exec(h)?.[1] ?? null;
}

export async function authenticate(ctx: AuthenticateDeps, req: FastifyRequest): Promise<void> {
  req.principal = null;
  req.authFailure = null;
  const raw = tokenFromHeader(req);
  if (raw === null) {
    // A token header always wins; without one, a browser may be logged in with the hub's cookie.
    if (await authenticateCookie(ctx, req)) return;
    req.authFailure = 'credentials_missing';
    return;
  }
  // req.ip runs the trusted-proxy rules again on each read: once per request is enough.
  const ip = req.ip ?? null;
  const { verdict: found, row } = await ctx.identifier.identifyStored(raw, ip);
  if (!found.ok) {
    req.authFailure = found.reason;
    ctx.audit.tokens.refused(req, row, found.reason);
    return;
  }
  const principal = await ctx.principals.forToken(found.row);
  if (!principal) {
    req.authFailure = 'token_unknown';
    return;
  }
  req.principal = principal;
  const tokenOfServer = found.row.kind === 'server';
  ctx.activity.tokenUsed(found.row.id, ip, principal.kind === 'user' && !tokenOfServer ? principal.id : null);
  ctx.audit.tokens.used(req, ip, found.row, principal);
}

/**
 * Cookie authentication for the API, as JupyterHub 4.1+: the login cookie's user with all their scopes,
 * but only with a valid XSRF token (see xsrf.ts), and never for a POST whose body is not JSON (a
 * cross-site HTML form can send those without any preflight). A failed XSRF check is a 403 that says so.
 */
async function authenticateCookie(ctx: AuthenticateDeps, req: FastifyRequest): Promise<boolean> {
  if (!cookieAuthAllowed(req)) return false;
  if (req.method.toUpperCase() === 'POST' && !isJson(req.headers['content-type'])) return false;
  const user = await sessionUser(ctx, req);
  if (!user) return false;
  const sessionId = sessionIdOf(req);
  checkXsrf(ctx, req, user, sessionId);
  req.principal = await principalForUser(ctx, user, sessionId);
  ctx.activity.userActive(user.id);
  return true;
}

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * The refusal for a request without a usable credential: 403 with the precise reason (what JupyterHub
 * clients expect), or with `tokens.invalid_credentials_status: 401` a 401 carrying `WWW-Authenticate`
 * (RFC 6750: no error code when no credential was sent at all).
 */
export function credentialsError(ctx: CredentialsDeps, reason: AuthFailure): HubError {
  const err = credentialsRefused(reason);
  if (ctx.config.tokens.invalid_credentials_status !== 401) return err;
  return credentialsChallenged(reason);
}

/** The caller, or the 403 (or configured 401) that says precisely why there is none. */
export function requirePrincipal(ctx: CredentialsDeps, req: FastifyRequest): Principal {
  if (req.principal) return req.principal;
  throw credentialsError(ctx, req.authFailure ?? 'credentials_missing');
}
