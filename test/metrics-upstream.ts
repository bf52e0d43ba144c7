// What JupyterHub 5 exposes (its jupyterhub/metrics.py), written out here on its own so that the tests
// compare the hub against upstream and not against the hub's own tables; and a parser of the text format.

export type MetricType = 'histogram' | 'gauge' | 'counter';

/** Name without the prefix → type and label names (a histogram's `le` not counted). */
export const UPSTREAM: Record<string, { type: MetricType; labels: string[] }> = {
  request_duration_seconds: { type: 'histogram', labels: ['code', 'handler', 'method'] },
  server_spawn_duration_seconds: { type: 'histogram', labels: ['reason', 'status'] },
  running_servers: { type: 'gauge', labels: [] },
  total_users: { type: 'gauge', labels: [] },
  active_users: { type: 'gauge', labels: ['period'] },
  check_routes_duration_seconds: { type: 'histogram', labels: [] },
  hub_startup_duration_seconds: { type: 'histogram', labels: [] },
  init_spawners_duration_seconds: { type: 'histogram', labels: [] },
  proxy_poll_duration_seconds: { type: 'histogram', labels: [] },
  login_duration_seconds: { type: 'histogram', labels: ['status'] },
  logout_duration_seconds: { type: 'histogram', labels: [] },
  // prometheus_client writes a counter's family with its _total suffix in the text format.
  csp_reports_total: { type: 'counter', labels: [] },
  proxy_add_duration_seconds: { type: 'histogram', labels: ['status'] },
  server_poll_duration_seconds: { type: 'histogram', labels: ['status'] },
  server_stop_seconds: { type: 'histogram', labels: ['status'] },
  proxy_delete_duration_seconds: { type: 'histogram', labels: ['status'] },
  event_loop_interval_seconds: { type: 'histogram', labels: [] },
};

/** prometheus_client's default bounds, which every upstream histogram without its own uses. */
export const PY_DEFAULT_BUCKETS = [
  '0.005',
  '0.01',
  '0.025',
  '0.05',
  '0.075',
  '0.1',
  '0.25',
  '0.5',
  '0.75',
  '1',
  '2.5',
  '5',
  '7.5',
  '10',
  '+Inf',
];

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The Prometheus text format, strictly: a line that is neither a comment nor a sample fails the test. */
export function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (types.has(name!)) throw new Error(`${name} has two TYPE lines`);
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k!] = v!;
    const raw = m[3]!;
    // The format spells these out; anything else must be a number.
    const value = /^nan$/i.test(raw)
      ? Number.NaN
      : /^[+-]inf$/i.test(raw)
        ? (raw[0] === '-' ? -1 : 1) * Number.POSITIVE_INFINITY
        : Number(raw);
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`not a number: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { types, samples };
}

/** Samples of `name` whose labels include `match`. */
export function find(s: Scrape, name: string, match: Record<string, string> = {}): Sample[] {
  return s.samples.filter((x) => x.name === name && Object.entries(match).every(([k, v]) => x.labels[k] === v));
}

/** A histogram's observation count for one label set (0 when the series does not exist). */
export function histogramCount(s: Scrape, name: string, match: Record<string, string> = {}): number {
  return find(s, `${name}_count`, match).reduce((n, x) => n + x.value, 0);
}

/** The `le` bounds of a histogram's series with these labels, in order. */
export function bucketBounds(s: Scrape, name: string, match: Record<string, string> = {}): string[] {
  return find(s, `${name}_bucket`, match).map((x) => x.labels.le!);
}
