import type { SpawnerRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';

export function serverUrl(baseUrl: string, user: string, server: string): string {
  return `${baseUrl}user/${encodeURIComponent(user)}/${server ? `${encodeURIComponent(server)}/` : ''}`;
}

export function progressUrl(baseUrl: string, user: string, server: string): string {
  const tail = server ? `servers/${encodeURIComponent(server)}/progress` : 'server/progress';
  return `${baseUrl}hub/api/users/${encodeURIComponent(user)}/${tail}`;
}

/** Upstream's spawner.active: running, or a start or stop in flight. */
export function serverActive(row: Pick<SpawnerRow, 'server_url' | 'pending'>): boolean {
  return row.server_url !== null || row.pending !== null;
}

/** Upstream's spawner.ready: running and no transition in flight. */
export function serverReady(row: Pick<SpawnerRow, 'server_url' | 'pending'>): boolean {
  return row.server_url !== null && row.pending === null;
}

/**
 * JupyterHub's Server model; `state` only for callers holding admin:server_state. Keys in the order of
 * ServerModel (src/api/schemas.ts), so JSON.stringify writes the bytes the schema's serializer would.
 */
export function presentServer(baseUrl: string, user: string, row: SpawnerRow, withState: boolean) {
  const model: Record<string, unknown> = {
    name: row.name,
    full_name: `${user}/${row.name}`,
    display_name: row.display_name ?? row.name,
    ready: serverReady(row),
    stopped: !serverActive(row),
    pending: row.pending,
    url: serverUrl(baseUrl, user, row.name),
    progress_url: progressUrl(baseUrl, user, row.name),
    full_url: null,
    full_progress_url: null,
    started: row.started,
    last_activity: row.last_activity,
    user_options: parseJson<Record<string, unknown>>(row.user_options, {}),
  };
  if (withState) model.state = parseJson<Record<string, unknown>>(row.state, {});
  return model;
}
