import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { WantedRoute } from '../proxy/types.ts';
import { activeSpawners } from '../repo/spawners.ts';
import { serverPrefix } from './names.ts';

/**
 * Proxy routes every running server should have, from the database alone: the proxy's route checker
 * reads them without needing the server manager (which itself writes routes through the proxy).
 */
export async function serverRoutes(k: Kysely<Database>, baseUrl: string): Promise<Record<string, WantedRoute>> {
  const out: Record<string, WantedRoute> = {};
  for (const row of await activeSpawners(k)) {
    if (row.server_url && row.pending === null) {
      out[serverPrefix(baseUrl, row.user_name, row.name)] = {
        target: row.server_url,
        data: { user: row.user_name, server_name: row.name },
      };
    }
  }
  return out;
}
