import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import type { AuditActor, AuditOrigin } from './event.ts';

const MAX_USER_AGENT = 512;

export function actorOf(p: Principal | null): AuditActor {
  if (!p) return { kind: 'anonymous', name: null, token_id: null };
  // A single-user server acts with its own token; naming it as such tells it apart from its owner.
  const kind = p.token?.kind === 'server' ? 'server' : p.kind;
  return { kind, name: p.name, token_id: p.token ? `a${p.token.id}` : null };
}

/** The request's actor (its authenticated principal, or `actor` when the handler knows better), IP, agent and id. */
export function originOf(req: FastifyRequest, actor?: AuditActor): AuditOrigin {
  const ua = req.headers['user-agent'];
  return {
    actor: actor ?? actorOf(req.principal ?? null),
    ip: req.ip ?? null,
    user_agent: typeof ua === 'string' ? ua.slice(0, MAX_USER_AGENT) : null,
    request_id: String(req.id),
  };
}

export const userActor = (name: string): AuditActor => ({ kind: 'user', name, token_id: null });
