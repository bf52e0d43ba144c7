import type { Kysely } from 'kysely';
import { effectiveScopes } from '../auth/principal.ts';
import type { Config } from '../config/index.ts';
import type { Database, UserRow } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { expandScopes, identifyScopes, sortedScopes, type OAuthClientTarget, type ScopeOwner } from '../rbac/index.ts';
import { accessScopeOf } from './clients.ts';

export interface ScopeDecision {
  /** Requested scopes the client may ask for (unexpanded): what the consent page lists. */
  asked: string[];
  /** What the token will carry: asked ∪ identify ∪ access, expanded and cut to what the user holds. */
  granted: string[];
  /** Requested scopes refused because the client may not ask for them, or unknown. */
  dropped: string[];
}

function expandOne(scope: string, owner: ScopeOwner, config: Config, target: OAuthClientTarget): Set<string> | null {
  try {
    return expandScopes([scope], owner, { customScopes: config.custom_scopes, oauthClient: target });
  } catch {
    return null;
  }
}

/**
 * Which scopes an authorization grants (upstream's OAuthAuthorizeHandler): the requested ones, or
 * without a request the client's allowed ones; a requested scope must be one of the client's allowed
 * scopes or implied by them; then the identify scopes and the client's access scope are added, and
 * everything is intersected with what the user holds, so a token never carries more than its owner.
 */
export async function decideScopes(
  k: Kysely<Database>,
  config: Config,
  user: UserRow,
  ownerScopes: Set<string>,
  client: { allowedScopes: string[] },
  target: OAuthClientTarget,
  requested: string[] | null,
): Promise<ScopeDecision> {
  const owner: ScopeOwner = { kind: 'user', name: user.name };
  const allowed = new Set<string>();
  for (const s of client.allowedScopes) for (const e of expandOne(s, owner, config, target) ?? []) allowed.add(e);
  const always = new Set([...identifyScopes(owner), accessScopeOf(target)]);
  const asked: string[] = [];
  const dropped: string[] = [];
  for (const s of requested ?? client.allowedScopes) {
    if (asked.includes(s)) continue;
    if (always.has(s)) continue;
    const expanded = s === 'inherit' ? new Set(['inherit']) : expandOne(s, owner, config, target);
    const permitted =
      expanded !== null &&
      (client.allowedScopes.includes(s) || (s !== 'inherit' && [...expanded].every((e) => allowed.has(e))));
    if (permitted) asked.push(s);
    else dropped.push(s);
  }
  const effective = await effectiveScopes(k, asked, 'user', user.name, ownerScopes, {
    customScopes: config.custom_scopes,
    oauthClient: target,
  });
  // `inherit` stays symbolic so the token follows its owner; anything else is stored expanded and cut
  // to today's permissions, so a later promotion of the user does not widen what was consented to.
  const granted = asked.includes('inherit') ? ['inherit', ...sortedScopes(effective)] : sortedScopes(effective);
  return { asked, granted, dropped };
}

/**
 * Scopes the user already granted this client (live tokens of theirs issued to it): a new request
 * for no more than those needs no confirmation.
 */
export async function alreadyGranted(
  k: Kysely<Database>,
  userId: number,
  clientId: string,
  nowIso: string,
): Promise<Set<string>> {
  const rows = await k
    .selectFrom('api_tokens')
    .select('scopes')
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]))
    .execute();
  const out = new Set<string>();
  for (const r of rows) for (const s of parseJson<string[]>(r.scopes, [])) out.add(s);
  return out;
}
