import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalForUser, sessionIdOf, sessionUser } from '../auth/session.ts';
import { actorOf, originOf } from '../audit/index.ts';
import type { Caller } from '../commands/deps.ts';
import { setXsrfCookie, xsrfTokenFor } from '../auth/xsrf.ts';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import { errorPage, type PageContext } from './html.ts';

export interface PageSession {
  user: UserRow;
  sessionId: string | null;
  xsrf: string;
}

/** The signed-in user of a page request (login cookie), with the session's XSRF token. */
export async function pageSession(ctx: HubContext, req: FastifyRequest): Promise<PageSession | null> {
  const user = await sessionUser(ctx, req);
  if (!user) return null;
  const sessionId = sessionIdOf(req);
  return { user, sessionId, xsrf: xsrfTokenFor(ctx, req, user, sessionId) };
}

export function isNavigation(req: FastifyRequest): boolean {
  const mode = req.headers['sec-fetch-mode'];
  return mode === undefined || mode === 'navigate';
}

/** Sends a browser to the login page, to come back to this URL afterwards. */
export function loginRedirect(ctx: HubContext, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.redirect(`${ctx.baseUrl}hub/login?next=${encodeURIComponent(req.url)}`, 302);
}

/**
 * jhdata for a page, and the `_xsrf` cookie that JupyterHub's JavaScript clients read. Like upstream,
 * the cookie is set only on navigations (a fetch must not replace it).
 */
export function pageData(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: PageSession,
): Record<string, unknown> {
  if (isNavigation(req)) setXsrfCookie(ctx, reply, s.xsrf, false);
  return { base_url: `${ctx.baseUrl}hub/`, prefix: ctx.baseUrl, user: s.user.name, xsrf_token: s.xsrf };
}

/** Everything page.html needs for a signed-in user: the navigation and jhdata, plus page-specific jhdata keys. */
export async function pageContext(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: PageSession,
  pageName: string,
  extra: Record<string, unknown> = {},
): Promise<PageContext> {
  return {
    baseUrl: ctx.baseUrl,
    user: s.user.name,
    pageName,
    // Computed here, not by each page, so every signed-in page shows the same navigation.
    adminUi: (await principalForUser(ctx, s.user, s.sessionId)).scopes.has('admin-ui'),
    accountLinks: {
      password: ctx.config.authenticator.class === 'password',
      twoFactor: ctx.config.authenticator.class === 'password' && ctx.config.authenticator.allow_2fa,
    },
    jhdata: { ...pageData(ctx, req, reply, s), ...extra },
  };
}

/** `/user/<name>/[<server>/]`: where a server lives, as the proxy routes it. */
export function serverUrl(baseUrl: string, user: string, server: string): string {
  return `${baseUrl}user/${encodeURIComponent(user)}/${server ? `${encodeURIComponent(server)}/` : ''}`;
}

/** `<base>hub/<page>/<name>[/<server>]` for the spawn and spawn-pending pages. */
export function hubServerPage(baseUrl: string, pageName: string, user: string, server: string): string {
  return `${baseUrl}hub/${pageName}/${encodeURIComponent(user)}${server ? `/${encodeURIComponent(server)}` : ''}`;
}

export type ServerState = 'ready' | 'pending' | 'failed' | 'stopped';

/** A server's state from the database (the truth), and from the manager whether its last start failed. */
export async function serverState(ctx: HubContext, user: UserRow, server: string): Promise<ServerState> {
  const row = await ctx.k
    .selectFrom('spawners')
    .select(['server_url', 'pending'])
    .where('user_id', '=', user.id)
    .where('name', '=', server)
    .executeTakeFirst();
  if (row?.pending) return 'pending';
  if (row?.server_url) return 'ready';
  const log = ctx.servers?.progressOf(user.id, server);
  if (log?.done && log.events.at(-1)?.failed) return 'failed';
  return 'stopped';
}

/** A signed-in page's user as a command's caller: their principal, for the audit log and the command's rules. */
export async function pageCaller(ctx: HubContext, req: FastifyRequest, s: PageSession): Promise<Caller> {
  const principal = await principalForUser(ctx, s.user, s.sessionId);
  return { origin: originOf(req, actorOf(principal)), principal };
}

/** The pages of the password authenticator's admin side need what upstream's do: admin:users. */
export async function needUsersAdmin(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<{ s: PageSession; caller: Caller } | FastifyReply> {
  const s = await pageSession(ctx, req);
  if (!s)
    return req.method === 'GET'
      ? loginRedirect(ctx, req, reply)
      : errorPage(reply, ctx.baseUrl, 403, 'Forbidden', 'Not signed in.');
  const caller = await pageCaller(ctx, req, s);
  if (!caller.principal?.scopes.has('admin:users'))
    return errorPage(reply, ctx.baseUrl, 403, 'Forbidden', 'This page needs the admin:users permission.', s.user.name);
  return { s, caller };
}
