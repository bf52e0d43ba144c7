import type { TokenInsertBatch } from '../../tokens/insert-batch.ts';
import type { IssueRequest } from '../../tokens/issue.ts';
import type { Caller, CommandDeps } from '../deps.ts';

export interface TokenCommandDeps extends CommandDeps {
  /** The hub's batch of concurrent token inserts (built in app.ts); null in a one-off process (`tshub token`). */
  tokenInserts: TokenInsertBatch | null;
}

/** What a command's log line says of its caller: who (the principal, else the audit actor) and, for a request, its id. */
export function loggedCaller(caller: Caller): { actor: string; reqId?: string } {
  const actor = caller.principal?.name ?? caller.origin.actor.name ?? caller.origin.actor.kind;
  return caller.origin.request_id === null ? { actor } : { actor, reqId: caller.origin.request_id };
}

/** A personal API token of the user: the only kind the token commands make. */
export function personalToken(userId: number, fields: Omit<IssueRequest, 'owner' | 'kind'>): IssueRequest {
  return { owner: { kind: 'user', id: userId }, kind: 'api', ...fields };
}
