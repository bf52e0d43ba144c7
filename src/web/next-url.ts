import type { FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import { hubServerPage, serverState, serverUrl } from './common.ts';

// Browsers drop tabs and newlines inside URLs ("/\t/evil" becomes "//evil") and treat "\" like "/"
// in http URLs: a value holding any of them, or any other control character, is refused outright.
const UNSAFE = /[\u0000-\u001f\u007f\\]/;

/**
 * The `next` a login (or another page) may redirect to: only a path of this hub, under its base URL.
 * An absolute URL naming this very host is reduced to its path, as upstream's get_next_url does;
 * anything else (another host, `//host`, a scheme, a path outside the base URL) gives null.
 * `<base>user/...` becomes `<base>hub/user/...`, which the hub handles when the server is not running
 * yet and which sends the browser on to the server when it is.
 */
export function safeNextUrl(value: unknown, baseUrl: string, req?: FastifyRequest): string | null {
  if (typeof value !== 'string' || value === '' || value.length > 4096 || UNSAFE.test(value)) return null;
  let path = value;
  if (!path.startsWith('/') || path.startsWith('//')) {
    const host = req?.headers.host;
    if (!host) return null;
    let u: URL;
    try {
      u = new URL(path.startsWith('//') ? `${req.protocol}:${path}` : path);
    } catch {
      return null;
    }
    if (
      (u.protocol !== 'http:' && u.protocol !== 'https:') ||
      u.host !== host.toLowerCase() ||
      u.username ||
      u.password
    )
      return null;
    path = u.pathname + u.search + u.hash;
  }
  // Resolve dot segments the way the browser will, so "/base/../elsewhere" cannot escape the base.
  let resolved: URL;
  try {
    resolved = new URL(path, 'http://hub.invalid');
  } catch {
    return null;
  }
  if (resolved.host !== 'hub.invalid') return null;
  const normalized = resolved.pathname + resolved.search + resolved.hash;
  if (!normalized.startsWith(baseUrl) && `${normalized}/` !== baseUrl) return null;
  const userPrefix = `${baseUrl}user/`;
  if (normalized.startsWith(userPrefix)) return `${baseUrl}hub/user/${normalized.slice(userPrefix.length)}`;
  return normalized;
}

/**
 * Where a signed-in browser goes when nothing said where (upstream's get_next_url without `next`):
 * default_url if set; else with redirect_to_server the user's server (default_server_name with named
 * servers) when it is running or starting, or the spawn page that starts it; else /hub/home. The
 * request's own query (but `next` and `_xsrf`) goes along, as upstream, unless `keepQuery` is false (an
 * identity provider's callback, whose query is the provider's).
 */
export async function landingUrl(
  ctx: HubContext,
  req: FastifyRequest,
  user: UserRow,
  opts: { keepQuery?: boolean } = {},
): Promise<string> {
  const c = ctx.config;
  const base = ctx.baseUrl;
  let url = c.default_url;
  if (url === '' && c.redirect_to_server) {
    const server = c.allow_named_servers ? c.default_server_name : '';
    const state = await serverState(ctx, user, server);
    if (state === 'ready' || state === 'pending') url = serverUrl(base, user.name, server);
    else url = server ? hubServerPage(base, 'spawn', user.name, server) : `${base}hub/spawn`;
  }
  if (url === '') url = `${base}hub/home`;
  if (opts.keepQuery === false) return url;
  const q = req.url.indexOf('?');
  const query = new URLSearchParams(q === -1 ? '' : req.url.slice(q + 1));
  query.delete('next');
  query.delete('_xsrf');
  const extra = query.toString();
  return extra ? `${url}${url.includes('?') ? '&' : '?'}${extra}` : url;
}
