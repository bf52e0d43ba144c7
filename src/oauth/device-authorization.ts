import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { isKnownScope } from '../rbac/index.ts';
import { deviceClient } from './device-client.ts';
import { createDeviceLogin, displayUserCode } from './device-codes.ts';
import { formValues, noStore, oauthError } from './client-auth.ts';

const MAX_AGENT = 500;
const MAX_SCOPES = 100;

/**
 * Where the user goes to approve: on the hub's public_url when one is configured, else on the address the
 * device reached the hub at (the device shows the URL to its own user, so a forged Host fools only itself).
 */
function verificationUri(ctx: HubContext, req: FastifyRequest): string {
  const path = `${ctx.baseUrl}hub/device`;
  const origin = ctx.config.public_url || `${req.protocol}://${req.host}`;
  return new URL(path, origin).href;
}

/**
 * POST /hub/api/oauth2/device_authorization (RFC 8628 3.1, 3.2): a device asks to log in. It gets a device
 * code to poll the token endpoint with, and a short user code for the user to enter at /hub/device while
 * signed in. The requested scopes are only checked to be scopes here; whether the user holds them is
 * checked when they approve.
 */
export async function deviceAuthorizationEndpoint(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const values = formValues(req, reply, ['client_id', 'client_secret', 'scope']);
  if (!values) return reply;
  const client = await deviceClient(ctx, req, reply, values);
  if (!client) return reply;
  const scopes = values.scope ? values.scope.split(/\s+/).filter(Boolean) : null;
  if (scopes && scopes.length > MAX_SCOPES) return oauthError(reply, 'invalid_scope', 'Too many scopes');
  const unknown = scopes?.find((s) => !isKnownScope(s, Object.keys(ctx.config.custom_scopes ?? {})));
  if (unknown !== undefined)
    return oauthError(reply, 'invalid_scope', `'${unknown.slice(0, 200)}' is not a known scope`);
  const agent = req.headers['user-agent'];
  const expiresIn = ctx.config.oauth_device_code_expires_in;
  const interval = ctx.config.oauth_device_poll_interval;
  const { deviceCode, userCode } = await createDeviceLogin(ctx.k, {
    clientId: client.id,
    scopes,
    ip: req.ip ?? null,
    userAgent: typeof agent === 'string' ? agent.slice(0, MAX_AGENT) : null,
    interval,
    expiresIn,
  });
  req.log.info({ client: client.id }, 'device login requested');
  const uri = verificationUri(ctx, req);
  const shown = displayUserCode(userCode);
  return noStore(reply)
    .code(200)
    .send({
      device_code: deviceCode,
      user_code: shown,
      verification_uri: uri,
      verification_uri_complete: `${uri}?user_code=${encodeURIComponent(shown)}`,
      expires_in: expiresIn,
      interval,
    });
}
