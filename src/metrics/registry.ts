import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

const DAY_MS = 86_400_000;

/**
 * The hub's Prometheus metrics, under JupyterHub's names where JupyterHub has one (dashboards built
 * for JupyterHub keep working), plus tshub's token metrics. Gauges are computed when scraped.
 */
export class HubMetrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<'code' | 'method' | 'handler'>;
  readonly spawnDuration: Histogram<'status'>;
  readonly stopDuration: Histogram<'status'>;
  readonly proxyAddDuration: Histogram<'status'>;
  readonly proxyDeleteDuration: Histogram<'status'>;
  readonly authFailures: Counter<'reason'>;
  readonly rateLimitTrips: Counter<'bucket'>;
  readonly startupDuration: Gauge;

  constructor(db: Kysely<Database>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tshub_process_' });
    this.requestDuration = new Histogram({
      name: 'jupyterhub_request_duration_seconds',
      help: 'Request duration for all HTTP requests',
      labelNames: ['code', 'method', 'handler'],
      registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.spawnDuration = new Histogram({
      name: 'jupyterhub_server_spawn_duration_seconds',
      help: 'Time taken for server spawning operation',
      labelNames: ['status'],
      registers,
      buckets: [0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 180, 300, 600, Infinity],
    });
    this.stopDuration = new Histogram({
      name: 'jupyterhub_server_stop_seconds',
      help: 'Time taken for server stopping operation',
      labelNames: ['status'],
      registers,
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, Infinity],
    });
    this.proxyAddDuration = new Histogram({
      name: 'jupyterhub_proxy_add_duration_seconds',
      help: 'Duration for adding user routes to proxy',
      labelNames: ['status'],
      registers,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    });
    this.proxyDeleteDuration = new Histogram({
      name: 'jupyterhub_proxy_delete_duration_seconds',
      help: 'Duration for deleting user routes from proxy',
      labelNames: ['status'],
      registers,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
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
    this.startupDuration = new Gauge({
      name: 'jupyterhub_hub_startup_duration_seconds',
      help: 'Time taken for the hub to start',
      registers,
    });

    const count = async (q: Promise<{ n: number | string | bigint }>) => Number((await q).n);
    new Gauge({
      name: 'jupyterhub_total_users',
      help: 'Total number of users',
      registers,
      async collect() {
        this.set(
          await count(
            db
              .selectFrom('users')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow(),
          ),
        );
      },
    });
    new Gauge({
      name: 'jupyterhub_active_users',
      help: 'Number of users who were active in the given time period',
      labelNames: ['period'],
      registers,
      async collect() {
        for (const [period, days] of [
          ['24h', 1],
          ['7d', 7],
          ['30d', 30],
        ] as const) {
          const since = new Date(Date.now() - days * DAY_MS).toISOString();
          this.set(
            { period },
            await count(
              db
                .selectFrom('users')
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .where('last_activity', '>=', since)
                .executeTakeFirstOrThrow(),
            ),
          );
        }
      },
    });
    new Gauge({
      name: 'jupyterhub_running_servers',
      help: 'The number of user servers currently running',
      registers,
      async collect() {
        this.set(
          await count(
            db
              .selectFrom('spawners')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('server_url', 'is not', null)
              .where('pending', 'is', null)
              .executeTakeFirstOrThrow(),
          ),
        );
      },
    });
    new Gauge({
      name: 'tshub_active_tokens',
      help: 'API tokens that currently work, by kind (api, server, oauth, config)',
      labelNames: ['kind'],
      registers,
      async collect() {
        const now = new Date().toISOString();
        const rows = await db
          .selectFrom('api_tokens')
          .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
          .where('revoked_at', 'is', null)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .groupBy('kind')
          .execute();
        this.reset();
        for (const r of rows) this.set({ kind: r.kind }, Number(r.n));
      },
    });
  }
}
