import { notFound } from '../../errors/index.ts';
import { deleteGroup as deleteGroupRow, findGroup } from '../../repo/groups.ts';
import type { Caller, CommandDeps } from '../deps.ts';

/** DELETE /groups/{name}: the group goes with its memberships and role grants (by cascade). */
export async function deleteGroup(deps: CommandDeps, caller: Caller, input: { name: string }): Promise<void> {
  const group = await findGroup(deps.k, input.name);
  if (!group) throw notFound();
  await deps.k.transaction().execute((trx) => deleteGroupRow(trx, group.id));
  deps.permissions.invalidate();
  deps.log.info({ actor: caller.principal?.name ?? null, group: group.name }, 'deleted group');
  deps.audit.record({ ...caller.origin, action: 'group.delete', target: { kind: 'group', name: group.name } });
}
