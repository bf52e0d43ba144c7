import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../context.ts';
import { CLI_CLIENT_ID } from './device-codes.ts';
import { authenticateClient, hasClientCredentials, oauthError } from './client-auth.ts';

export interface DeviceClient {
  id: string;
  /** What the approval page calls it. */
  description: string;
}

/**
 * The client of a device login: the built-in public `tshub-cli` (no credentials, RFC 8628 3.1), or a
 * registered OAuth client (a service's) authenticated by its secret, as at the token endpoint. Replies and
 * returns null when neither.
 */
export async function deviceClient(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  values: Record<string, string | null>,
): Promise<DeviceClient | null> {
  if (values.client_id === CLI_CLIENT_ID) {
    if (!hasClientCredentials(req, values)) return { id: CLI_CLIENT_ID, description: 'tshub login (command line)' };
    oauthError(reply, 'invalid_client', `${CLI_CLIENT_ID} is a public client: send no secret`);
    return null;
  }
  const client = await authenticateClient(ctx, req, reply, values);
  return client && { id: client.identifier, description: client.description };
}
