import { HubError } from './hub-error.ts';
import { invalidRequest } from './request.ts';

/** Why the token policy (`tokens.*`) refuses a personal token, new or existing: the `reason` a request gets. */
export type PolicyFailure =
  | 'token_policy_max_lifetime'
  | 'token_policy_never_expires'
  | 'token_policy_idle'
  | 'token_policy_inherit';

/** 400 for a new token the policy forbids (an existing one is refused as credentials instead). */
export const tokenPolicyForbidsNew = (reason: 'token_policy_never_expires' | 'token_policy_inherit') =>
  invalidRequest(
    reason === 'token_policy_inherit'
      ? "Tokens holding all their owner's permissions (inherit) are not allowed here (tokens.forbid_inherit): name the scopes"
      : 'Tokens that never expire are not allowed here (tokens.allow_never_expire is false): give expires_in',
    reason,
  );

/** 400 for a bad token-inventory filter, naming the key and what it takes. */
export const badInventoryFilter = (key: string, expected: string) =>
  invalidRequest(`Invalid token filter ${key}: expected ${expected}`);

/**
 * 403 for the hub-wide token inventory without its scope for every user: a `!user=`/`!group=` filtered
 * grant covers some users' tokens, never the whole hub's.
 */
export const inventoryScopeRequired = (scope: 'read:tokens' | 'tokens') =>
  new HubError(
    403,
    `Action is not authorized with current scopes; requires ${scope} for all users (unfiltered)`,
    'insufficient_scope',
    { extra: { required_scopes: [scope] } },
  );
