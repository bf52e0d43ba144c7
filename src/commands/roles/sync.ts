import type { Kysely } from 'kysely';
import type { AuditOrigin, AuditSink } from '../../audit/index.ts';
import type { Database } from '../../db/index.ts';
import {
  defaultRoles,
  isDefaultRoleName,
  isKnownScope,
  rolesToLoad,
  validateLoadRoles,
  type RoleSpec,
} from '../../rbac/index.ts';
import { findGroup, insertGroup } from '../../repo/groups.ts';
import {
  allRoles,
  assignDefaultRoles,
  deleteRole,
  findRole,
  grantRole,
  holdersOfRole,
  revokeRole,
  upsertRole,
} from '../../repo/roles.ts';
import { findService } from '../../repo/services.ts';
import { findOrCreateUser, updateUser } from '../../repo/users.ts';
import type { Caller, CommandDeps } from '../deps.ts';

export class StartupError extends Error {
  override name = 'StartupError';
}

type K = Kysely<Database>;

async function ensureUser(db: K, name: string): Promise<number> {
  return (await findOrCreateUser(db, name)).id;
}

async function ensureGroup(db: K, name: string): Promise<number> {
  return (await findGroup(db, name))?.id ?? (await insertGroup(db, name)).id;
}

type Holder = 'user' | 'group' | 'service';
/** A change to a role, kept for the audit log until the transaction has committed. */
type RoleChange =
  | { role: string; what: 'create' | 'modify' | 'delete' }
  | { role: string; what: 'grant' | 'revoke'; holder: Holder; id: number };

/** Makes a role's members of one kind exactly `wanted` (ids). */
async function setMembers(
  db: K,
  kind: Holder,
  role: { id: number; name: string },
  wanted: number[],
  changes: RoleChange[],
): Promise<void> {
  const current = new Set(await holdersOfRole(db, kind, role.id));
  const target = new Set(wanted);
  for (const id of target) {
    if (current.has(id)) continue;
    await grantRole(db, kind, id, role.id);
    changes.push({ role: role.name, what: 'grant', holder: kind, id });
  }
  for (const id of current) {
    if (target.has(id)) continue;
    await revokeRole(db, kind, id, role.id);
    changes.push({ role: role.name, what: 'revoke', holder: kind, id });
  }
}

async function recordRoleChanges(db: K, audit: AuditSink, origin: AuditOrigin, changes: RoleChange[]): Promise<void> {
  for (const c of changes) {
    if (c.what === 'grant' || c.what === 'revoke') {
      const table = c.holder === 'user' ? 'users' : c.holder === 'group' ? 'groups' : 'services';
      const name =
        (await db.selectFrom(table).select('name').where('id', '=', c.id).executeTakeFirst())?.name ?? `#${c.id}`;
      audit.record({
        ...origin,
        action: `role.${c.what}`,
        target: { kind: 'role', name: c.role, owner: c.holder === 'user' ? name : null },
        reason: `${c.what === 'grant' ? 'granted to' : 'revoked from'} ${c.holder} ${name} (load_roles)`,
      });
    } else {
      audit.record({
        ...origin,
        action: `role.${c.what}`,
        target: { kind: 'role', name: c.role },
        reason: 'load_roles',
      });
    }
  }
}

/** What the role sync needs: it runs at start-up, before anything caches permissions. */
export type RoleSyncDeps = Pick<CommandDeps, 'k' | 'config' | 'log' | 'audit'>;

/** The default roles (`user`, `admin`, `server`, `token`) exist before anything references them. */
export async function ensureDefaultRoles(db: K): Promise<void> {
  for (const r of defaultRoles()) await upsertRole(db, r.name, r.description ?? null, r.scopes ?? []);
}

/**
 * Applies the role configuration at start-up, in JupyterHub's order: default roles (merged with
 * overrides), load_roles with exact member lists, admin_users and allowed_users, and removal of
 * roles no longer configured. Runs in one transaction: a bad config changes nothing.
 */
