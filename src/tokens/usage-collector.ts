/**
 * Per-token usage counted in memory as requests finish, handed to the writer (usage-store.ts) in
 * batches: no request waits on a database write. Memory is bounded whatever the traffic:
 * - at most MAX_TOKENS tokens between two flushes; requests of further tokens are counted as dropped;
 * - per token, the last CLIENTS_KEPT distinct IPs and user agents (older ones cannot be among the
 *   last ones kept in the database either), user agents cut to MAX_AGENT characters;
 * - per token and day, at most MAX_ROUTES route patterns (patterns are the hub's own, a bounded set;
 *   the cap only guards against a surprise), further ones counted under OTHER_ROUTE.
 * That is at most about 10,000 × (20 clients + 64 routes) entries of under 600 bytes, and in practice
 * far less: a flush runs every couple of seconds.
 */

export const CLIENTS_KEPT = 10;
export const MAX_TOKENS = 10_000;
export const MAX_ROUTES = 64;
export const MAX_AGENT = 256;
export const OTHER_ROUTE = '(other)';

export interface ClientCount {
  first: string;
  last: string;
  requests: number;
}

export interface DayCount {
  requests: number;
  errors: number;
  routes: Map<string, number>;
}

export interface TokenUsageBatch {
  days: Map<string, DayCount>;
  ips: Map<string, ClientCount>;
  agents: Map<string, ClientCount>;
}

/** One finished request made with a token. `route`: the matched pattern with its method, or null when none matched. */
export interface UsageHit {
  tokenId: number;
  ip: string | null;
  userAgent: string | null;
  route: string | null;
  status: number;
  at: Date;
}

function seen(clients: Map<string, ClientCount>, value: string, iso: string): void {
  const c = clients.get(value);
  if (c) {
    c.last = iso;
    c.requests++;
    // Most recently seen last: Map keeps insertion order, so the first entry is the one to evict.
    clients.delete(value);
    clients.set(value, c);
    return;
  }
  if (clients.size >= CLIENTS_KEPT) clients.delete(clients.keys().next().value!);
  clients.set(value, { first: iso, last: iso, requests: 1 });
}

export class TokenUsageCollector {
  #pending = new Map<number, TokenUsageBatch>();
  #dropped = 0;

  record(hit: UsageHit): void {
    let t = this.#pending.get(hit.tokenId);
    if (!t) {
      if (this.#pending.size >= MAX_TOKENS) {
        this.#dropped++;
        return;
      }
      t = { days: new Map(), ips: new Map(), agents: new Map() };
      this.#pending.set(hit.tokenId, t);
    }
    const iso = hit.at.toISOString();
    const dayKey = iso.slice(0, 10);
    let day = t.days.get(dayKey);
    if (!day) {
      day = { requests: 0, errors: 0, routes: new Map() };
      t.days.set(dayKey, day);
    }
    day.requests++;
    if (hit.status >= 400) day.errors++;
    if (hit.route !== null) {
      const route = day.routes.has(hit.route) || day.routes.size < MAX_ROUTES - 1 ? hit.route : OTHER_ROUTE;
      day.routes.set(route, (day.routes.get(route) ?? 0) + 1);
    }
    if (hit.ip) seen(t.ips, hit.ip, iso);
    if (hit.userAgent) seen(t.agents, hit.userAgent.slice(0, MAX_AGENT), iso);
  }

  /** What was counted since the last take, and how many requests were not counted for lack of room. */
  take(): { batch: Map<number, TokenUsageBatch>; dropped: number } {
    const out = { batch: this.#pending, dropped: this.#dropped };
    this.#pending = new Map();
    this.#dropped = 0;
    return out;
  }

  get size(): number {
    return this.#pending.size;
  }
}
