// Test controls on the API itself: requests that fail on purpose, added latency, and a count of the
// requests by verb and resource, so a test can assert that something made (or did not make) an API call.
import { type ApiError, internal, ApiError as Err } from './status.ts';

export interface RequestRecord {
  /** get, list, watch, create, update, patch, delete, deletecollection (as RBAC names them). */
  verb: string;
  /** pods, events, …; with a subresource "pods/log". Empty for discovery paths. */
  resource: string;
  namespace?: string;
  name?: string;
  /** The query string as sent (e.g. `labelSelector=…&resourceVersion=0`). */
  query: string;
}

export interface FailOptions {
  /** HTTP status of the injected failure: 500 by default (InternalError); 429 and 503 also make sense. */
  code?: number;
  verb?: string;
  resource?: string;
}

interface Failure extends FailOptions {
  remaining: number;
}

const KEEP = 10_000;

export class Faults {
  latencyMs = 0;
  private failures: Failure[] = [];
  private counts = new Map<string, number>();
  requests: RequestRecord[] = [];

  failNext(n: number, opts: FailOptions = {}): void {
    this.failures.push({ ...opts, remaining: n });
  }

  /** Records the request and returns the injected failure it gets, if any. */
  see(r: RequestRecord): ApiError | null {
    const key = `${r.verb} ${r.resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.requests.push(r);
    if (this.requests.length > 2 * KEEP) this.requests = this.requests.slice(-KEEP);
    const f = this.failures.find(
      (x) => x.remaining > 0 && (!x.verb || x.verb === r.verb) && (!x.resource || x.resource === r.resource),
    );
    if (!f) return null;
    f.remaining--;
    this.failures = this.failures.filter((x) => x.remaining > 0);
    const code = f.code ?? 500;
    if (code === 500) return internal('injected by the simulator');
    const reason = code === 429 ? 'TooManyRequests' : code === 503 ? 'ServiceUnavailable' : 'InternalError';
    return new Err(code, reason, `injected failure (${code})`);
  }

  /** Requests seen, optionally only of one verb and/or resource. */
  count(verb?: string, resource?: string): number {
    let n = 0;
    for (const [key, v] of this.counts) {
      const [kv, kr] = key.split(' ');
      if ((!verb || kv === verb) && (!resource || kr === resource)) n += v;
    }
    return n;
  }

  resetCounts(): void {
    this.counts.clear();
    this.requests = [];
  }
}
