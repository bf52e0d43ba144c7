import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/index.ts';
import { CLIENTS_KEPT, type ClientCount, type TokenUsageBatch } from './usage-collector.ts';

export const RETENTION_DAYS = 90;
export const TOP_ROUTES = 10;
// A statement's parameter list has a limit (SQLite: 32,766): ids are looked up in slices.
const SLICE = 500;

type K = Kysely<Database> | Transaction<Database>;

/** The ids among `ids` that are still tokens: usage of a token deleted meanwhile is dropped, not an error. */
async function existing(k: K, ids: number[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (let i = 0; i < ids.length; i += SLICE) {
    const rows = await k
      .selectFrom('api_tokens')
      .select('id')
      .where('id', 'in', ids.slice(i, i + SLICE))
      .execute();
    for (const r of rows) out.add(r.id);
  }
  return out;
}

async function addClients(k: K, tokenId: number, kind: 'ip' | 'agent', clients: Map<string, ClientCount>) {
  if (clients.size === 0) return;
  await k
    .insertInto('token_usage_clients')
    .values(
      [...clients].map(([value, c]) => ({
        token_id: tokenId,
        kind,
        value,
        first_seen: c.first,
        last_seen: c.last,
        requests: c.requests,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['token_id', 'kind', 'value']).doUpdateSet((eb) => ({
        last_seen: eb.ref('excluded.last_seen'),
        requests: eb('token_usage_clients.requests', '+', eb.ref('excluded.requests')),
      })),
    )
    .execute();
  // Only the last CLIENTS_KEPT distinct values stay.
  const keep = k
    .selectFrom('token_usage_clients')
    .select('value')
    .where('token_id', '=', tokenId)
    .where('kind', '=', kind)
    .orderBy('last_seen', 'desc')
    .orderBy('value')
    .limit(CLIENTS_KEPT);
  await k
    .deleteFrom('token_usage_clients')
    .where('token_id', '=', tokenId)
    .where('kind', '=', kind)
    .where('value', 'not in', (eb) => eb.selectFrom(keep.as('kept')).select('kept.value'))
    .execute();
}

async function addToken(k: K, tokenId: number, t: TokenUsageBatch): Promise<void> {
  for (const [day, d] of t.days) {
    await k
      .insertInto('token_usage_days')
      .values({ token_id: tokenId, day, requests: d.requests, errors: d.errors })
      .onConflict((oc) =>
        oc.columns(['token_id', 'day']).doUpdateSet((eb) => ({
          requests: eb('token_usage_days.requests', '+', eb.ref('excluded.requests')),
          errors: eb('token_usage_days.errors', '+', eb.ref('excluded.errors')),
        })),
      )
      .execute();
    if (d.routes.size === 0) continue;
    await k
      .insertInto('token_usage_routes')
      .values([...d.routes].map(([route, n]) => ({ token_id: tokenId, day, route, requests: n })))
      .onConflict((oc) =>
        oc.columns(['token_id', 'day', 'route']).doUpdateSet((eb) => ({
          requests: eb('token_usage_routes.requests', '+', eb.ref('excluded.requests')),
        })),
      )
      .execute();
  }
  await addClients(k, tokenId, 'ip', t.ips);
  await addClients(k, tokenId, 'agent', t.agents);
}

/** Adds a batch to the stored counts, in one transaction. */
export async function writeUsage(k: Kysely<Database>, batch: Map<number, TokenUsageBatch>): Promise<void> {
  if (batch.size === 0) return;
  await k.transaction().execute(async (trx) => {
    const live = await existing(trx, [...batch.keys()]);
    for (const [id, t] of batch) if (live.has(id)) await addToken(trx, id, t);
  });
}

/** The first day kept: days before it are dropped. */
export function firstKeptDay(now: Date): string {
  return new Date(now.getTime() - (RETENTION_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
}

/** Drops the days past the retention (clients stay: there are at most CLIENTS_KEPT of each per token). */
export async function pruneUsage(k: Kysely<Database>, now: Date): Promise<void> {
  const first = firstKeptDay(now);
  await k.deleteFrom('token_usage_days').where('day', '<', first).execute();
  await k.deleteFrom('token_usage_routes').where('day', '<', first).execute();
}

export interface ClientModel {
  first_seen: string;
  last_seen: string;
  requests: number;
}

export interface TokenUsage {
  retention_days: number;
  ips: (ClientModel & { ip: string })[];
  user_agents: (ClientModel & { user_agent: string })[];
  days: { day: string; requests: number; errors: number }[];
  top_routes: { route: string; requests: number }[];
}

/** A token's stored usage: its last clients (most recent first), its days (newest first), its top routes. */
export async function readUsage(k: Kysely<Database>, tokenId: number, now: Date): Promise<TokenUsage> {
  const first = firstKeptDay(now);
  const clients = await k
    .selectFrom('token_usage_clients')
    .select(['kind', 'value', 'first_seen', 'last_seen', 'requests'])
    .where('token_id', '=', tokenId)
    .orderBy('last_seen', 'desc')
    .orderBy('value')
    .execute();
  const days = await k
    .selectFrom('token_usage_days')
    .select(['day', 'requests', 'errors'])
    .where('token_id', '=', tokenId)
    .where('day', '>=', first)
    .orderBy('day', 'desc')
    .execute();
  const routes = await k
    .selectFrom('token_usage_routes')
    .select(['route', sql<number>`sum(requests)`.as('requests')])
    .where('token_id', '=', tokenId)
    .where('day', '>=', first)
    .groupBy('route')
    .orderBy(sql`sum(requests)`, 'desc')
    .orderBy('route')
    .limit(TOP_ROUTES)
    .execute();
  const client = (c: (typeof clients)[number]): ClientModel => ({
    first_seen: c.first_seen,
    last_seen: c.last_seen,
    requests: Number(c.requests),
  });
  return {
    retention_days: RETENTION_DAYS,
    ips: clients.filter((c) => c.kind === 'ip').map((c) => ({ ip: c.value, ...client(c) })),
    user_agents: clients.filter((c) => c.kind === 'agent').map((c) => ({ user_agent: c.value, ...client(c) })),
    days: days.map((d) => ({ day: d.day, requests: Number(d.requests), errors: Number(d.errors) })),
    top_routes: routes.map((r) => ({ route: r.route, requests: Number(r.requests) })),
  };
}
