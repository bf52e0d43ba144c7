import type { UserRow } from '../../db/index.ts';
import { isDefaultRoleName, ROLE_NAME_PATTERN } from '../../rbac/index.ts';
import { findRole, grantRole, revokeRole, roleNamesByHolder, upsertRole } from '../../repo/roles.ts';
import type { Caller, CommandDeps } from '../deps.ts';

/** The role, created without scopes when the hub has none of that name (another login may create it first). */
async function roleNamed(deps: CommandDeps, caller: Caller, name: string): Promise<{ id: number }> {
  const found = await findRole(deps.k, name);
  if (found) return found;
  try {
    const role = await upsertRole(deps.k, name, 'Created by manage_roles: a role the identity provider named', []);
    deps.audit.record({
      ...caller.origin,
      action: 'role.create',
      target: { kind: 'role', name },
      reason: 'manage_roles',
    });
    return role;
  } catch (err) {
    const raced = await findRole(deps.k, name);
    if (!raced) throw err;
    return raced;
  }
}

/**
 * `manage_roles` (JupyterHub 5): the identity provider's role names replace the roles the user holds
 * directly, as upstream's sync_roles: granted (a role the hub lacks is created, without scopes: a claim
 * carries names, load_roles gives them scopes) and revoked when no longer named. The default roles stay
 * the hub's (`user` for everyone, `admin` from admin_users/admin_groups): upstream strips those too when
 * the provider leaves them out, which locks a person out of their own server. A name no role can have is
 * skipped with a warning rather than failing the login. Each change is audited; permissions change at once.
 */
export async function syncRolesFromIdp(
  deps: CommandDeps,
  caller: Caller,
  input: { user: UserRow; roles: string[] },
): Promise<{ granted: string[]; revoked: string[] }> {
  const { user } = input;
  const wanted = new Set<string>();
  for (const r of input.roles) {
    if (isDefaultRoleName(r)) continue;
    if (ROLE_NAME_PATTERN.test(r)) wanted.add(r);
    else
      deps.log.warn({ user: user.name, role: r.slice(0, 64) }, 'manage_roles: skipped a role name the hub cannot use');
  }
  const held = (await roleNamesByHolder(deps.k, 'user', [user.id])).get(user.id) ?? [];
  const current = new Set(held.filter((r) => !isDefaultRoleName(r)));
  const granted = [...wanted].filter((r) => !current.has(r)).sort();
  const revoked = [...current].filter((r) => !wanted.has(r)).sort();
  const change = (name: string, what: 'grant' | 'revoke') =>
    deps.audit.record({
      ...caller.origin,
      action: `role.${what}`,
      target: { kind: 'role', name, owner: user.name },
      reason: `${what === 'grant' ? 'granted to' : 'revoked from'} user ${user.name} (manage_roles)`,
    });
  for (const name of granted) {
    await grantRole(deps.k, 'user', user.id, (await roleNamed(deps, caller, name)).id);
    change(name, 'grant');
  }
  for (const name of revoked) {
    const role = await findRole(deps.k, name);
    if (role) await revokeRole(deps.k, 'user', user.id, role.id);
    change(name, 'revoke');
  }
  if (granted.length || revoked.length) {
    deps.permissions.invalidate();
    deps.log.info({ user: user.name, granted, revoked }, 'manage_roles: roles synced from the identity provider');
  }
  return { granted, revoked };
}
