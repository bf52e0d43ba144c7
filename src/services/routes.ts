import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { WantedRoute } from '../proxy/types.ts';
import { allServices } from '../repo/services.ts';
import { routeTarget, servicePrefix } from './spec.ts';

/** The proxy routes services need: `/services/<name>/` for every service with a url (config or API). */
export async function serviceRoutes(k: Kysely<Database>, baseUrl: string): Promise<Record<string, WantedRoute>> {
  const out: Record<string, WantedRoute> = {};
  for (const s of await allServices(k)) {
    if (s.url) out[servicePrefix(baseUrl, s.name)] = { target: routeTarget(s.url), data: { service: s.name } };
  }
  return out;
}
