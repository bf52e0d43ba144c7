// Translation between JupyterHub routespecs (`/user/alice/`, always ending in '/') and the paths of
// configurable-http-proxy's REST API, done the way JupyterHub's ConfigurableHTTPProxy does it, so
// a proxy shared with (or inherited from) JupyterHub shows the same routes.

const UTF8 = new TextEncoder();

function percentEncode(ch: string): string {
  return Array.from(UTF8.encode(ch), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * Python's `urllib.parse.quote(s, safe='@/~')`: JupyterHub re-escapes the unescaped keys that CHP
 * reports with exactly this, so we must too or routespecs would not compare equal.
 */
export function quoteLikeJupyterHub(s: string): string {
  let out = '';
  for (const ch of s) out += /^[A-Za-z0-9_.\-~@/]$/.test(ch) ? ch : percentEncode(ch);
  return out;
}

/**
 * Makes a routespec safe to put in a request path. Routespecs arrive already escaped (JupyterHub
 * quotes user and server names), so existing %XX escapes are kept; anything that would change the
 * URL's meaning ('?', '#', spaces, non-ASCII) or make CHP's decodeURIComponent throw (a stray '%',
 * which leaves CHP's API request hanging unanswered) is escaped.
 */
function escapeForPath(s: string): string {
  let out = '';
  const chars = Array.from(s);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '%') out += /^[0-9A-Fa-f]{2}$/.test((chars[i + 1] ?? '') + (chars[i + 2] ?? '')) ? ch : '%25';
    else out += /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/.test(ch) ? ch : percentEncode(ch);
  }
  return out;
}

/** Checks a routespec and adds the trailing slash (JupyterHub's validate_routespec, without host routing). */
export function normalizeRoutespec(routespec: string): string {
  if (routespec === '/') return routespec;
  if (!routespec.startsWith('/')) {
    throw new Error(
      `invalid routespec ${JSON.stringify(routespec)}: must be a path starting with '/' (host-based routing is not supported)`,
    );
  }
  return routespec.endsWith('/') ? routespec : `${routespec}/`;
}

/** The path CHP keys the route by, still escaped: no trailing slash except for the root route. */
export function routespecToChpPath(routespec: string): string {
  const path = escapeForPath(normalizeRoutespec(routespec));
  // CHP trims trailing slashes itself, but DELETE only finds the route without one.
  return path === '/' ? path : path.replace(/\/+$/, '');
}

/** The REST API path for one route: `/api/routes/user/alice`, and `/api/routes/` for the root route. */
export function chpApiPath(routespec: string): string {
  return `/api/routes${routespecToChpPath(routespec)}`;
}

/** A key of CHP's routing table (stored unescaped, e.g. `/user/a b`) back to a routespec (`/user/a%20b/`). */
export function routespecFromChpPath(chpPath: string): string {
  const spec = quoteLikeJupyterHub(chpPath);
  return spec.endsWith('/') ? spec : `${spec}/`;
}

/**
 * The form a routespec takes after a round trip through CHP (what getRoutes reports it as), so
 * routes the hub wants can be compared with routes the proxy has.
 */
export function canonicalRoutespec(routespec: string): string {
  const chpPath = routespecToChpPath(routespec);
  let decoded: string;
  try {
    decoded = decodeURIComponent(chpPath);
  } catch {
    decoded = chpPath;
  }
  return routespecFromChpPath(decoded);
}
