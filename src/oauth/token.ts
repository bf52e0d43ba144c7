import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { isPast } from '../lib/time.ts';
import { findUserById } from '../repo/users.ts';
import { issueToken } from '../tokens/issue.ts';
import { DEVICE_CODE_GRANT, deviceCodeGrant } from './device-token.ts';
import { consumeCode, pkceMatches } from './codes.ts';
import { authenticateClient, formValues, noStore, oauthError } from './client-auth.ts';

/**
 * POST /hub/api/oauth2/token: the authorization-code grant (RFC 6749 4.1.3) with PKCE (RFC 7636), and the
 * device code grant (RFC 8628 3.4, src/oauth/device-token.ts).
 * The client authenticates with its secret (in the form, as jupyterhub-singleuser does, or HTTP Basic);
 * the code is claimed (deleted) before anything else about it is believed, so it works at most once.
 */
export async function tokenEndpoint(ctx: HubContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const values = formValues(req, reply, [
    'grant_type',
    'code',
    'redirect_uri',
    'client_id',
    'client_secret',
    'code_verifier',
    'device_code',
  ]);
  if (!values) return reply;
  if (!values.grant_type) return oauthError(reply, 'invalid_request', 'grant_type is required');
  if (values.grant_type === DEVICE_CODE_GRANT) return deviceCodeGrant(ctx, req, reply, values);
  const client = await authenticateClient(ctx, req, reply, values);
  if (!client) return reply;
  if (values.grant_type !== 'authorization_code') {
    return oauthError(
      reply,
      'unsupported_grant_type',
      `Only the authorization_code and ${DEVICE_CODE_GRANT} grants are supported`,
    );
  }
  if (!values.code) return oauthError(reply, 'invalid_request', 'code is required');

  const code = await consumeCode(ctx.k, values.code);
  if (!code) return oauthError(reply, 'invalid_grant', 'The code is invalid, expired, or already used');
  if (code.clientId !== client.identifier)
    return oauthError(reply, 'invalid_grant', 'The code was issued to another client');
  if (isPast(code.expiresAt))
    return oauthError(reply, 'invalid_grant', 'The code is invalid, expired, or already used');
  // The redirect_uri must be repeated exactly (RFC 6749 4.1.3); it was verified at /authorize.
  if (values.redirect_uri !== code.redirectUri)
    return oauthError(reply, 'invalid_grant', 'redirect_uri does not match the authorization request');
  if (code.codeChallenge) {
    if (!values.code_verifier) return oauthError(reply, 'invalid_grant', 'code_verifier is required (PKCE)');
    if (!pkceMatches(code.codeChallengeMethod ?? 'plain', code.codeChallenge, values.code_verifier)) {
      return oauthError(reply, 'invalid_grant', 'code_verifier does not match the code_challenge');
    }
  } else if (values.code_verifier) {
    // A verifier for a code issued without a challenge means the request was not the one we saw.
    return oauthError(
      reply,
      'invalid_grant',
      'code_verifier given, but the authorization request had no code_challenge',
    );
  }
  const user = await findUserById(ctx.k, code.userId);
  if (!user) return oauthError(reply, 'invalid_grant', 'The user no longer exists');

  const expiresIn = ctx.config.oauth_token_expires_in;
  const { token } = await issueToken(
    ctx.k,
    ctx.db.kind,
    {
      owner: { kind: 'user', id: user.id },
      kind: 'oauth',
      clientId: client.identifier,
      sessionId: code.sessionId,
      note: `OAuth token for ${client.description}`,
      scopes: code.scopes,
      expiresIn,
    },
    { batch: ctx.tokenInserts },
  );
  req.log.info({ user: user.name, client: client.identifier }, 'OAuth token issued');
  return noStore(reply)
    .code(200)
    .send({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: code.scopes.join(' ') });
}
