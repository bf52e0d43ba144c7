import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { LOGIN_COOKIE, sessionUser } from '../auth/session.ts';
import type { HubContext } from '../context.ts';
import type { UserRow } from '../db/index.ts';
import { notFound } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { identifyScopes } from '../rbac/index.ts';
import { findServiceById } from '../repo/services.ts';
import { findUserById, loadUserFacts } from '../repo/users.ts';
import { presentServices } from './present-service.ts';
import { presentUsers, userFieldFilters } from './present-user.ts';
import { errorResponses } from './schemas.ts';
import { loadServiceFacts } from './services.ts';

// JupyterHub's deprecated /authorizations endpoints, still in its REST spec and still used by old services:
// who owns a token, who a login cookie belongs to. POST /authorizations/token is gone since JupyterHub 2.0
// and answers 404 as upstream does. Any valid token may ask (upstream's `(no_scope)`); the answer is the
// owner's model as the caller may see it, plus the owner's name and identity.

const tags = ['hub'];
const AnyModel = Type.Object({}, { additionalProperties: true });

/** The caller's view, widened by the identify scopes on the owner: having its token or cookie shows who it is. */
function seeing(p: Principal, owner: { kind: 'user' | 'service'; name: string }): Principal {
  return { ...p, scopes: new Set([...p.scopes, ...identifyScopes(owner)]) };
}

export function registerAuthorizationRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  const userModel = async (p: Principal, user: UserRow) => {
    const facts = await loadUserFacts(ctx.k, [user.id], { includeStoppedServers: false });
    const filters = userFieldFilters(seeing(p, { kind: 'user', name: user.name }));
    return presentUsers([user], facts, filters, { baseUrl: ctx.baseUrl })[0]!;
  };

  app.get(
    `${prefix}/authorizations/token/:token`,
    {
      schema: {
        tags,
        deprecated: true,
        summary: 'Deprecated (use GET /user with the token): the user or service owning a token',
        params: Type.Object({ token: Type.String() }),
        response: { 200: AnyModel, ...errorResponses },
      },
    },
    async (req: FastifyRequest<{ Params: { token: string } }>) => {
      const p = requirePrincipal(ctx, req);
      const { verdict, row } = await ctx.identifier.identifyStored(req.params.token);
      if (!verdict.ok || !row) throw notFound();
      if (row.user_id !== null) {
        const user = await findUserById(ctx.k, row.user_id);
        if (user) return userModel(p, user);
      } else if (row.service_id !== null) {
        const service = await findServiceById(ctx.k, row.service_id);
        if (service) {
          const facts = await loadServiceFacts(ctx, [service]);
          return presentServices([service], facts, seeing(p, { kind: 'service', name: service.name }))[0]!;
        }
      }
      throw notFound();
    },
  );

  app.post(
    `${prefix}/authorizations/token`,
    {
      schema: {
        tags,
        deprecated: true,
        summary: 'Removed in JupyterHub 2.0 (always 404): create tokens with POST /users/{name}/tokens',
        response: { 404: errorResponses[404] },
      },
    },
    async () => {
      throw notFound(
        'Deprecated endpoint /hub/api/authorizations/token is removed in JupyterHub 2.0. Use /hub/api/users/:user/tokens instead.',
      );
    },
  );

  app.get(
    `${prefix}/authorizations/cookie/:cookie_name/:cookie_value`,
    {
      schema: {
        tags,
        deprecated: true,
        summary: "Deprecated (use OAuth and GET /user): the user a hub login cookie's value belongs to",
        params: Type.Object({ cookie_name: Type.String(), cookie_value: Type.String() }),
        response: { 200: AnyModel, ...errorResponses },
      },
    },
    async (req: FastifyRequest<{ Params: { cookie_name: string; cookie_value: string } }>) => {
      const p = requirePrincipal(ctx, req);
      const { cookie_name: name, cookie_value: value } = req.params;
      // The value is checked exactly as a browser's login cookie would be (signature, age, session).
      const asSent = { headers: { cookie: `${LOGIN_COOKIE}=${value}` } } as FastifyRequest;
      const user = name === LOGIN_COOKIE ? await sessionUser(ctx, asSent) : null;
      if (!user) throw notFound();
      return userModel(p, user);
    },
  );
}
