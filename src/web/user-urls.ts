import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalForUser } from '../auth/session.ts';
import type { HubContext } from '../context.ts';
import { checkAccess } from '../rbac/index.ts';
import { allGroupNamesByUser } from '../repo/groups.ts';
import { findSpawner } from '../repo/spawners.ts';
import { findUser } from '../repo/users.ts';
import { hubServerPage, loginRedirect, pageSession, serverState, serverUrl } from './common.ts';
import { errorPage } from './html.ts';
import { notRunningPage } from './spawn.ts';

/** After this many hub → server redirects without the proxy taking over, give up (upstream's user_redirect_limit). */
export const REDIRECT_LIMIT = 4;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

interface UserPath {
  /** The user name as it appears in the URL (still percent-encoded). */
  rawName: string;
  name: string;
  /** Everything after the name: '' or '/...' (raw). */
  rest: string;
  query: URLSearchParams;
}

function splitUserPath(url: string, prefix: string): UserPath | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  if (!path.startsWith(prefix)) return null;
  const after = path.slice(prefix.length);
  const slash = after.indexOf('/');
  const rawName = slash === -1 ? after : after.slice(0, slash);
  const rest = slash === -1 ? '' : after.slice(slash);
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    return null;
  }
  return name ? { rawName, name, rest, query } : null;
}

/** JupyterHub's guess that a request is an API call: JSON preferred over HTML, or an `api` path segment. */
export function looksLikeApi(req: FastifyRequest, rest: string): boolean {
  if (rest.split('/').includes('api')) return true;
  const accepted = (req.headers.accept ?? '')
    .split(',')
    .map((part, i) => {
      const [type = '', ...params] = part.split(';').map((x) => x.trim().toLowerCase());
      const qp = params.find((p) => p.startsWith('q='));
      const q = qp ? Number(qp.slice(2)) : 1;
      return { type, q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((a) => a.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const a of accepted) {
    if (a.type === 'application/json') return true;
    if (a.type === 'text/html') return false;
  }
  return false;
}

/**
 * 424 (Failed Dependency): the server itself is not running, as opposed to a 404 from a running one.
 * API clients (JupyterLab) recognise it and offer to restart.
 */
function notRunningJson(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  p: UserPath,
  server: string,
): FastifyReply {
  // Upstream's words: the path asked for, and the full URL of the spawn page on the host asked.
  const where = `${ctx.baseUrl}user/${p.rawName}${p.rest}`;
  const page = hubServerPage(ctx.baseUrl, 'spawn', p.name, server);
  const host = req.headers.host;
  const spawn = host ? `${req.protocol}://${host}${page}` : page;
  return reply
    .code(424)
    .header('Cache-Control', 'no-store')
    .type('application/json')
    .send({ status: 424, message: `JupyterHub server no longer running at ${where}. Restart the server at ${spawn}` });
}

function queryString(q: URLSearchParams): string {
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Requests for `/user/<name>/...` that reach the hub: the proxy has no route for that server (it is
 * stopped, starting, or its route is not in place yet). Browsers come here through `/hub/user/...`,
 * where the login cookie is sent.
 */
export function registerUserUrls(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const base = ctx.baseUrl;
  const hubUserPrefix = `${base}hub/user/`;
  const userPrefix = `${base}user/`;
  const hide = { schema: { hide: true } };

  // The hub's cookie is not sent here, so every GET goes on to /hub/user/... as upstream's
  // PrefixRedirectHandler does (API calls learn there, with a 424, that the server is not running);
  // other methods, which a redirect would turn into GETs, learn it at once.
  const direct = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = splitUserPath(req.url, userPrefix);
    if (!p) return errorPage(reply, base, 404, 'Not Found', 'No such page.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return notRunningJson(ctx, req, reply, p, '');
    return reply.redirect(`${hubUserPrefix}${p.rawName}${p.rest}${queryString(p.query)}`, 302);
  };

  const viaHub = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = splitUserPath(req.url, hubUserPrefix);
    if (!p) return errorPage(reply, base, 404, 'Not Found', 'No such page.');
    const isApi = (req.method !== 'GET' && req.method !== 'HEAD') || looksLikeApi(req, p.rest);
    const s = await pageSession(ctx, req);
    if (!s) return isApi ? notRunningJson(ctx, req, reply, p, '') : loginRedirect(ctx, req, reply);
    const user = p.name === s.user.name ? s.user : await findUser(ctx.k, p.name);
    // The server the path names: its first segment, if that is one of the user's named servers.
    let server = '';
    const first = p.rest.split('/')[1];
    if (user && first && ctx.config.allow_named_servers) {
      let decoded = '';
      try {
        decoded = decodeURIComponent(first);
      } catch {
        // not a server name
      }
      if (decoded && (await findSpawner(ctx.k, user.id, decoded))) server = decoded;
    }
    const principal = await principalForUser(ctx, s.user, s.sessionId);
    const groups = user ? await allGroupNamesByUser(ctx.k, p.name) : [];
    if (
      !user ||
      checkAccess(principal.scopes, ['access:servers'], { kind: 'server', user: p.name, server, groups }) !== 'ok'
    ) {
      return errorPage(
        reply,
        base,
        404,
        'Not Found',
        `No server at ${serverUrl(base, p.name, server)} that you may access.`,
        s.user.name,
      );
    }
    const state = await serverState(ctx, user, server);
    if (state === 'ready') return redirectToServer(ctx, req, reply, p, s.user.name);
    if (isApi) return notRunningJson(ctx, req, reply, p, server);
    p.query.delete('redirects');
    const here = `${hubUserPrefix}${p.rawName}${p.rest}${queryString(p.query)}`;
    if (state === 'pending' || state === 'failed') {
      return reply.redirect(
        `${hubServerPage(base, 'spawn-pending', user.name, server)}?next=${encodeURIComponent(here)}`,
        303,
      );
    }
    return notRunningPage(ctx, reply, s.user.name, user.name, server, 424, { next: here, implicitSpawn: true });
  };

  for (const [prefix, handler] of [
    [userPrefix, direct],
    [hubUserPrefix, viaHub],
  ] as const) {
    app.route({ method: METHODS, url: `${prefix}:name`, schema: hide.schema, handler });
    app.route({ method: METHODS, url: `${prefix}:name/*`, schema: hide.schema, handler });
  }
}

/**
 * The server is ready but the request came to the hub: the route may be on its way into the proxy.
 * Send the browser back to the server's URL, counting the round trips in `redirects` and waiting a
 * little longer each time; after a few, the proxy is evidently not routing it and we say so.
 */
async function redirectToServer(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  p: UserPath,
  viewer: string,
): Promise<FastifyReply> {
  const seen = Number.parseInt(p.query.get('redirects') ?? '0', 10);
  const redirects = Number.isFinite(seen) && seen > 0 ? seen : 0;
  if (redirects >= REDIRECT_LIMIT) {
    req.log.warn({ path: req.url.split('?')[0], redirects }, 'redirect loop: the proxy does not route this server');
    return errorPage(
      reply,
      ctx.baseUrl,
      500,
      'Redirect loop detected',
      'The server is running, but requests for it keep reaching the hub instead of the server. Try again in a moment; if it persists, ask an administrator to check the proxy.',
      viewer,
    );
  }
  if (redirects > 0) await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** (redirects - 1), 2000)));
  p.query.set('redirects', String(redirects + 1));
  return reply.redirect(`${ctx.baseUrl}user/${p.rawName}${p.rest}${queryString(p.query)}`, 302);
}
