import type { Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/index.ts';
import { ACTIVE_PERIODS } from './upstream.ts';

const DAY_MS = 86_400_000;

const count = async (q: Promise<{ n: number | string | bigint }>) => Number((await q).n);

/**
 * The gauges read from the database when scraped: always current, and no bookkeeping to drift (JupyterHub
 * counts users and servers as they come and go, and active users once an hour).
 */
export function registerGauges(db: Kysely<Database>, registry: Registry, prefix: string): void {
  const registers = [registry];
  new Gauge({
    name: `${prefix}total_users`,
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
    name: `${prefix}active_users`,
    help: 'Number of users who were active in the given time period',
    labelNames: ['period'],
    registers,
    async collect() {
      // Every period from the same moment, as upstream.
      const now = Date.now();
      for (const [period, days] of ACTIVE_PERIODS) {
        const since = new Date(now - days * DAY_MS).toISOString();
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
    name: `${prefix}running_servers`,
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
