import { sql, type Kysely, type Transaction } from 'kysely';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/index.ts';
import { CLIENTS_KEPT, type ClientCount, type TokenUsageBatch } from './usage-collector.ts';

export const RETENTION_DAYS = 90;
export const TOP_ROUTES = 10;
// A statement's parameter list has a limit (SQLite: 32,766): ids are looked up in slices.
const SLICE = 500;

type K = Kysely<Database> | Transaction<Database>;

// The writer runs these for every token used since its last flush, each row on its own: compiled once
// (src/db/compiled-query.ts) rather than built for each token.
const liveIds = compiledQuery(
  (db, a: { ids: number[] }) => db.selectFrom('api_tokens').select('id').where('id', 'in', a.ids),
  { lists: ['ids'] },
);
const addClient = compiledQuery(
  (db, a: { tokenId: number; kind: string; value: string; first: string; last: string; requests: number }) =>
    db
      .insertInto('token_usage_clients')
      .values({
        token_id: a.tokenId,
        kind: a.kind,
        value: a.value,
        first_seen: a.first,
        last_seen: a.last,
        requests: a.requests,
      })
      .onConflict((oc) =>
        oc.columns(['token_id', 'kind', 'value']).doUpdateSet((eb) => ({
          last_seen: eb.ref('excluded.last_seen'),
          requests: eb('token_usage_clients.requests', '+', eb.ref('excluded.requests')),
        })),
      ),
);
// Only the last CLIENTS_KEPT distinct values stay.
const pruneClients = compiledQuery((db, a: { tokenId: number; kind: string; kept: number }) =>
  db
    .deleteFrom('token_usage_clients')
    .where('token_id', '=', a.tokenId)
    .where('kind', '=', a.kind)
    .where('value', 'not in', (eb) =>
      eb
        .selectFrom(
          db
            .selectFrom('token_usage_clients')
            .select('value')
            .where('token_id', '=', a.tokenId)
            .where('kind', '=', a.kind)
            .orderBy('last_seen', 'desc')
            .orderBy('value')
            .limit(a.kept)
            .as('kept'),
        )
        .select('kept.value'),
    ),
);
const addDay = compiledQuery((db, a: { tokenId: number; day: string; requests: number; errors: number }) =>
  db
    .insertInto('token_usage_days')
    .values({ token_id: a.tokenId, day: a.day, requests: a.requests, errors: a.errors })
    .onConflict((oc) =>
      oc.columns(['token_id', 'day']).doUpdateSet((eb) => ({
        requests: eb('token_usage_days.requests', '+', eb.ref('excluded.requests')),
        errors: eb('token_usage_days.errors', '+', eb.ref('excluded.errors')),
      })),
    ),
);
const addRoute = compiledQuery((db, a: { tokenId: number; day: string; route: string; requests: number }) =>
  db
    .insertInto('token_usage_routes')
    .values({ token_id: a.tokenId, day: a.day, route: a.route, requests: a.requests })
    .onConflict((oc) =>
      oc.columns(['token_id', 'day', 'route']).doUpdateSet((eb) => ({
        requests: eb('token_usage_routes.requests', '+', eb.ref('excluded.requests')),
      })),
    ),
);

/** The ids among `ids` that are still tokens: usage of a token deleted meanwhile is dropped, not an error. */
async function existing(k: K, ids: number[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (let i = 0; i < ids.length; i += SLICE) {
    for (const r of (await liveIds.execute(k, { ids: ids.slice(i, i + SLICE) })).rows) out.add(r.id);
  }
  return out;
}

async function addClients(k: K, tokenId: number, kind: 'ip' | 'agent', clients: Map<string, ClientCount>) {
  if (clients.size === 0) return;
  for (const [value, c] of clients)
    await addClient.execute(k, { tokenId, kind, value, first: c.first, last: c.last, requests: c.requests });
  await pruneClients.execute(k, { tokenId, kind, kept: CLIENTS_KEPT });
}

async function addToken(k: K, tokenId: number, t: TokenUsageBatch): Promise<void> {
  for (const [day, d] of t.days) {
    await addDay.execute(k, { tokenId, day, requests: d.requests, errors: d.errors });
    for (const [route, n] of d.routes) await addRoute.execute(k, { tokenId, day, route, requests: n });
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
