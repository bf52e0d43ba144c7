import type { Kysely } from 'kysely';
import type { Database, DbKind } from '../db/index.ts';
import { isoNow } from '../lib/time.ts';
import { deleteOAuthClient, upsertOAuthClient } from '../repo/oauth-clients.ts';
import { activeTokenIds, revokeTokens } from '../repo/tokens.ts';
import { digestToken } from '../tokens/format.ts';
import type { TokenInsertBatch } from '../tokens/insert-batch.ts';
import { issueToken } from '../tokens/issue.ts';
import { serverClientId } from './names.ts';

/** The note that ties a server token to its server: revocation finds the token by it. */
export const tokenNote = (prefix: string) => `Server at ${prefix}`;

/** The URL prefix of the server a token was issued to, or null for any other token. */
export function serverPrefixOfToken(token: { kind: string; note: string }): string | null {
  const prefix = tokenNote('');
  return token.kind === 'server' && token.note.startsWith(prefix) ? token.note.slice(prefix.length) : null;
}

/**
 * The scopes of a server's token: `server_token_scopes`, or the `server` role's (its user's activity,
 * access to itself). As in JupyterHub's role scopes, a bare `!user` / `!server` filter means the
 * server's owner / the server itself.
 */
export function serverTokenScopes(configured: readonly string[] | null, user: string, server: string): string[] {
  const scopes = configured ?? ['users:activity!user', 'access:servers!server'];
  return scopes.map((s) => s.replace(/!user$/, `!user=${user}`).replace(/!server$/, `!server=${user}/${server}`));
}

/**
 * What a starting server holds: its API token (activity of its user, access to itself) and its OAuth
 * client, whose secret is that token, as JupyterHub gives every single-user server.
 */
export async function issueServerCredentials(
  k: Kysely<Database>,
  dbKind: DbKind,
  user: { id: number; name: string },
  server: string,
  prefix: string,
  scopes: string[],
  batch: TokenInsertBatch | null,
): Promise<{ token: string; clientId: string }> {
  const { token } = await issueToken(
    k,
    dbKind,
    { owner: { kind: 'user', id: user.id }, kind: 'server', note: tokenNote(prefix), scopes, expiresIn: null },
    { batch },
  );
  const clientId = serverClientId(user.name, server);
  await upsertOAuthClient(k, {
    identifier: clientId,
    description: tokenNote(prefix),
    secretHash: digestToken(token),
    redirectUri: `${prefix}oauth_callback`,
    allowedScopes: [],
  });
  return { token, clientId };
}

/** Revokes a stopped server's token and deletes its OAuth client (its user's other servers keep theirs). */
export async function revokeServerCredentials(
  k: Kysely<Database>,
  user: { id: number; name: string },
  server: string,
  prefix: string,
): Promise<void> {
  const tokens = await activeTokenIds(k, { userId: user.id, kind: 'server' });
  const own = await k
    .selectFrom('api_tokens')
    .select('id')
    .where('id', 'in', tokens.length ? tokens : [0])
    .where('note', '=', tokenNote(prefix))
    .execute();
  await revokeTokens(
    k,
    own.map((t) => t.id),
    isoNow(),
  );
  await deleteOAuthClient(k, serverClientId(user.name, server));
}
