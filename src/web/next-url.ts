import type { FastifyRequest } from 'fastify';

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
