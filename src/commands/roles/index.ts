// What changes roles: the config file's load_roles, applied at start-up.
export { ensureDefaultRoles, type RoleSyncDeps, StartupError, syncRoles } from './sync.ts';
