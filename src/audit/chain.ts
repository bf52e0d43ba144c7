import { createHash } from 'node:crypto';
import type { AuditRow } from '../db/index.ts';

/** The prev_hash of the first record ever written. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 over a fixed-order JSON array of every field but the hash itself. An array (not an object)
 * leaves no key order to disagree on, and JSON escaping keeps field boundaries unambiguous.
 */
export function recordHash(r: Omit<AuditRow, 'hash'>): string {
  const canonical = JSON.stringify([
    r.id,
    r.time,
    r.actor_kind,
    r.actor_name,
    r.actor_token_id,
    r.action,
    r.target_kind,
    r.target_name,
    r.target_owner,
    r.outcome,
    r.reason,
    r.ip,
    r.user_agent,
    r.request_id,
    r.prev_hash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
