import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type AuditOrigin, type AuditSink, originOf, SYSTEM } from '../audit/index.ts';
import type { Principal } from '../auth/principal.ts';
import type { Config } from '../config/index.ts';
import type { Database, DbKind } from '../db/index.ts';
import type { RefusalSink } from '../proxy/types.ts';

/**
 * What every command needs. The hub builds one set in app.ts; a CLI command builds its own for its one
 * run. A command that needs more (the server runtime) names it in its own deps type, extending this one.
 */
export interface CommandDeps {
  k: Kysely<Database>;
  dbKind: DbKind;
  config: Config;
  log: Logger;
  audit: AuditSink;
  /**
   * Everything cached from permissions (token rows, principals, owners' scopes, roles): a command that
   * changes who may do what calls `invalidate()` once its transaction has committed.
   */
  permissions: { invalidate(): void };
  /**
   * The hub's pusher to `tshub proxy` (built in app.ts): a command that makes tokens unusable tells it, so
   * servers behind the proxy stop accepting them at once. Absent in a one-off process (the CLI), whose
   * changes the hub's next timed sweep finds.
   */
  refusals?: RefusalSink;
}

/** Who asks for a command: the audit log's origin, and the acting principal where a request made the call. */
export interface Caller {
  origin: AuditOrigin;
  /** null for the hub itself, start-up and the CLI: no scope or admin rule applies to them. */
  principal: Principal | null;
}

/** The hub acting on its own (start-up, the poller, the CLI). */
export const SYSTEM_CALLER: Caller = { origin: SYSTEM, principal: null };

export function callerOf(req: FastifyRequest): Caller {
  return { origin: originOf(req), principal: req.principal ?? null };
}
