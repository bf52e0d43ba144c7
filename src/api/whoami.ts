import type { Principal } from '../auth/principal.ts';
import type { HubContext } from '../context.ts';
import { identifyScopes } from '../rbac/index.ts';
import { findService } from '../repo/services.ts';
import { findUserById, loadUserFacts, membershipsOf } from '../repo/users.ts';
import { presentServices } from './present-service.ts';
import { loadServiceFacts } from './services.ts';
import { presentUsers, userFieldFilters } from './present-user.ts';

/**
 * What whoami needs of a principal beyond its servers' state: its sorted scopes, the scope filters its
 * model is cut with, and a user's group and role names. None of it changes without a permission
 * change, which makes new principals, so it is worked out once per principal: clients ask whoami on
 * every request they check (HubAuth, the culler, scripts).
 */
export interface WhoamiFacts {
  scopes: string[];
  /** The principal with its identify scopes added: what its own model is cut with. */
  identified: Principal;
  filters: ReturnType<typeof userFieldFilters>;
  memberships: { groups: string[]; roles: string[] } | null;
}

/**
 * Whoami facts per principal object, one map per hub (built with the API's routes). None of it changes
 * without a permission change, which drops the cached principals (auth/permissions.ts): their facts go too.
 */
export type WhoamiFactsCache = WeakMap<Principal, WhoamiFacts>;

async function factsOf(ctx: HubContext, p: Principal, known: WhoamiFactsCache): Promise<WhoamiFacts> {
  const hit = known.get(p);
  if (hit) return hit;
  const who =
    p.kind === 'user' ? ({ kind: 'user', name: p.name } as const) : ({ kind: 'service', name: p.name } as const);
  // Identify scopes are always granted here, but reported only if the caller really holds them.
  const identified = { ...p, scopes: new Set([...p.scopes, ...identifyScopes(who)]) };
  const facts = {
    scopes: [...p.scopes].sort(),
    identified,
    filters: userFieldFilters(identified),
    memberships: p.kind === 'user' ? await membershipsOf(ctx.k, p.id) : null,
  };
  known.set(p, facts);
  return facts;
}

/** The caller's own model (GET /hub/api/user). */
export async function whoami(
  ctx: HubContext,
  known: WhoamiFactsCache,
  p: Principal,
  includeStoppedServers: boolean,
): Promise<Record<string, unknown>> {
  const facts = await factsOf(ctx, p, known);
  let model: Record<string, unknown>;
  if (p.kind === 'user') {
    // The principal's row is as of its token's first use; the user's activity since must show.
    const user = (await findUserById(ctx.k, p.id)) ?? p.user!;
    const own = facts.memberships!;
    const memberships = { groups: new Map([[user.id, own.groups]]), roles: new Map([[user.id, own.roles]]) };
    const loaded = await loadUserFacts(ctx.k, [user.id], { includeStoppedServers, memberships });
    [model] = presentUsers([user], loaded, facts.filters, {
      baseUrl: ctx.baseUrl,
      publicUrl: ctx.config.public_url,
    }) as [Record<string, unknown>];
  } else {
    const service = (await findService(ctx.k, p.name))!;
    const loaded = await loadServiceFacts(ctx, [service]);
    [model] = presentServices([service], loaded, facts.identified) as [Record<string, unknown>];
  }
  return { ...model, token_id: p.token ? `a${p.token.id}` : null, session_id: p.sessionId, scopes: facts.scopes };
}
