import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { noSuchShare } from '../../errors/index.ts';
import { findSpawner } from '../../repo/spawners.ts';
import { findUser } from '../../repo/users.ts';
import { findShare, scopesOn, type ShareView } from '../../shares/repo.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { shareLabel } from './rules.ts';
import { findTarget, type ResolvedTarget, targetKey } from './target.ts';

/** After a share lost scopes (or went): who may do what changed; the log and audit trail say so. */
export function recordRevoke(
  deps: CommandDeps,
  caller: Caller,
  to: { kind: 'user' | 'group'; name: string },
  owner: string,
  server: string,
  scopes: string[],
): void {
  deps.permissions.invalidate();
  const label = shareLabel(to.kind, to.name, owner, server);
  deps.log.info({ actor: caller.principal?.name ?? null, share: label, scopes }, 'revoked a share');
  deps.audit.record({
    ...caller.origin,
    action: 'share.revoke',
    target: { kind: 'share', name: label, owner },
    reason: scopes.join(' '),
  });
}

/**
 * DELETE /users/{name}/shared/{owner}/{server} and /groups/{name}/shared/...: the user or group gives up
 * (or is stripped of) one share. 404 with upstream's message when there is no such share.
 */
export async function revokeShare(deps: CommandDeps, caller: Caller, input: ShareAddress): Promise<void> {
  const share = await lookupShare(deps.k, input);
  await deps.k.deleteFrom('shares').where('id', '=', share.id).execute();
  recordRevoke(deps, caller, input.to, input.owner, input.server, scopesOn(share));
}

/** One share, named by who it is with and the server: `/users/{name}/shared/{owner}/{server}`. */
export interface ShareAddress {
  to: { kind: 'user' | 'group'; name: string };
  owner: string;
  server: string;
}

/** The share at `a`, or 404 with upstream's message. */
export async function lookupShare(db: Kysely<Database>, a: ShareAddress): Promise<ShareView> {
  const { kind, name } = a.to;
  const to: ResolvedTarget | null = await findTarget(db, { [kind]: name });
  const owner = await findUser(db, a.owner);
  const spawner = owner ? await findSpawner(db, owner.id, a.server) : undefined;
  const share = to && spawner ? await findShare(db, spawner.id, targetKey(to)) : undefined;
  if (!share) throw noSuchShare(kind, name, a.owner, a.server);
  return share;
}
