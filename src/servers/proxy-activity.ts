import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/index.ts';
import { findSpawner, touchSpawnerActivity } from '../repo/spawners.ts';
import { findUser, touchUserActivity } from '../repo/users.ts';

interface RouteSource {
  routes(): Promise<Record<string, { data: Record<string, unknown> }>>;
}

/**
 * Copies the proxy's per-route traffic times into users' and servers' last_activity, as JupyterHub's
 * last_activity_interval does: browsing a notebook through the proxy counts as activity even when the
 * server does not report it itself, so the idle culler does not stop servers that are in use.
 */
export async function syncProxyActivity(db: Kysely<Database>, proxy: RouteSource): Promise<number> {
  let updated = 0;
  for (const route of Object.values(await proxy.routes())) {
    const { user, server_name: server, last_activity: seen } = route.data;
    if (typeof user !== 'string' || typeof server !== 'string' || typeof seen !== 'string') continue;
    const when = new Date(seen);
    if (Number.isNaN(when.getTime())) continue;
    const iso = when.toISOString();
    const row = await findUser(db, user);
    if (!row) continue;
    await touchUserActivity(db, row.id, iso);
    const spawner = await findSpawner(db, row.id, server);
    if (spawner) await touchSpawnerActivity(db, spawner.id, iso);
    updated++;
  }
  return updated;
}

export function startProxyActivitySync(
  db: Kysely<Database>,
  proxy: RouteSource,
  intervalSeconds: number,
  log: Logger,
): () => void {
  const timer = setInterval(() => {
    syncProxyActivity(db, proxy).catch((err: unknown) =>
      log.warn({ err: (err as Error).message }, 'could not read activity from the proxy'),
    );
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
