import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import type { Principal } from '../auth/principal.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { callerOf } from '../commands/deps.ts';
import { bulkRevokeTokens } from '../commands/tokens/index.ts';
import { inventoryScopeRequired, invalidRequest } from '../errors/index.ts';
import { FILTER_KEYS, type InventoryFilter, parseInventoryFilter } from '../tokens/inventory-filter.ts';
import { type InventoryScope, inventoryPage, inventorySummary } from '../tokens/inventory.ts';
import { inventoryModels } from '../tokens/inventory-models.ts';
import { modelDeps } from './token-models.ts';
import { tokenPolicyOf } from '../tokens/policy.ts';
import { pageOf, paginated } from './pagination.ts';
import { errorResponses, MaybePaginated, PaginationQuery, TokenModel } from './schemas.ts';

const tags = ['tokens'];

const FILTER_DOCS: Record<(typeof FILTER_KEYS)[number], string> = {
  user: "the owning user's name",
  service: "the owning service's name",
  server: "'user/server' ('user/' for the default server): its own token and those its OAuth client issued",
  kind: 'api, server, oauth, config (comma-separated: any of them)',
  scope: 'names this scope or one that expands to it (read:users finds admin:users); inherit for all-permission tokens',
  note: 'a case-insensitive substring of the note',
  never_expires: 'true: no expiry; false: an expiry',
  idle_days: 'not used for more than N days (never used: since created)',
  state: 'active, expired, revoked, rotated, blocked (by the token policy); comma-separated: any of them',
  admin_scopes: "true: names an admin:* scope, or inherit on an admin's or a service's token",
  created_before: 'ISO 8601 time',
  created_after: 'ISO 8601 time',
  last_used_before: 'ISO 8601 time (never-used tokens do not match)',
  last_used_after: 'ISO 8601 time',
  expires_before: 'ISO 8601 time (never-expiring tokens do not match)',
  expires_after: 'ISO 8601 time (never-expiring tokens do not match)',
};
const FilterQuery = Object.fromEntries(
  FILTER_KEYS.map((k) => [k, Type.Optional(Type.String({ description: FILTER_DOCS[k] }))]),
);
const FilterBody = Type.Object(
  Object.fromEntries(
    FILTER_KEYS.map((k) => [
      k,
      Type.Optional(
        Type.Union([Type.String(), Type.Boolean(), Type.Integer(), Type.Array(Type.String())], {
          description: FILTER_DOCS[k],
        }),
      ),
    ]),
  ),
  { additionalProperties: false },
);
const InventoryToken = Type.Intersect([
  TokenModel,
  Type.Object({
    owner: Type.Object({ kind: Type.Union([Type.Literal('user'), Type.Literal('service')]), name: Type.String() }),
    token_kind: Type.String({ description: 'api, server, oauth or config' }),
    state: Type.String({ description: 'active, expired, revoked, rotated or blocked' }),
    policy_reason: Type.Union([Type.String(), Type.Null()], { description: 'why the token policy blocks it' }),
  }),
]);
const Summary = Type.Object({
  live: Type.Integer({ description: 'usable tokens: active or blocked by the policy' }),
  blocked_by_policy: Type.Integer(),
  never_expires: Type.Integer(),
  idle_90_days: Type.Integer(),
  admin_scopes: Type.Integer(),
  expiring_7_days: Type.Integer(),
});

/**
 * Refuses a caller without the unfiltered `scope` (read:tokens to list, tokens to revoke), which only a role
 * meant for all users carries; answers whether services' tokens are in view too (read:services to list,
 * admin:services to revoke). JupyterHub's scope names, no new one: the admin role already holds them.
 */
function servicesInView(p: Principal, scope: 'read:tokens' | 'tokens'): boolean {
  if (!p.scopes.has(scope)) throw inventoryScopeRequired(scope);
  return p.scopes.has(scope === 'tokens' ? 'admin:services' : 'read:services');
}

function scopeOf(ctx: HubContext, filter: InventoryFilter, withServices: boolean): InventoryScope {
  return { filter, nowMs: Date.now(), policy: tokenPolicyOf(ctx.config.tokens), baseUrl: ctx.baseUrl, withServices };
}

/** The query's filter keys (offset and limit are the page's). */
function filterOfQuery(query: Record<string, unknown>): InventoryFilter {
  const { offset: _o, limit: _l, ...rest } = query;
  return parseInventoryFilter(rest);
}

export function registerTokenInventoryRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(
    `${prefix}/tokens`,
    {
      schema: {
        tags,
        summary: 'tshub: every token of the hub, filtered (admin)',
        querystring: Type.Object({ ...PaginationQuery, ...FilterQuery }),
        response: { 200: MaybePaginated(InventoryToken), ...errorResponses },
      },
    },
    async (req) => {
      const withServices = servicesInView(requirePrincipal(ctx, req), 'read:tokens');
      const filter = filterOfQuery(req.query as Record<string, unknown>);
      const page = pageOf(req, ctx.config, req.query);
      const { rows, total } = await inventoryPage(ctx.k, scopeOf(ctx, filter, withServices), page);
      const items = await inventoryModels(modelDeps(ctx), rows);
      return page.paginated ? paginated(req, page, items, total) : items;
    },
  );

  app.get(
    `${prefix}/tokens/summary`,
    {
      schema: {
        tags,
        summary: 'tshub: counts of usable tokens for token hygiene, optionally filtered (admin)',
        querystring: Type.Object(FilterQuery),
        response: { 200: Summary, ...errorResponses },
      },
    },
    async (req) => {
      const withServices = servicesInView(requirePrincipal(ctx, req), 'read:tokens');
      const filter = filterOfQuery(req.query as Record<string, unknown>);
      return inventorySummary(ctx.k, scopeOf(ctx, filter, withServices));
    },
  );

  app.post(
    `${prefix}/tokens/revoke`,
    {
      schema: {
        tags,
        summary: 'tshub: revoke every usable token the filter matches (admin); dry_run counts them',
        body: Type.Object(
          {
            filter: FilterBody,
            dry_run: Type.Optional(Type.Boolean({ description: 'count (and list) the matches, revoke nothing' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            revoked: Type.Integer({ description: 'how many were revoked (0 in a dry run)' }),
            matched: Type.Integer(),
            dry_run: Type.Boolean(),
            ids: Type.Optional(Type.Array(Type.String(), { description: 'the matches, in a dry run' })),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const withServices = servicesInView(requirePrincipal(ctx, req), 'tokens');
      const filter = parseInventoryFilter(req.body.filter as Record<string, unknown>);
      if (Object.keys(filter).length === 0)
        throw invalidRequest(
          'A bulk revoke needs a filter: name at least one (an empty filter would match every token)',
        );
      const dryRun = req.body.dry_run ?? false;
      const { count, ids } = await bulkRevokeTokens(ctx, callerOf(req), {
        filter,
        dryRun,
        baseUrl: ctx.baseUrl,
        withServices,
      });
      return dryRun
        ? { revoked: 0, matched: count, dry_run: true, ids: ids.map((id) => `a${id}`) }
        : { revoked: count, matched: ids.length, dry_run: false };
    },
  );
}
