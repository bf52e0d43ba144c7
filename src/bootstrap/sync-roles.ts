import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { isDefaultRoleName, rolesToLoad, validateLoadRoles, type RoleSpec } from '../rbac/index.ts';
import { findGroup, insertGroup } from '../repo/groups.ts';
import { allRoles, deleteRole, grantRole, holdersOfRole, revokeRole, upsertRole, assignDefaultRoles, findRole } from '../repo/roles.ts';
import { findService } from '../repo/services.ts';
import { findUser, insertUser, updateUser } from '../repo/users.ts';

export class StartupError extends Error {
  override name = 'StartupError';
}

type K = Kysely<Database>;

async function ensureUser(db: K, name: string): Promise<number> {
  const u = await findUser(db, name);
  if (u) return u.id;
  const row = await insertUser(db, name, false);
  await assignDefaultRoles(db, row.id, false);
  return row.id;
}

async function ensureGroup(db: K, name: string): Promise<number> {
  return (await findGroup(db, name))?.id ?? (await insertGroup(db, name)).id;
}

/** Makes a role's members of one kind exactly `wanted` (ids). */
async function setMembers(db: K, kind: 'user' | 'group' | 'service', roleId: number, wanted: number[]): Promise<void> {
  const current = new Set(await holdersOfRole(db, kind, roleId));
  const target = new Set(wanted);
  for (const id of target) if (!current.has(id)) await grantRole(db, kind, id, roleId);
  for (const id of current) if (!target.has(id)) await revokeRole(db, kind, id, roleId);
}

/**
 * Applies the role configuration at start-up, in JupyterHub's order: default roles (merged with
 * overrides), load_roles with exact member lists, admin_users and allowed_users, and removal of
 * roles no longer configured. Runs in one transaction: a bad config changes nothing.
 */
export async function syncRoles(db: K, config: Config, log: Logger): Promise<void> {
  const customScopes = config.custom_scopes;
  const problems = validateLoadRoles(config.load_roles, customScopes);
  if (problems.length) throw new StartupError(`load_roles: ${problems.join('; ')}`);
  let specs: RoleSpec[];
  try {
    specs = rolesToLoad(config.load_roles as RoleSpec[]);
  } catch (err) {
    throw new StartupError(`load_roles: ${(err as Error).message}`);
  }
  for (const spec of specs) {
    for (const name of spec.services ?? []) {
      if (!(await findService(db, name)) && !config.services.some((s) => s.name === name)) {
        throw new StartupError(`load_roles: role '${spec.name}' names service '${name}', which is not defined in services`);
      }
    }
  }
  await db.transaction().execute(async (trx) => {
    const configured = new Set(config.load_roles.map((r) => r.name));
    for (const spec of specs) {
      const role = await upsertRole(trx, spec.name, spec.description ?? null, spec.scopes ?? []);
      if (!configured.has(spec.name)) continue;
      if (spec.users !== undefined || spec.name !== 'user') {
        const ids = [];
        for (const n of spec.users ?? []) ids.push(await ensureUser(trx, n));
        // The `user` role keeps its implicit members when the config lists none.
        if (!(spec.name === 'user' && spec.users === undefined)) await setMembers(trx, 'user', role.id, ids);
        if (spec.name === 'admin') for (const id of ids) await updateUser(trx, id, { admin: true });
      }
      const groupIds = [];
      for (const n of spec.groups ?? []) groupIds.push(await ensureGroup(trx, n));
      await setMembers(trx, 'group', role.id, groupIds);
      const serviceIds = [];
      for (const n of spec.services ?? []) {
        const s = await findService(trx, n);
        if (s) serviceIds.push(s.id);
      }
      await setMembers(trx, 'service', role.id, serviceIds);
    }
    for (const role of await allRoles(trx)) {
      if (!isDefaultRoleName(role.name) && !configured.has(role.name)) {
        log.info({ role: role.name }, 'removing role no longer in config');
        await deleteRole(trx, role.id);
      }
    }
    for (const name of config.authenticator.admin_users) {
      const id = await ensureUser(trx, name);
      await updateUser(trx, id, { admin: true });
      await assignDefaultRoles(trx, id, true);
    }
    for (const name of config.authenticator.allowed_users) await ensureUser(trx, name);
    // Every user holds `user`, and `admin` exactly when flagged admin.
    const userRole = (await findRole(trx, 'user'))!;
    const adminRole = (await findRole(trx, 'admin'))!;
    const users = await trx.selectFrom('users').select(['id', 'admin']).execute();
    const hasUser = new Set(await holdersOfRole(trx, 'user', userRole.id));
    const hasAdmin = new Set(await holdersOfRole(trx, 'user', adminRole.id));
    for (const u of users) {
      if (!hasUser.has(u.id) && !configured.has('user')) await grantRole(trx, 'user', u.id, userRole.id);
      if (u.admin === 1 && !hasAdmin.has(u.id)) await grantRole(trx, 'user', u.id, adminRole.id);
      if (u.admin !== 1 && hasAdmin.has(u.id) && !configured.has('admin')) await revokeRole(trx, 'user', u.id, adminRole.id);
    }
  });
}
