import type { AuditRow } from '../db/index.ts';

/** One record as the API and `tshub audit export` give it: every stored field, hashes included. */
export function presentAudit(r: AuditRow) {
  return {
    id: r.id,
    time: r.time,
    actor: { kind: r.actor_kind, name: r.actor_name, token_id: r.actor_token_id },
    action: r.action,
    target: r.target_kind === null ? null : { kind: r.target_kind, name: r.target_name, owner: r.target_owner },
    outcome: r.outcome,
    reason: r.reason,
    ip: r.ip,
    user_agent: r.user_agent,
    request_id: r.request_id,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}
