import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import type { TokenRow } from '../db/index.ts';
import type { AuthFailure } from '../errors/index.ts';
import { tokenTarget, type AuditSink, type AuditTarget } from './event.ts';
import { originOf } from './origin.ts';

const MAX_TRACKED = 100_000;

function targetOf(row: TokenRow, p: Principal | null): AuditTarget {
  if (p?.kind === 'user') return tokenTarget(row.id, p.name);
  return { ...tokenTarget(row.id, null), ownerUserId: row.user_id };
}

/**
 * The audit events of authentication: a token used from an IP it was not last used from, and a
 * revoked, expired or rotated-out token presented. Runs on every API request, so it only compares
 * in memory and queues; the last IP per token starts from the stored `last_used_ip`.
 */
export class TokenUseAudit {
  readonly #sink: AuditSink;
  readonly #lastIp = new Map<number, string | null>();

  constructor(sink: AuditSink) {
    this.#sink = sink;
  }

  /** `ip`: the request's client address, as `req.ip` gives it. */
  used(req: FastifyRequest, ip: string | null, row: TokenRow, p: Principal): void {
    // A server's token is used from wherever its server runs; its owner's own tokens are what matter.
    if (row.kind === 'server') return;
    const before = this.#lastIp.has(row.id) ? this.#lastIp.get(row.id)! : row.last_used_ip;
    if (ip === before) return;
    if (this.#lastIp.size >= MAX_TRACKED) this.#lastIp.clear();
    this.#lastIp.set(row.id, ip);
    this.#sink.record({
      ...originOf(req),
      action: 'token.new_ip',
      target: targetOf(row, p),
      reason: before === null ? 'first use' : `last used from ${before}`,
    });
  }

  refused(req: FastifyRequest, row: TokenRow | null, reason: AuthFailure): void {
    if (!row) return;
    const origin = originOf(req);
    const target = targetOf(row, null);
    if (reason === 'token_expired')
      this.#sink.record({ action: 'token.expire', target, reason: `expired at ${row.expires_at}`, once: true });
    this.#sink.record({ ...origin, action: 'token.presented', target, outcome: 'denied', reason });
  }
}
