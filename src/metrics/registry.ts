import type { Kysely } from 'kysely';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/index.ts';
import type { MetricsEnv } from './env.ts';
import { monitorEventLoop } from './event-loop.ts';
import { registerGauges } from './gauges.ts';
import { type UpstreamHistogram, type UpstreamHistogramName, upstreamHistograms } from './upstream.ts';

/** What a Fastify reply tells of its request's duration. */
interface Timed {
  elapsedTime: number;
}

/**
 * The hub's Prometheus metrics: every metric JupyterHub has, under its names (JUPYTERHUB_METRICS_PREFIX,
 * `jupyterhub` by default), types, labels and bounds, so dashboards built for JupyterHub keep working;
 * and tshub's own under `tshub_`. One registry per hub (tests build several hubs in one process).
 */
export class HubMetrics {
  readonly registry = new Registry();
  /** The prefix with its separator ('jupyterhub_'), or '' for none. */
  readonly prefix: string;
  readonly requestDuration: Histogram<'method' | 'handler' | 'code'>;
  readonly spawnDuration: Histogram<'status' | 'reason'>;
  readonly stopDuration: Histogram<'status'>;
  readonly proxyAddDuration: Histogram<'status'>;
  readonly proxyDeleteDuration: Histogram<'status'>;
  readonly serverPollDuration: Histogram<'status'>;
  readonly loginDuration: Histogram<'status'>;
  readonly logoutDuration: Histogram;
  readonly checkRoutesDuration: Histogram;
  readonly proxyPollDuration: Histogram;
  readonly initSpawnersDuration: Histogram;
  readonly startupDuration: Histogram;
  readonly eventLoopInterval: Histogram;
  readonly cspReports: Counter;
  readonly authFailures: Counter<'reason'>;
  readonly rateLimitTrips: Counter<'bucket'>;
  /** When the hub began to start (Date.now()), for hub_startup_duration_seconds. */
  readonly #started: number;
  #stopEventLoop: (() => void) | null = null;

  constructor(db: Kysely<Database>, env: MetricsEnv, started: number) {
    this.#started = started;
    this.prefix = env.prefix ? `${env.prefix}_` : '';
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tshub_process_' });
    const defs: Record<UpstreamHistogramName, UpstreamHistogram> = upstreamHistograms(env);
    const histogram = <L extends string = string>(name: UpstreamHistogramName): Histogram<L> => {
      const def = defs[name];
      const h = new Histogram<L>({
        name: `${this.prefix}${name}`,
        help: def.help,
        labelNames: def.labels as L[],
        buckets: def.buckets,
        registers,
      });
      for (const labels of def.initial ?? []) h.zero(labels as Partial<Record<L, string>>);
      return h;
    };
    this.requestDuration = histogram('request_duration_seconds');
    this.spawnDuration = histogram('server_spawn_duration_seconds');
    this.stopDuration = histogram('server_stop_seconds');
    this.proxyAddDuration = histogram('proxy_add_duration_seconds');
    this.proxyDeleteDuration = histogram('proxy_delete_duration_seconds');
    this.serverPollDuration = histogram('server_poll_duration_seconds');
    this.loginDuration = histogram('login_duration_seconds');
    this.logoutDuration = histogram('logout_duration_seconds');
    this.checkRoutesDuration = histogram('check_routes_duration_seconds');
    this.proxyPollDuration = histogram('proxy_poll_duration_seconds');
    this.initSpawnersDuration = histogram('init_spawners_duration_seconds');
    this.startupDuration = histogram('hub_startup_duration_seconds');
    this.eventLoopInterval = histogram('event_loop_interval_seconds');
    // prom-client names a counter with its _total suffix; prometheus_client adds it to `csp_reports`.
    this.cspReports = new Counter({
      name: `${this.prefix}csp_reports_total`,
      help: 'content security policy violation reports',
      registers,
    });
    this.authFailures = new Counter({
      name: 'tshub_auth_failures_total',
      help: 'Refused API credentials, by reason (token_expired, token_unknown, ...)',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimitTrips = new Counter({
      name: 'tshub_rate_limit_trips_total',
      help: 'API requests refused with 429 by a rate limit, by bucket (api, user, unauthenticated, token_create, spawn)',
      labelNames: ['bucket'],
      registers,
    });
    registerGauges(db, this.registry, this.prefix);
  }

  /** A login attempt's request, from its start until the cookie is set or the form refused. */
  observeLogin(status: 'success' | 'failure', reply: Timed): void {
    this.loginDuration.observe({ status }, reply.elapsedTime / 1000);
  }

  observeLogout(reply: Timed): void {
    this.logoutDuration.observe(reply.elapsedTime / 1000);
  }

  /** The hub is up and serving: from the start of Hub.create to the end of Hub.start. */
  hubStarted(): void {
    this.startupDuration.observe((Date.now() - this.#started) / 1000);
  }

  startEventLoopMonitor(warn: (seconds: number) => void): void {
    this.#stopEventLoop ??= monitorEventLoop(this.eventLoopInterval, warn);
  }

  close(): void {
    this.#stopEventLoop?.();
    this.#stopEventLoop = null;
  }
}
