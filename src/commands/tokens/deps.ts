import type { TokenInsertBatch } from '../../tokens/insert-batch.ts';
import type { IssueRequest } from '../../tokens/issue.ts';
import type { Caller, CommandDeps } from '../deps.ts';

export interface TokenCommandDeps extends CommandDeps {
  /** The hub's batch of concurrent token inserts (built in app.ts); null in a one-off process (`tshub token`). */
  tokenInserts: TokenInsertBatch | null;
}

/** Who the log line names: the acting principal, else the audit actor (the hub, the command line). */
export function loggedActor(caller: Caller): string {
  return caller.principal?.name ?? caller.origin.actor.name ?? caller.origin.actor.kind;
}

/** A personal API token of the user: the only kind the token commands make. */
export function personalToken(userId: number, fields: Omit<IssueRequest, 'owner' | 'kind'>): IssueRequest {
  return { owner: { kind: 'user', id: userId }, kind: 'api', ...fields };
}
