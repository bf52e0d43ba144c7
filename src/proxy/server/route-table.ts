// The routing table of `tshub proxy`: CHP's data model (routes keyed by a cleaned path, arbitrary
// JSON data, a `last_activity` per route) with longest-prefix lookup over path segments.

/** One route: what the API stored, plus the parsed target and activity time kept for speed. */
export interface Route {
  /** The cleaned path the route is keyed by: `/user/alice`, or `/` for the root. */
  prefix: string;
  /** The JSON object POSTed (target included), returned as-is by GET with last_activity added. */
  data: Record<string, unknown>;
  target: Target;
  /** ms since the epoch; a plain number so that touching it on every request costs nothing. */
  lastActivity: number;
}

/** A target URL taken apart once, when the route is added, instead of on every request. */
export interface Target {
  href: string;
  host: string;
  port: number;
  /** The target's path without a trailing slash ('' for the root): prepended to proxied URLs. */
  path: string;
}

export function parseTarget(href: string): Target {
  const u = new URL(href);
  if (u.protocol !== 'http:') throw new Error(`unsupported target protocol ${u.protocol} (only http: is supported)`);
  return {
    href,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 80 : Number(u.port),
    path: u.pathname.replace(/\/+$/, ''),
  };
}

/** CHP's form of a route path: a leading slash, no trailing slash (except the root itself). */
export function cleanPath(path: string): string {
  let p = path.startsWith('/') ? path : `/${path}`;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

interface Node {
  route: Route | undefined;
  children: Map<string, Node> | undefined;
}

function segments(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

export class RouteTable {
  readonly #routes = new Map<string, Route>();
  readonly #root: Node = { route: undefined, children: undefined };

  get(path: string): Route | undefined {
    return this.#routes.get(cleanPath(path));
  }

  all(): IterableIterator<Route> {
    return this.#routes.values();
  }

  /** Adds or replaces a route; as in CHP, (re)adding counts as activity. */
  add(path: string, data: Record<string, unknown>, target: Target, now = Date.now()): Route {
    const prefix = cleanPath(path);
    const route: Route = { prefix, data, target, lastActivity: now };
    this.#routes.set(prefix, route);
    let node = this.#root;
    for (const seg of segments(prefix)) {
      node.children ??= new Map();
      let next = node.children.get(seg);
      if (!next) {
        next = { route: undefined, children: undefined };
        node.children.set(seg, next);
      }
      node = next;
    }
    node.route = route;
    return route;
  }

  /** Removes a route and prunes the branches left empty; false when there was none. */
  remove(path: string): boolean {
    const prefix = cleanPath(path);
    if (!this.#routes.delete(prefix)) return false;
    const trail: [Node, string][] = [];
    let node: Node | undefined = this.#root;
    for (const seg of segments(prefix)) {
      const next: Node | undefined = node.children?.get(seg);
      if (!next) return true;
      trail.push([node, seg]);
      node = next;
    }
    node.route = undefined;
    for (let i = trail.length - 1; i >= 0; i--) {
      const [parent, seg] = trail[i]!;
      const child = parent.children!.get(seg)!;
      if (child.route || child.children?.size) break;
      parent.children!.delete(seg);
    }
    return true;
  }

  /**
   * The route with the longest prefix of `path` (whole segments, decoded), walking the trie
   * without allocating: this runs on every proxied request.
   */
  lookup(path: string): Route | undefined {
    let node: Node = this.#root;
    let best = node.route;
    let i = 0;
    const n = path.length;
    while (i < n) {
      while (i < n && path.charCodeAt(i) === 47) i++; // skip '/'
      if (i >= n || !node.children) break;
      let j = path.indexOf('/', i);
      if (j < 0) j = n;
      const next = node.children.get(path.slice(i, j));
      if (!next) break;
      node = next;
      if (node.route) best = node.route;
      i = j;
    }
    return best;
  }
}
