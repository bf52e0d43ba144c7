/**
 * One route as JupyterHub's proxy API presents it: CHP's flat route object split into the target and
 * everything else (`data`, which keeps CHP's `last_activity`; the `jupyterhub` marker is dropped).
 */
export interface ProxyRoute {
  routespec: string;
  target: string;
  data: Record<string, unknown>;
}

/** What the hub wants routed: a target and the data that says whose route it is. */
export interface WantedRoute {
  target: string;
  data: Record<string, unknown>;
}

/** The operations the hub needs from any proxy speaking configurable-http-proxy's REST API. */
export interface RoutingProxy {
  /** Makes sure a proxy is running and answering (launching or adopting one if configured to). */
  start(): Promise<void>;
  /** Releases the hub's side (connections, timers). Leaves the proxy process running. */
  stop(): Promise<void>;
  /** Adds or replaces the route for `routespec` (a path ending in '/', e.g. `/user/alice/`). */
  addRoute(routespec: string, target: string, data: Record<string, unknown>): Promise<void>;
  /** Removes the route; a route that is already gone is not an error. */
  deleteRoute(routespec: string): Promise<void>;
  /** The hub-managed routes only (as JupyterHub's get_all_routes), keyed by routespec. */
  getRoutes(): Promise<Record<string, ProxyRoute>>;
}

/**
 * Where changes that make tokens unusable are reported so `tshub proxy` refuses them at once (src/proxy/refusals.ts).
 * Commands call it after their transaction commits; it never blocks or throws.
 */
export interface RefusalSink {
  /** Tokens were revoked, rotated or given an expiry: the proxy learns the result within a second. */
  tokensChanged(): void;
  /** A token was made that expires at `at` (ISO): the proxy refuses it from then on. */
  tokenExpires(at: string): void;
  /**
   * Refuses these tokens with `reason` from now on, without a sweep finding them: rows about to be deleted
   * (with their user: `token_unknown`, as the hub then answers), or tokens a policy refuses (`token_policy_...`).
   */
  tokensRefused(rows: { hashed: string }[], reason: string): void;
}
