/** Public surface of rbac: the scope table, expansion, access filters, roles. Pure, no I/O. */
export {
  SCOPE_TABLE,
  METASCOPES,
  CUSTOM_SCOPE_PATTERN,
  ScopeError,
  parseScope,
  formatScope,
  isKnownScope,
  describeScope,
  customScopeMap,
  validateCustomScopes,
} from './scope-table.ts';
export type {
  ScopeDefinition,
  FilterKind,
  ScopeFilter,
  ParsedScope,
  CustomScopes,
  CustomScopeDefinition,
} from './scope-table.ts';

export { SELF_SCOPES, expandScopes, subscopeClosure, parseExpanded, unparseScopes, reduceScopes } from './expand.ts';
export type { ScopeOwner, OAuthClientTarget, ExpandOptions, EntityFilters, ParsedScopes } from './expand.ts';

export {
  checkAccess,
  holdsInAnyForm,
  scopeFilter,
  filterAllowsUser,
  filterAllowsServer,
  filterAllowsGroup,
  filterAllowsService,
} from './filters.ts';
export type { Resource, AccessResult, ScopeFilterSet } from './filters.ts';

export { intersectScopes } from './intersect.ts';
export { identifyScopes, accessScopes, effectiveTokenScopes, excessTokenScopes } from './token-scopes.ts';
export type { TokenScopeInput } from './token-scopes.ts';

export {
  ADMIN_SCOPES,
  DEFAULT_ROLES,
  DEFAULT_ROLE_NAMES,
  ROLE_NAME_PATTERN,
  RoleError,
  defaultRoles,
  isDefaultRoleName,
  validateRoleSpec,
  validateLoadRoles,
  mergeRoleOverride,
  rolesToLoad,
} from './default-roles.ts';
export type { RoleSpec } from './default-roles.ts';

export { sortedScopes, whoamiScopes } from './scopes-for-display.ts';
