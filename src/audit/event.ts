/** Who did it: a person, a service, a single-user server (its token), nobody known, or the hub itself. */
export type ActorKind = 'user' | 'service' | 'server' | 'anonymous' | 'system';
export type Outcome = 'success' | 'failure' | 'denied';

export interface AuditActor {
  kind: ActorKind;
  name: string | null;
  /** `a<id>` of the token presented; never the token itself. */
  token_id: string | null;
}

export interface AuditTarget {
  kind: string;
  name: string;
  /** The user the target belongs to (a token's or server's owner, a user itself), so they can read the event. */
  owner?: string | null;
  /** The owner by user id when the caller has no name at hand; the writer looks it up off the request path. */
  ownerUserId?: number | null;
}

/** Where a request came from: what every event made while serving it carries. */
export interface AuditOrigin {
  actor: AuditActor;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
}

export interface AuditEvent extends Partial<AuditOrigin> {
  /** Dotted name: `token.create`, `login.failure`, `server.stop`, ... */
  action: string;
  target?: AuditTarget | null;
  outcome?: Outcome;
  reason?: string | null;
  /** Record this (action, target) at most once ever, e.g. a token's expiry noticed at each presentation. */
  once?: boolean;
}

export const SYSTEM: AuditOrigin = {
  actor: { kind: 'system', name: null, token_id: null },
  ip: null,
  user_agent: null,
  request_id: null,
};

/** What shared code needs to report an event (a no-op sink where no hub is running, e.g. CLI commands). */
export interface AuditSink {
  record(event: AuditEvent): void;
}

export const tokenTarget = (id: number, owner: string | null): AuditTarget => ({
  kind: 'token',
  name: `a${id}`,
  owner,
});
export const userTarget = (name: string): AuditTarget => ({ kind: 'user', name, owner: name });
export const serverTarget = (user: string, server: string): AuditTarget => ({
  kind: 'server',
  name: `${user}/${server}`,
  owner: user,
});
