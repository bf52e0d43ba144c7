import { validateUsername } from '../../auth/usernames.ts';
import type { UserRow } from '../../db/index.ts';
import { findGroup } from '../../repo/groups.ts';
import { groupsOfUsers } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { createGroups } from './create.ts';
import { changeMembers } from './members.ts';

/**
 * `manage_groups`: the identity provider's groups become the user's hub groups, as upstream's
 * sync_groups: joined (creating a group the hub does not have yet), and left when the provider no
 * longer lists them. Each change goes through the group commands, so each is audited as an admin's
 * would be. A name no group can have is skipped with a warning rather than failing the login.
 */
export async function syncGroupsFromIdp(
  deps: CommandDeps,
  caller: Caller,
  input: { user: UserRow; groups: string[] },
): Promise<{ added: string[]; removed: string[] }> {
  const { user } = input;
  const wanted = new Set<string>();
  for (const g of input.groups) {
    if (validateUsername(g, null)) wanted.add(g);
    else
      deps.log.warn(
        { user: user.name, group: g.slice(0, 64) },
        'manage_groups: skipped a group name the hub cannot use',
      );
  }
  const current = new Set((await groupsOfUsers(deps.k, [user.id])).get(user.id) ?? []);
  const added = [...wanted].filter((g) => !current.has(g)).sort();
  const removed = [...current].filter((g) => !wanted.has(g)).sort();
  for (const name of added) {
    if (await findGroup(deps.k, name)) await changeMembers(deps, caller, { name, change: 'add', users: [user.name] });
    else {
      try {
        await createGroups(deps, caller, { names: [name], users: [user.name] });
      } catch (err) {
        // Another login created it in between: join it instead.
        if (!(await findGroup(deps.k, name))) throw err;
        await changeMembers(deps, caller, { name, change: 'add', users: [user.name] });
      }
    }
  }
  for (const name of removed) await changeMembers(deps, caller, { name, change: 'remove', users: [user.name] });
  if (added.length || removed.length)
    deps.log.info(
      { user: user.name, added, removed },
      'manage_groups: group memberships synced from the identity provider',
    );
  return { added, removed };
}
