import { noSuchShare } from '../../errors/index.ts';
import { findSpawner } from '../../repo/spawners.ts';
import { findUser } from '../../repo/users.ts';
import { findShare } from '../../shares/repo.ts';
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
export async function revokeShare(
  deps: CommandDeps,
  caller: Caller,
  input: { to: { kind: 'user' | 'group'; name: string }; owner: string; server: string },
): Promise<void> {
  const { kind, name } = input.to;
  const missing = noSuchShare(kind, name, input.owner, input.server);
  const to: ResolvedTarget | null = await findTarget(deps.k, { [kind]: name });
  const owner = await findUser(deps.k, input.owner);
  const spawner = owner ? await findSpawner(deps.k, owner.id, input.server) : undefined;
  if (!to || !spawner) throw missing;
  const share = await findShare(deps.k, spawner.id, targetKey(to));
  if (!share) throw missing;
  await deps.k.deleteFrom('shares').where('id', '=', share.id).execute();
  recordRevoke(deps, caller, to, input.owner, input.server, JSON.parse(share.scopes) as string[]);
}
