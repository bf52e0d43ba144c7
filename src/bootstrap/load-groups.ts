import { isDeepStrictEqual } from 'node:util';
import { normalizeUsername } from '../auth/usernames.ts';
import type { Caller, CommandDeps } from '../commands/deps.ts';
import { changeMembers, createGroups, setProperties } from '../commands/groups/index.ts';
import { StartupError } from '../commands/roles/index.ts';
import { createUser } from '../commands/users/index.ts';
import { HubError } from '../errors/index.ts';
import { parseJson } from '../lib/json.ts';
import { allGroupNamesByUser, findGroup } from '../repo/groups.ts';
import { findUser } from '../repo/users.ts';

/**
 * `load_groups`, as JupyterHub applies it at start: each group is created if missing, its listed users
 * (created if missing) are added, and its properties, when given, replace the stored ones. Nothing is
 * removed, so a group or member from an earlier start stays until the API removes it. Only what differs
 * is written, so a restart with the same config records nothing in the audit log.
 */
export async function loadGroups(deps: CommandDeps, caller: Caller): Promise<void> {
  const groups = Object.entries(deps.config.load_groups);
  if (groups.length === 0) return;
  // As upstream: with manage_groups the provider says who is in which group, so the config may not as well.
  if (deps.config.authenticator.manage_groups)
    throw new StartupError('load_groups cannot be used when the authenticator manages groups (manage_groups)');
  try {
    for (const [name, spec] of groups) {
      const { users = [], properties } = Array.isArray(spec) ? { users: spec } : spec;
      if (!(await findGroup(deps.k, name))) await createGroups(deps, caller, { names: [name] });
      const joining: string[] = [];
      for (const raw of users) {
        const user = normalizeUsername(raw);
        if (!(await findUser(deps.k, user))) await createUser(deps, caller, { name: user, reason: `group: ${name}` });
        else if ((await allGroupNamesByUser(deps.k, user)).includes(name)) continue;
        joining.push(user);
      }
      if (joining.length) await changeMembers(deps, caller, { name, change: 'add', users: joining });
      const stored = parseJson<Record<string, unknown>>((await findGroup(deps.k, name))!.properties, {});
      if (properties && !isDeepStrictEqual(stored, properties)) await setProperties(deps, caller, { name, properties });
    }
  } catch (err) {
    // A bad group or user name in the config: the hub does not start, and says which entry.
    if (err instanceof HubError) throw new StartupError(`load_groups: ${err.message}`);
    throw err;
  }
}
