import { notFound } from '../../errors/index.ts';
import { addMembers, findGroup, removeMembers } from '../../repo/groups.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { memberIds, membersReason } from './rules.ts';

/** POST/DELETE /groups/{name}/users: members change what they may do through the group's roles. */
export async function changeMembers(
  deps: CommandDeps,
  caller: Caller,
  input: { name: string; change: 'add' | 'remove'; users: string[] },
): Promise<void> {
  const group = await findGroup(deps.k, input.name);
  if (!group) throw notFound();
  const ids = await memberIds(deps.k, input.users);
  const adding = input.change === 'add';
  await deps.k.transaction().execute((trx) => (adding ? addMembers : removeMembers)(trx, group.id, ids));
  deps.permissions.invalidate();
  deps.log.info(
    { actor: caller.principal?.name ?? null, group: group.name, users: input.users },
    adding ? 'added group members' : 'removed group members',
  );
  deps.audit.record({
    ...caller.origin,
    action: adding ? 'group.add_members' : 'group.remove_members',
    target: { kind: 'group', name: group.name },
    reason: membersReason(input.users),
  });
}
