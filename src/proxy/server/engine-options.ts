import type { Agent } from 'node:http';
import type { Logger } from 'pino';
import type { TokenBindings } from './bindings.ts';
import type { RefusedTokens } from './refused-tokens.ts';
import type { RouteTable } from './route-table.ts';
import type { UpstreamPool } from './upstream-pool.ts';

/** What the forwarding engine is given: the routes, the target connections, and the proxy's flags. */
export interface EngineOptions {
  routes: RouteTable;
  log: Logger;
  pool: UpstreamPool;
  /** For fetching error pages (a rare path, so node:http's client is fine). */
  agent: Agent;
  /** GET <errorTarget>/<code>?url=<url> renders error pages (the hub's /hub/error/<code>). */
  errorTarget: string | null;
  /** Add X-Forwarded-For/-Port/-Proto/-Host (CHP's default; --no-x-forward turns it off). */
  xForward: boolean;
  /** ms a target may take to start answering before the request fails with 503; 0 = no limit. */
  proxyTimeoutMs: number;
  /** ms without traffic on a client connection with a request in flight before it is dropped; 0 = never. */
  timeoutMs: number;
  /** ms an idle keep-alive client connection stays open. */
  keepAliveTimeoutMs: number;
  /** Tokens the hub refused (revoked, expired, rotated out): requests carrying one get 403 here. */
  refused: RefusedTokens;
  /** Bound tokens (allowed CIDRs, not-before), checked against the client's socket address. */
  bindings: TokenBindings;
}
