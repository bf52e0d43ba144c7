import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../db/index.ts';
import { isoNow } from '../lib/time.ts';
import type { RefusalSink } from '../proxy/types.ts';
import { revokeTokens } from '../repo/tokens.ts';
import { clearingCookie, parseCookies, serializeCookie, signValue, verifySignedValue } from './cookies.ts';
import type { PrincipalCache } from './principal-cache.ts';
import { type Principal, userPrincipal } from './principal.ts';

/** JupyterHub's cookie names: clients and services on the same domain read these. */
export const LOGIN_COOKIE = 'jupyterhub-hub-login';
export const SESSION_COOKIE = 'jupyterhub-session-id';
export const XSRF_COOKIE = '_xsrf';
/** JupyterHub's cookie_max_age_days default. */
const DEFAULT_MAX_AGE_DAYS = 14;

export interface SessionSettings {
  secret: Buffer;
  /** Cookies get `Secure` when the public URL is https. */
  secure: boolean;
  /** `<base>hub/`: where the login and XSRF cookies are sent. */
  hubPath: string;
  /** `<base>`: where the session id is sent (single-user servers read it too). */
  basePath: string;
  /** How long a login cookie is valid and kept (cookie_max_age_days). */
  maxAgeSeconds: number;
}

/**
 * The hub's cookie settings, from the URL users reach it at (`public_url`, else `bind_url`: Secure when it is
 * https, as upstream), base path, cookie secret and cookie_max_age_days.
 */
export function sessionSettings(
  publicUrl: string,
  baseUrl: string,
  secret: Buffer,
  maxAgeDays = DEFAULT_MAX_AGE_DAYS,
): SessionSettings {
  return {
    secret,
    secure: new URL(publicUrl).protocol === 'https:',
    hubPath: `${baseUrl}hub/`,
    basePath: baseUrl,
    maxAgeSeconds: Math.round(maxAgeDays * 24 * 3600),
  };
}

/** What reading and writing the login cookies needs; the hub's context has it all. */
export interface SessionDeps {
  sessions: SessionSettings;
}

export function cookieValues(req: FastifyRequest, name: string): string[] {
  return parseCookies(req.headers.cookie).get(name) ?? [];
}

const SESSION_ID = /^[0-9a-f]{32}$/;

/** The browser session's id (JupyterHub's uuid4().hex), if it sent a well-formed one. */
export function sessionIdOf(req: FastifyRequest): string | null {
  for (const v of cookieValues(req, SESSION_COOKIE)) if (SESSION_ID.test(v)) return v;
  return null;
}

export function newSessionId(): string {
  return randomUUID().replaceAll('-', '');
}

/** The user the login cookie names, or null (no cookie, bad signature, too old, unknown cookie_id). */
export async function sessionUser(
  deps: SessionDeps & { k: Kysely<Database> },
  req: FastifyRequest,
): Promise<UserRow | null> {
  const s = deps.sessions;
  // Several login cookies can arrive (set on different paths by different hubs): take the first valid one.
  for (const raw of cookieValues(req, LOGIN_COOKIE)) {
    const cookieId = verifySignedValue(s.secret, LOGIN_COOKIE, raw, s.maxAgeSeconds);
    if (cookieId === null) continue;
    const user = await deps.k.selectFrom('users').selectAll().where('cookie_id', '=', cookieId).executeTakeFirst();
    if (user) return user;
  }
  return null;
}

/** A cookie-authenticated user holds all their own scopes (no token narrows them). */
export async function principalForUser(
  deps: { principals: Pick<PrincipalCache, 'ownerScopes'> },
  user: UserRow,
  sessionId: string | null,
): Promise<Principal> {
  // Cached until permissions change: a browser page calling the API costs no roles query per request.
  const owner = await deps.principals.ownerScopes('user', user.id, user.name);
  return userPrincipal(user, owner, { sessionId });
}

/** Adds a Set-Cookie header, keeping those already on the reply. */
export function setCookie(reply: FastifyReply, cookie: string): void {
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  reply.header('set-cookie', [...list, cookie]);
}

/**
 * After a successful login: a new session id (so tokens of an earlier session on this browser are
 * not carried over) and the signed login cookie. Returns the session id.
 */
export function setLoginCookies(deps: SessionDeps, reply: FastifyReply, user: UserRow): string {
  const s = deps.sessions;
  const sessionId = newSessionId();
  setCookie(
    reply,
    serializeCookie(SESSION_COOKIE, sessionId, { path: s.basePath, httpOnly: true, secure: s.secure, sameSite: 'Lax' }),
  );
  setCookie(
    reply,
    serializeCookie(LOGIN_COOKIE, signValue(s.secret, LOGIN_COOKIE, user.cookie_id), {
      path: s.hubPath,
      httpOnly: true,
      secure: s.secure,
      sameSite: 'Lax',
      maxAge: s.maxAgeSeconds,
    }),
  );
  return sessionId;
}

/**
 * Logout: revokes the tokens issued to this browser session (OAuth logins to servers and services),
 * then clears the hub's cookies and the OAuth cookies the user's servers and the services set (named
 * after their client ids, on their own paths). Tokens are revoked only for a logged-in user, so a
 * forged logout request cannot touch anyone's tokens.
 */
export async function endSession(
  ctx: SessionDeps & {
    k: Kysely<Database>;
    baseUrl: string;
    permissions: { invalidate(): void };
    refusals: RefusalSink;
  },
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<{ user: UserRow | null; revoked: number }> {
  const s = ctx.sessions;
  const user = await sessionUser(ctx, req);
  const sessionId = sessionIdOf(req);
  let revoked = 0;
  if (user && sessionId) {
    const rows = await ctx.k
      .selectFrom('api_tokens')
      .select('id')
      .where('user_id', '=', user.id)
      .where('session_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
    revoked = await revokeTokens(
      ctx.k,
      rows.map((r) => r.id),
      isoNow(),
    );
    if (revoked) {
      ctx.permissions.invalidate();
      ctx.refusals.tokensChanged();
    }
  }
  setCookie(reply, clearingCookie(SESSION_COOKIE, s.basePath, s.secure));
  setCookie(reply, clearingCookie(LOGIN_COOKIE, s.hubPath, s.secure));
  setCookie(reply, clearingCookie(XSRF_COOKIE, s.hubPath, s.secure));
  if (user) {
    const servers = await ctx.k
      .selectFrom('spawners')
      .select(['name', 'oauth_client_id'])
      .where('user_id', '=', user.id)
      .where('oauth_client_id', 'is not', null)
      .execute();
    for (const sp of servers) {
      const prefix = `${ctx.baseUrl}user/${encodeURIComponent(user.name)}/${sp.name ? `${encodeURIComponent(sp.name)}/` : ''}`;
      appendClientCookies(reply, sp.oauth_client_id!, prefix, s.secure);
    }
    const services = await ctx.k
      .selectFrom('services')
      .select(['name', 'oauth_client_id'])
      .where('oauth_client_id', 'is not', null)
      .execute();
    for (const sv of services)
      appendClientCookies(
        reply,
        sv.oauth_client_id!,
        `${ctx.baseUrl}services/${encodeURIComponent(sv.name)}/`,
        s.secure,
      );
  }
  return { user, revoked };
}

const CLIENT_COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function appendClientCookies(reply: FastifyReply, clientId: string, path: string, secure: boolean): void {
  // Client ids of users with unusual names may not be valid cookie names; such a cookie cannot exist.
  if (!CLIENT_COOKIE_NAME.test(clientId)) return;
  setCookie(reply, clearingCookie(clientId, path, secure));
}
