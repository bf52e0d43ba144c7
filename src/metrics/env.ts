/**
 * The environment variables JupyterHub reads for its metrics, read the same way here so that a deployment
 * moving over keeps its settings. They are read once, when the hub is built, and a bad value stops the
 * start with a message naming the variable (JupyterHub would fail on it too, with a Python traceback).
 */
export interface MetricsEnv {
  /** Prefix of JupyterHub's metric names ('' for none); tshub's own metrics keep `tshub_`. */
  prefix: string;
  /** Bucket bounds for server_spawn_duration_seconds, or null for the default. */
  spawnBuckets: number[] | null;
  /** Bucket bounds for server_stop_seconds, or null for the default. */
  stopBuckets: number[] | null;
}

export const PREFIX_VAR = 'JUPYTERHUB_METRICS_PREFIX';
export const SPAWN_BUCKETS_VAR = 'JUPYTERHUB_SERVER_SPAWN_DURATION_SECONDS_BUCKETS';
export const STOP_BUCKETS_VAR = 'JUPYTERHUB_SERVER_STOP_DURATION_SECONDS_BUCKETS';

/** A Prometheus metric name must match this, so a prefix must too. */
const NAME_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const INFINITY = /^\+?inf(inity)?$/i;

export class MetricsEnvError extends Error {
  override name = 'MetricsEnvError';
}

/**
 * Comma-separated upper bounds, increasing, as upstream's `float()` list. An infinite bound is accepted
 * (upstream's defaults end with one) and dropped: the `+Inf` bucket is always there.
 */
export function parseBuckets(variable: string, raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const bounds: number[] = [];
  for (const part of parts) {
    const n = INFINITY.test(part) ? Number.POSITIVE_INFINITY : part === '' ? Number.NaN : Number(part);
    if (Number.isNaN(n)) throw new MetricsEnvError(`${variable}: '${part}' is not a number (give bounds like 1,5,30)`);
    if (bounds.length && n <= bounds[bounds.length - 1]!)
      throw new MetricsEnvError(`${variable}: bucket bounds must increase, and ${part} does not`);
    bounds.push(n);
  }
  const finite = bounds.filter(Number.isFinite);
  if (!finite.length) throw new MetricsEnvError(`${variable}: give at least one finite bucket bound`);
  return finite;
}

export function readMetricsEnv(env: NodeJS.ProcessEnv = process.env): MetricsEnv {
  const prefix = env[PREFIX_VAR] ?? 'jupyterhub';
  if (prefix !== '' && !NAME_PREFIX.test(prefix))
    throw new MetricsEnvError(
      `${PREFIX_VAR}: '${prefix}' cannot start a Prometheus metric name (letters, digits, _ and :, not starting with a digit)`,
    );
  // Empty or blank means the default, as upstream.
  const buckets = (variable: string) => {
    const raw = env[variable]?.trim();
    return raw ? parseBuckets(variable, raw) : null;
  };
  return { prefix, spawnBuckets: buckets(SPAWN_BUCKETS_VAR), stopBuckets: buckets(STOP_BUCKETS_VAR) };
}
