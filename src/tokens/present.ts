import type { TokenRow } from '../db/index.ts';

/** JupyterHub's Token model plus tshub's added keys; `scopes` are the effective ones, computed by the caller. */
export function presentToken(row: TokenRow, ownerName: string, scopes: string[], clientDescription: string) {
  return {
    id: `a${row.id}`,
    kind: 'api_token' as const,
    ...(row.user_id !== null ? { user: ownerName } : { service: ownerName }),
    roles: [] as string[],
    scopes,
    note: row.note,
    created: row.created,
    expires_at: row.expires_at,
    last_activity: row.last_activity,
    session_id: row.session_id,
    oauth_client: clientDescription,
    prefix: row.prefix,
    last_used_ip: row.last_used_ip,
    revoked_at: row.revoked_at,
    rotated_from: row.rotated_from === null ? null : `a${row.rotated_from}`,
  };
}

/** `a<int>` ids as JupyterHub exposes them; anything else is "no such token". */
export function parseTokenId(id: string): number | null {
  const m = /^a([1-9]\d{0,15})$/.exec(id);
  return m ? Number(m[1]) : null;
}
