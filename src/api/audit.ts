import { Type, type TSchema } from 'typebox';
import type { HubContext } from '../context.ts';
import type { HubServer } from '../http/server.ts';
import { requirePrincipal } from '../auth/authenticate.ts';
import { listAudit, parseAuditFilter, presentAudit } from '../audit/index.ts';
import { pageOf, paginated } from './pagination.ts';
import { errorResponses, MaybePaginated, PaginationQuery } from './schemas.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const AuditRecordModel = Type.Object(
  {
    id: Type.Integer(),
    time: Type.String({ format: 'date-time' }),
    actor: Type.Object({
      kind: Type.String({
        description: "user, service, server (a single-user server's own token), anonymous or system",
      }),
      name: Nullable(Type.String()),
      token_id: Nullable(Type.String({ description: 'id (a<n>) of the token the actor presented; never the token' })),
    }),
    action: Type.String({ description: 'dotted event name, e.g. token.create, login.failure, server.stop' }),
    target: Type.Union([
      Type.Object({
        kind: Type.String(),
        name: Nullable(Type.String()),
        owner: Nullable(Type.String({ description: 'the user the target belongs to' })),
      }),
      Type.Null(),
    ]),
    outcome: Type.String({ description: 'success, failure or denied' }),
    reason: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    user_agent: Nullable(Type.String()),
    request_id: Nullable(Type.String()),
    prev_hash: Type.String({ description: 'SHA-256 (hex) of the record before it in the chain' }),
    hash: Type.String({ description: 'SHA-256 (hex) of this record, prev_hash included' }),
  },
  { description: 'tshub: one audit log record' },
);

/**
 * tshub's audit log (JupyterHub has none, so no JupyterHub scope governs it): admins, i.e. holders of
 * the unfiltered admin:users scope, read every record; anyone else the records they made or whose
 * target belongs to them.
 */
export function registerAuditRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(
    `${prefix}/audit`,
    {
      schema: {
        tags: ['audit'],
        summary: 'tshub: read the audit log (newest first)',
        querystring: Type.Object({
          ...PaginationQuery,
          actor: Type.Optional(Type.String({ description: "the actor's name" })),
          action: Type.Optional(
            Type.String({ description: 'an action (token.revoke), or a prefix ending in "." (token.)' }),
          ),
          target: Type.Optional(Type.String({ description: "the target's name, or the user it belongs to" })),
          token_id: Type.Optional(
            Type.String({ description: 'a token id (a12): records made with that token or about it' }),
          ),
          since: Type.Optional(Type.String({ description: 'ISO 8601 time; records at or after it' })),
          until: Type.Optional(Type.String({ description: 'ISO 8601 time; records before it' })),
          order: Type.Optional(Type.String({ description: 'desc (newest first, the default) or asc' })),
        }),
        response: { 200: MaybePaginated(AuditRecordModel), ...errorResponses },
      },
    },
    async (req) => {
      const p = requirePrincipal(ctx, req);
      const viewer = p.scopes.has('admin:users') ? null : { kind: p.kind, name: p.name };
      const filter = parseAuditFilter(req.query, viewer);
      const page = pageOf(req, ctx.config, req.query);
      // Events queued by this very request's predecessors are on record before the answer.
      await ctx.audit.flush();
      const { rows, total } = await listAudit(ctx.k, filter, page);
      const items = rows.map(presentAudit);
      return page.paginated ? paginated(req, page, items, total) : items;
    },
  );
}
