import type { MetricsEnv } from './env.ts';

// JupyterHub's metrics (its jupyterhub/metrics.py): names without the prefix, types, labels, bounds, and
// the label sets it creates up front so that a dashboard's series exist before the first event.

/** prometheus_client's default histogram bounds (+Inf is always added). */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
export const SPAWN_BUCKETS = [0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 180, 300, 600];
/** Measured every 50 ms, so nothing below that; 5 ms steps up to 75 ms, where a stall starts to show. */
export const EVENT_LOOP_BUCKETS = [0.05, 0.055, 0.06, 0.065, 0.07, ...DEFAULT_BUCKETS.filter((b) => b >= 0.075)];

/** Values of the spawn histogram's `reason` label: '' unless the start was refused by a rule. */
export const SPAWN_REASONS = ['', 'throttled', 'too-many-users', 'already-pending'] as const;
/** `exited`: the server died before it answered; upstream does not create its series up front. */
export type SpawnReason = (typeof SPAWN_REASONS)[number] | 'exited';
export type SpawnStatus = 'success' | 'failure' | 'error';

export interface UpstreamHistogram {
  help: string;
  labels: readonly string[];
  buckets: number[];
  /** Label sets created at zero when the hub starts. */
  initial?: Record<string, string>[];
}

const statuses = (...values: string[]) => values.map((status) => ({ status }));

/** The histograms, keyed by name without the prefix. */
export function upstreamHistograms(env: MetricsEnv) {
  return {
    request_duration_seconds: {
      help: 'Request duration for all HTTP requests',
      labels: ['method', 'handler', 'code'],
      buckets: DEFAULT_BUCKETS,
    },
    server_spawn_duration_seconds: {
      help: 'Time taken for server spawning operation',
      labels: ['status', 'reason'],
      buckets: env.spawnBuckets ?? SPAWN_BUCKETS,
      initial: [
        ...['success', 'failure', 'error'].map((status) => ({ status, reason: '' })),
        ...SPAWN_REASONS.filter(Boolean).map((reason) => ({ status: 'failure', reason })),
      ],
    },
    check_routes_duration_seconds: {
      help: 'Time taken to validate all routes in proxy',
      labels: [],
      buckets: DEFAULT_BUCKETS,
    },
    hub_startup_duration_seconds: { help: 'Time taken for Hub to start', labels: [], buckets: DEFAULT_BUCKETS },
    init_spawners_duration_seconds: {
      help: 'Time taken for spawners to initialize',
      labels: [],
      buckets: DEFAULT_BUCKETS,
    },
    proxy_poll_duration_seconds: {
      help: 'Duration for polling all routes from proxy',
      labels: [],
      buckets: DEFAULT_BUCKETS,
    },
    login_duration_seconds: {
      help: 'duration for all authentication attempts',
      labels: ['status'],
      buckets: DEFAULT_BUCKETS,
      initial: statuses('success', 'failure'),
    },
    logout_duration_seconds: { help: 'duration for all logout requests', labels: [], buckets: DEFAULT_BUCKETS },
    proxy_add_duration_seconds: {
      help: 'Duration for adding user routes to proxy',
      labels: ['status'],
      buckets: DEFAULT_BUCKETS,
      initial: statuses('success', 'failure'),
    },
    server_poll_duration_seconds: {
      help: 'Time taken to poll if server is running',
      labels: ['status'],
      buckets: DEFAULT_BUCKETS,
      initial: statuses('running', 'stopped'),
    },
    server_stop_seconds: {
      help: 'Time taken for server stopping operation',
      labels: ['status'],
      buckets: env.stopBuckets ?? DEFAULT_BUCKETS,
      initial: statuses('success', 'failure'),
    },
    proxy_delete_duration_seconds: {
      help: 'Duration for deleting user routes from proxy',
      labels: ['status'],
      buckets: DEFAULT_BUCKETS,
      initial: statuses('success', 'failure'),
    },
    event_loop_interval_seconds: {
      help: 'Distribution of measured event loop intervals',
      labels: [],
      buckets: EVENT_LOOP_BUCKETS,
    },
  } satisfies Record<string, UpstreamHistogram>;
}

export type UpstreamHistogramName = keyof ReturnType<typeof upstreamHistograms>;

/** The active_users periods, in days. */
export const ACTIVE_PERIODS = [
  ['24h', 1],
  ['7d', 7],
  ['30d', 30],
] as const;
