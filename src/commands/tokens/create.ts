import { tokenTarget } from '../../audit/index.ts';
import type { TokenRow } from '../../db/index.ts';
import { issueToken } from '../../tokens/issue.ts';
import { assertNewTokenAllowed, tokenRulesFor } from '../../tokens/policy-new.ts';
import type { Caller } from '../deps.ts';
import { loggedCaller, personalToken, type TokenCommandDeps } from './deps.ts';
import { newTokenLifetime } from './expiry.ts';

export interface CreateTokenInput {
  /** The user the token acts as. */
  user: { id: number; name: string };
  note: string;
  /** Unexpanded scopes, already checked against what the user holds (src/tokens/requested-scopes.ts). */
  scopes: string[];
  /** Seconds; absent = the configured default (see newTokenLifetime). */
  expiresIn?: number | null;
}

/**
 * Creates a personal API token: its lifetime by the expiry policy, within `tokens.max_active_per_user`.
 * Returns the secret (shown once) with the stored row. Nothing cached refers to a new token: no invalidation.
 */
export async function createToken(
  deps: TokenCommandDeps,
  caller: Caller,
  input: CreateTokenInput,
): Promise<{ token: string; row: TokenRow }> {
  const { user } = input;
  const rules = await tokenRulesFor(deps.k, deps.config.tokens, user.id);
  const expiresIn = newTokenLifetime(rules, input.expiresIn);
  assertNewTokenAllowed(rules, input.scopes, expiresIn);
  const request = personalToken(user.id, {
    note: input.note,
    scopes: input.scopes,
    expiresIn,
    maxActive: rules.max_active_per_user,
  });
  const issued = await issueToken(deps.k, deps.dbKind, request, { batch: deps.tokenInserts });
  const { row } = issued;
  if (row.expires_at) deps.refusals?.tokenExpires(row.expires_at);
  deps.log.info({ ...loggedCaller(caller), user: user.name, token_id: `a${row.id}` }, 'token created');
  deps.audit.record({
    ...caller.origin,
    action: 'token.create',
    target: tokenTarget(row.id, user.name),
    reason: `expires ${row.expires_at ?? 'never'}`,
  });
  return issued;
}
