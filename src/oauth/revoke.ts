import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { HubContext } from '../context.ts';
import { callerOf } from '../commands/deps.ts';
import { revokeToken } from '../commands/tokens/index.ts';
import { endpointCaller, formBody, noStore, param } from './client-auth.ts';
import { type FormEndpoints, registerFormEndpoint } from './form-endpoint.ts';
import { EndpointBody, mayInspect, tokenInQuestion } from './introspect.ts';

/**
 * POST /hub/api/oauth2/revoke (RFC 7009): always 200 once the caller is authenticated, whether the token
 * was unknown, already dead or not the caller's to revoke, so the answer says nothing about it.
 */
async function revoke(ctx: HubContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = formBody(req);
  const caller = await endpointCaller(ctx, req, reply, body);
  if (!caller) return reply;
  const found = await tokenInQuestion(ctx, param(body, 'token'));
  // Revoking is narrower than seeing: a client its own tokens, a user the tokens they own.
  const mine =
    found &&
    found.owner.kind === 'user' &&
    (caller.client
      ? await mayInspect(ctx, caller, found.row, found.owner)
      : caller.principal.kind === 'user' && caller.principal.id === found.owner.id);
  if (mine)
    await revokeToken(ctx, callerOf(req), {
      user: { id: found.owner.id, name: found.owner.name },
      tokenId: `a${found.row.id}`,
    });
  return noStore(reply).code(200).send({});
}

export function registerRevocation(
  app: FastifyInstance<any, any, any, any, any>,
  ctx: HubContext,
  form: FormEndpoints,
): void {
  registerFormEndpoint(
    app,
    form,
    {
      path: '/revoke',
      summary: 'OAuth2 token revocation (RFC 7009)',
      description:
        "Client-authenticated (a client revokes only tokens issued to it) or with a user's hub token (their own tokens). 200 whatever the token was; revoking an OAuth token revokes every token that client holds for the user, as the token API does.",
      body: EndpointBody('The token to revoke'),
      answer: Type.Object({}, { description: 'Done, or nothing to do' }),
    },
    (req, reply) => revoke(ctx, req, reply),
  );
}
