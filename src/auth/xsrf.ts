import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserRow } from '../db/index.ts';
import { xsrfMismatch, xsrfMissing } from '../errors/index.ts';
import { safeEqual } from '../lib/secrets.ts';
import { derive, serializeCookie } from './cookies.ts';
import { cookieValues, type SessionDeps, sessionIdOf, setCookie, XSRF_COOKIE } from './session.ts';

/**
 * XSRF tokens in the spirit of JupyterHub 4.1 (_xsrf_utils.py): a token is bound to who the browser
 * is, so a token seen by one session is useless in another.
 *
 * - Logged in: HMAC(secret, session id, user's cookie_id). Deterministic, so any page of the session
 *   can embed it and the server checks it without storing anything; it changes at each login.
 * - Anonymous (the login form): HMAC(secret, hour, hash(client address, User-Agent)), valid for the
 *   current and the previous hour, and double-submitted with the `_xsrf` cookie.
 */

const ANON_WINDOW_MS = 3600_000;

function isPrivateAddress(ip: string): boolean {
  const kind = isIP(ip);
  if (kind === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return (
      a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)
    );
  }
  if (kind === 6) {
    const v = ip.toLowerCase();
    if (v.startsWith('::ffff:')) return isPrivateAddress(v.slice(7));
    return v === '::1' || v.startsWith('fc') || v.startsWith('fd') || v.startsWith('fe80');
  }
  return false;
}

function anonymousId(req: FastifyRequest): string {
  // A private address is almost surely a proxy's, which may differ between replicas: it tells nothing.
  const ip = req.ip && !isPrivateAddress(req.ip) ? req.ip : 'private';
  return createHash('sha256')
    .update(`${ip}\n${req.headers['user-agent'] ?? ''}`)
    .digest('base64url');
}

export function sessionXsrfToken(secret: Buffer, sessionId: string | null, cookieId: string): string {
  return derive(secret, 'xsrf', sessionId ?? '', cookieId);
}

function anonymousToken(secret: Buffer, req: FastifyRequest, window: number): string {
  return derive(secret, 'xsrf-anonymous', String(window), anonymousId(req));
}

/** The token pages embed (`window.jhdata.xsrf_token`, hidden `_xsrf` fields) for this request's browser. */
export function xsrfTokenFor(
  deps: SessionDeps,
  req: FastifyRequest,
  user: UserRow | null,
  sessionId = sessionIdOf(req),
): string {
  const s = deps.sessions;
  if (user) return sessionXsrfToken(s.secret, sessionId, user.cookie_id);
  return anonymousToken(s.secret, req, Math.floor(Date.now() / ANON_WINDOW_MS));
}

/** Sets the `_xsrf` cookie that JavaScript clients of JupyterHub read; anonymous ones last an hour. */
export function setXsrfCookie(deps: SessionDeps, reply: FastifyReply, token: string, anonymous: boolean): void {
  const s = deps.sessions;
  setCookie(
    reply,
    serializeCookie(XSRF_COOKIE, token, {
      path: s.hubPath,
      secure: s.secure,
      sameSite: 'Lax',
      ...(anonymous ? { maxAge: 3600 } : {}),
    }),
  );
}

/** Checks a login-form token: it must be the cookie's value too, and derived for this browser. */
export function anonymousXsrfValid(deps: SessionDeps, req: FastifyRequest, given: string | undefined): boolean {
  if (!given) return false;
  if (!cookieValues(req, XSRF_COOKIE).some((c) => safeEqual(c, given))) return false;
  const s = deps.sessions;
  const now = Math.floor(Date.now() / ANON_WINDOW_MS);
  return (
    safeEqual(given, anonymousToken(s.secret, req, now)) || safeEqual(given, anonymousToken(s.secret, req, now - 1))
  );
}

export function sessionXsrfValid(
  deps: SessionDeps,
  user: UserRow,
  sessionId: string | null,
  given: string | undefined,
): boolean {
  return Boolean(given && safeEqual(given, sessionXsrfToken(deps.sessions.secret, sessionId, user.cookie_id)));
}

/**
 * Whether a cookie-authenticated request must carry the token ([4.1]): every method but HEAD and
 * OPTIONS, GET included, except page navigations. A request without Sec-Fetch-Mode comes from an old
 * browser or over plain http to a public host (browsers send it only to secure origins), so it is
 * treated like a navigation, as upstream does.
 */
export function needsXsrfCheck(req: FastifyRequest): boolean {
  const method = req.method.toUpperCase();
  if (method === 'HEAD' || method === 'OPTIONS') return false;
  const mode = req.headers['sec-fetch-mode'];
  if (method === 'GET' && (mode === undefined || mode === 'navigate')) return false;
  return true;
}

/** The token a request presents: `?_xsrf=` or the X-XSRFToken (or X-CSRFToken) header. */
export function presentedXsrf(req: FastifyRequest, form?: Record<string, unknown> | null): string | undefined {
  const fromQuery = (req.query as Record<string, unknown> | undefined)?._xsrf;
  if (typeof fromQuery === 'string' && fromQuery) return fromQuery;
  const fromForm = form?._xsrf;
  if (typeof fromForm === 'string' && fromForm) return fromForm;
  const header = req.headers['x-xsrftoken'] ?? req.headers['x-csrftoken'];
  return typeof header === 'string' && header ? header : undefined;
}

/** Throws the 403 for a cookie-authenticated request whose XSRF token is missing or wrong. */
export function checkXsrf(
  deps: SessionDeps,
  req: FastifyRequest,
  user: UserRow,
  sessionId: string | null,
  form?: Record<string, unknown> | null,
): void {
  if (!needsXsrfCheck(req)) return;
  const given = presentedXsrf(req, form);
  const method = req.method.toUpperCase();
  if (!given) {
    throw xsrfMissing(method);
  }
  if (!sessionXsrfValid(deps, user, sessionId, given)) {
    throw xsrfMismatch(method);
  }
}
