import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, originOf } from '../audit/index.ts';
import { principalForUser } from '../auth/session.ts';
import { createToken } from '../commands/tokens/index.ts';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors/index.ts';
import { isPast } from '../lib/time.ts';
import { findUserById } from '../repo/users.ts';
import { deviceClient } from './device-client.ts';
import { claimDeviceLogin, type DeviceLogin, findByDeviceCode, notePoll, SLOW_DOWN_STEP } from './device-codes.ts';
import { noStore, oauthError } from './client-auth.ts';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** A poll that arrives this much early still counts as on time: requests do not leave and land evenly. */
const POLL_TOLERANCE_MS = 250;
const MAX_AGENT_IN_NOTE = 120;

/** The token list's note: where the login came from, as the approving user saw it. */
export function deviceNote(login: Pick<DeviceLogin, 'ip' | 'userAgent'>): string {
  const agent = (login.userAgent ?? 'unknown client').slice(0, MAX_AGENT_IN_NOTE);
  return `device login from ${login.ip ?? 'unknown address'} (${agent})`;
}

/**
 * The device code grant (RFC 8628 3.4, 3.5). While the user has not decided: authorization_pending, or
 * slow_down (and a longer interval from then on) for a device polling faster than it was told. A decided
 * login is claimed (deleted) before its answer is given, so its token is handed out at most once. The token
 * is the approving user's personal token, made by the same command as on the token page (policy, limits,
 * audit).
 */
export async function deviceCodeGrant(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  values: Record<string, string | null>,
): Promise<FastifyReply> {
  if (!values.device_code) return oauthError(reply, 'invalid_request', 'device_code is required');
  const client = await deviceClient(ctx, req, reply, values);
  if (!client) return reply;
  const login = await findByDeviceCode(ctx.k, values.device_code);
  const invalid = () => oauthError(reply, 'invalid_grant', 'The device code is invalid or already used');
  if (!login || login.clientId !== client.id) return invalid();
  if (isPast(login.expiresAt)) return oauthError(reply, 'expired_token', 'The device code has expired: start again');
  if (login.status === 'pending') {
    const early =
      login.lastPoll !== null && Date.now() - Date.parse(login.lastPoll) < login.interval * 1000 - POLL_TOLERANCE_MS;
    await notePoll(ctx.k, login, early);
    return early
      ? oauthError(reply, 'slow_down', `Poll at most every ${login.interval + SLOW_DOWN_STEP} seconds`)
      : oauthError(reply, 'authorization_pending', 'The user has not yet approved or denied this login');
  }
  if (!(await claimDeviceLogin(ctx.k, login.deviceHash))) return invalid();
  if (login.status === 'denied') return oauthError(reply, 'access_denied', 'The user denied this login');
  const user = login.userId === null ? undefined : await findUserById(ctx.k, login.userId);
  if (!user) return oauthError(reply, 'access_denied', 'The approving user no longer exists');
  // The approving user makes the token; the request (the device's address and agent) is where it went.
  const principal = await principalForUser(ctx, user, null);
  const caller = { origin: originOf(req, actorOf(principal)), principal };
  const scopes = login.approvedScopes ?? [];
  try {
    const { token, row } = await createToken(ctx, caller, {
      user: { id: user.id, name: user.name },
      note: deviceNote(login),
      scopes,
    });
    const expiresIn = row.expires_at ? Math.max(0, Math.round((Date.parse(row.expires_at) - Date.now()) / 1000)) : null;
    return noStore(reply)
      .code(200)
      .send({
        access_token: token,
        token_type: 'Bearer',
        ...(expiresIn === null ? {} : { expires_in: expiresIn }),
        scope: scopes.join(' '),
      });
  } catch (err) {
    // The token policy (a limit reached since the approval): the device learns why, as the user would.
    if (err instanceof HubError && err.status < 500) return oauthError(reply, 'access_denied', err.message);
    throw err;
  }
}