export async function syncRoles(deps: RoleSyncDeps, caller: Caller): Promise<void> {
  const { k: db, config, log } = deps;
  const customScopes = config.custom_scopes;
  const problems = validateLoadRoles(config.load_roles, customScopes);
  // As upstream: the provider assigns users their roles, so the config may not as well.
  const managed = config.authenticator.manage_roles;
  for (const r of managed ? config.load_roles : [])
    if (r.users?.length)
      problems.push(`role '${r.name}' lists users, but the authenticator manages roles (manage_roles)`);
  for (const s of config.extra_user_scopes)
    if (!isKnownScope(s, customScopes)) problems.push(`extra_user_scopes: scope '${s}' does not exist`);
  if (problems.length) throw new StartupError(`load_roles: ${problems.join('; ')}`);
  let specs: RoleSpec[];
  try {
    specs = rolesToLoad(config.load_roles as RoleSpec[], config.extra_user_scopes);
  } catch (err) {
    throw new StartupError(`load_roles: ${(err as Error).message}`);
  }
  for (const spec of specs) {
    for (const name of spec.services ?? []) {
      if (!(await findService(db, name)) && !config.services.some((s) => s.name === name)) {
        throw new StartupError(
          `load_roles: role '${spec.name}' names service '${name}', which is not defined in services`,
        );
      }
    }
  }
  const changes: RoleChange[] = [];
  await db.transaction().execute(async (trx) => {
    const configured = new Set(config.load_roles.map((r) => r.name));
    for (const spec of specs) {
      const before = await findRole(trx, spec.name);
      const role = await upsertRole(trx, spec.name, spec.description ?? null, spec.scopes ?? []);
      if (!before) changes.push({ role: spec.name, what: 'create' });
      else if (before.scopes !== role.scopes) changes.push({ role: spec.name, what: 'modify' });
      if (!configured.has(spec.name)) continue;
      if (spec.users !== undefined || spec.name !== 'user') {
        const ids = [];
        for (const n of spec.users ?? []) ids.push(await ensureUser(trx, n));
        // The `user` role keeps its implicit members when the config lists none.
        // Without a list, the `user` role keeps its implicit members, and with manage_roles every role its provider's.
        if (spec.users !== undefined || !(spec.name === 'user' || managed))
          await setMembers(trx, 'user', role, ids, changes);
        if (spec.name === 'admin') for (const id of ids) await updateUser(trx, id, { admin: true });
      }
      const groupIds = [];
      for (const n of spec.groups ?? []) groupIds.push(await ensureGroup(trx, n));
      await setMembers(trx, 'group', role, groupIds, changes);
      const serviceIds = [];
      for (const n of spec.services ?? []) {
        const s = await findService(trx, n);
        if (s) serviceIds.push(s.id);
      }
      await setMembers(trx, 'service', role, serviceIds, changes);
    }
    for (const role of await allRoles(trx)) {
      // A role manage_roles created (no scopes, so it grants nothing) stays with its holders until next login.
      const provider = managed && role.scopes === '[]';
      if (!isDefaultRoleName(role.name) && !configured.has(role.name) && !provider) {
        log.info({ role: role.name }, 'removing role no longer in config');
        await deleteRole(trx, role.id);
        changes.push({ role: role.name, what: 'delete' });
      }
    }
    const admins = new Set(await holdersOfRole(trx, 'user', (await findRole(trx, 'admin'))!.id));
    for (const name of config.authenticator.admin_users) {
      const id = await ensureUser(trx, name);
      await updateUser(trx, id, { admin: true });
      await assignDefaultRoles(trx, id, true);
      if (!admins.has(id)) changes.push({ role: 'admin', what: 'grant', holder: 'user', id });
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
      if (u.admin === 1 && !hasAdmin.has(u.id)) {
        await grantRole(trx, 'user', u.id, adminRole.id);
        changes.push({ role: 'admin', what: 'grant', holder: 'user', id: u.id });
      }
      if (u.admin !== 1 && hasAdmin.has(u.id) && !configured.has('admin')) {
        await revokeRole(trx, 'user', u.id, adminRole.id);
        changes.push({ role: 'admin', what: 'revoke', holder: 'user', id: u.id });
      }
    }
  });
  await recordRoleChanges(db, deps.audit, caller.origin, changes);
}
