import type { GroupRow } from '../../db/index.ts';
import { groupExists } from '../../errors/index.ts';
import { addMembers, findGroup, insertGroup } from '../../repo/groups.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { checkGroupName, memberIds, membersReason } from './rules.ts';

/**
 * Creates groups (POST /groups, POST /groups/{name}), each with the same initial members, in one
 * transaction: all or none. 409 if one exists; 400 for a bad name or an unknown member.
 */
export async function createGroups(
  deps: CommandDeps,
  caller: Caller,
  input: { names: string[]; users?: string[] },
): Promise<GroupRow[]> {
  const names = [...new Set(input.names)];
  names.forEach(checkGroupName);
  for (const name of names) if (await findGroup(deps.k, name)) throw groupExists(name);
  const members = await memberIds(deps.k, input.users ?? []);
  const rows = await deps.k.transaction().execute(async (trx) => {
    const created = [];
    for (const name of names) {
      const g = await insertGroup(trx, name);
      await addMembers(trx, g.id, members);
      created.push(g);
    }
    return created;
  });
  deps.permissions.invalidate();
  deps.log.info({ actor: caller.principal?.name ?? null, groups: names }, 'created groups');
  for (const name of names)
    deps.audit.record({
      ...caller.origin,
      action: 'group.create',
      target: { kind: 'group', name },
      reason: membersReason(input.users),
    });
  return rows;
}
