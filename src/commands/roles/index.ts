// What changes roles: the config file's load_roles, applied at start-up, and the identity provider's (manage_roles).
export { ensureDefaultRoles, type RoleSyncDeps, StartupError, syncRoles } from './sync.ts';
export { syncRolesFromIdp } from './sync-from-idp.ts';
