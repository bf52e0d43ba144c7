import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { requirePrincipal } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { callerOf } from '../commands/deps.ts';
import { approveSignup, discardSignup } from '../commands/users/index.ts';
import type { HubContext } from '../context.ts';
import { missingScope } from '../errors/index.ts';
import type { HubServer } from '../http/server.ts';
import { pendingSignups } from '../repo/signup-requests.ts';
import { errorResponses, NoContent } from './schemas.ts';

const tags = ['signups'];
const SignupName = Type.Object({ name: Type.String() });
const SignupModel = Type.Object(
  { name: Type.String(), created: Type.String({ format: 'date-time' }) },
  { description: 'A sign-up waiting for approval (authenticator.open_signup off): not a user yet.' },
);

/**
 * Waiting sign-ups are nobody's yet: a scope filtered to users or groups cannot reach them, so only the
 * unfiltered admin:users (what /hub/authorize needs) lets a script see or decide them.
 */
function needUsersAdmin(ctx: HubContext, req: FastifyRequest): Principal {
  const p = requirePrincipal(ctx, req);
  if (!p.scopes.has('admin:users')) throw missingScope(['admin:users']);
  return p;
}

/** The /hub/authorize page's list and decisions, for scripts (password authenticator with enable_signup). */
export function registerSignupRoutes(app: HubServer, ctx: HubContext, prefix: string): void {
  app.get(
    `${prefix}/signups`,
    {
      schema: {
        tags,
        summary: 'List the sign-ups waiting for approval, oldest first',
        response: { 200: Type.Array(SignupModel), ...errorResponses },
      },
    },
    async (req) => {
      needUsersAdmin(ctx, req);
      return pendingSignups(ctx.k);
    },
  );

  app.post(
    `${prefix}/signups/:name`,
    {
      schema: {
        tags,
        summary: 'Approve a sign-up: the user is created with the password given at sign-up',
        params: SignupName,
        response: { 201: Type.Object({ name: Type.String() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      needUsersAdmin(ctx, req);
      const user = await approveSignup(ctx, callerOf(req), { name: req.params.name });
      return reply.code(201).send({ name: user.name });
    },
  );

  app.delete(
    `${prefix}/signups/:name`,
    {
      schema: {
        tags,
        summary: 'Discard a sign-up: the name is free again',
        params: SignupName,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      needUsersAdmin(ctx, req);
      await discardSignup(ctx, callerOf(req), { name: req.params.name });
      return reply.code(204).send();
    },
  );
}
