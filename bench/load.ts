import autocannon, { type RawRequest, type RequestSpec } from 'autocannon';
import { Agent, get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

// Load generation: autocannon for throughput runs (bench/wrk.ts for wrk), and an open-loop probe for
// latency during one operation.

export interface LoadSpec {
  url: string;
  method?: string;
  /** Sent as `Authorization: token ...` on every request. */
  token?: string;
  /** One token per request, in turn (overrides `token`). */
  tokens?: readonly string[];
  /** A query string of its own for each request (`url` must have one already): no two requests alike. */
  distinctQuery?: (n: number) => string;
  /** JSON body. */
  body?: unknown;
  connections: number;
  /** Seconds measured. */
  duration: number;
  /** Seconds of load run first and thrown away (JIT, caches, connection setup). */
  warmup: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers plus connection errors and timeouts: any of these makes the figure suspect. */
  failures: number;
  statuses: string;
}

async function cannon(spec: LoadSpec, duration: number): Promise<LoadResult> {
  const headers: Record<string, string> = {};
  if (spec.token !== undefined) headers.authorization = `token ${spec.token}`;
  let body: string | undefined;
  if (spec.body !== undefined) {
    body = JSON.stringify(spec.body);
    headers['content-type'] = 'application/json';
  }
  let requests: RequestSpec[] | undefined;
  const { tokens, distinctQuery } = spec;
  if ((tokens !== undefined && tokens.length > 0) || distinctQuery) {
    let next = 0;
    requests = [
      {
        setupRequest: (req: RawRequest): RawRequest => {
          const n = next++;
          const out = distinctQuery ? { ...req, path: `${req.path}&${distinctQuery(n)}` } : { ...req };
          if (tokens?.length) out.headers = { ...req.headers, authorization: `token ${tokens[n % tokens.length]}` };
          return out;
        },
      },
    ];
  }
  const r = await autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers,
    body,
    requests,
    connections: spec.connections,
    duration,
    timeout: 30,
  });
  const statuses = Object.entries(r.statusCodeStats)
    .map(([code, s]) => `${code}:${s.count}`)
    .join(' ');
  return {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    failures: r.non2xx + r.errors + r.timeouts,
    statuses,
  };
}

/** A warm-up run (discarded), then the measured run. */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmup > 0) await cannon(spec, spec.warmup);
  return cannon(spec, spec.duration);
}

export interface Probe {
  /** Stops sending, waits for answers in flight, returns every latency in ms. */
  stop(): Promise<number[]>;
}

/**
 * Sends GET `url` every `intervalMs` whatever the server does (open loop), and measures each answer from the
 * moment it was due, so a server that stalls shows the whole stall in the latencies.
 */
export function startProbe(url: string, intervalMs = 5, maxInFlight = 64): Probe {
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const latencies: number[] = [];
  let inFlight = 0;
  let failures = 0;
  let running = true;
  const fire = (due: number) => {
    inFlight++;
    const req = get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        inFlight--;
        if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300)
          latencies.push(performance.now() - due);
        else failures++;
      });
    });
    req.on('error', () => {
      inFlight--;
      failures++;
    });
  };
  const loop = (async () => {
    const start = performance.now();
    for (let k = 0; running; k++) {
      const due = start + k * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (!running) break;
      // When too many are pending the server is stalled; the pending ones already measure the stall.
      if (inFlight < maxInFlight) fire(due);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const until = performance.now() + 30_000;
      while (inFlight > 0 && performance.now() < until) await sleep(5);
      agent.destroy();
      if (failures > 0) process.stderr.write(`# probe: ${failures} failed requests\n`);
      return latencies;
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
