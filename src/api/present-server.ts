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

/** `path` on the public_url's host, or null when no public_url is configured (as upstream). */
export function publicFullUrl(publicUrl: string, path: string): string | null {
  return publicUrl ? new URL(path, publicUrl).href : null;
}

/**
 * JupyterHub's Server model; `state` only for callers holding admin:server_state. Keys in the order of
 * ServerModel (src/api/schemas.ts), so JSON.stringify writes the bytes the schema's serializer would.
 * `publicUrl` is the config's public_url ('' = unknown): full_url and full_progress_url stay null without it.
 */
export function presentServer(baseUrl: string, user: string, row: SpawnerRow, withState: boolean, publicUrl = '') {
  const url = serverUrl(baseUrl, user, row.name);
  const progress = progressUrl(baseUrl, user, row.name);
  const model: Record<string, unknown> = {
    name: row.name,
    full_name: `${user}/${row.name}`,
    display_name: row.display_name ?? row.name,
    ready: serverReady(row),
    stopped: !serverActive(row),
    pending: row.pending,
    url,
    progress_url: progress,
    full_url: publicFullUrl(publicUrl, url),
    full_progress_url: publicFullUrl(publicUrl, progress),
    started: row.started,
    last_activity: row.last_activity,
    user_options: parseJson<Record<string, unknown>>(row.user_options, {}),
  };
  if (withState) model.state = parseJson<Record<string, unknown>>(row.state, {});
  return model;
}
