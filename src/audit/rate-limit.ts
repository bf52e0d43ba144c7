import type { RateLimitTrip } from '../ratelimit/limiter.ts';
import type { AuditEvent } from './event.ts';

/** The audit event of a rate-limit trip: `onTrip: (t) => ctx.audit.record(rateLimitEvent(t))`. */
export function rateLimitEvent(t: RateLimitTrip): AuditEvent {
  return {
    actor: t.principal
      ? { kind: t.principal.kind, name: t.principal.name, token_id: t.tokenId === null ? null : `a${t.tokenId}` }
      : { kind: 'anonymous', name: null, token_id: null },
    ip: t.ip,
    action: 'ratelimit.trip',
    target: t.route ? { kind: 'route', name: `${t.method} ${t.route}` } : null,
    outcome: 'denied',
    reason: `bucket ${t.bucket}; retry after ${t.retryAfter} s`,
  };
}
