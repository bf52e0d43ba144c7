import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { callerOf } from '../commands/deps.ts';
import type { TokenCommandDeps } from '../commands/tokens/deps.ts';
import { retireOnFirstUse } from '../commands/tokens/retire-on-use.ts';
import type { Database } from '../db/index.ts';
import type { Permissions } from './permissions.ts';

/**
 * GitHub's form of a token's expiry (`2026-12-31 23:59:59 UTC`): scripts written against GitHub read
 * this header by that name and format, so it is given beside our own ISO 8601 one.
 */
export function githubExpiryFormat(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * Every answer to a request authenticated by a token that expires says when, so a client cannot miss it
 * (`Tshub-Token-Expiration`, and GitHub's `GitHub-Authentication-Token-Expiration`). Set in onSend, so
 * error answers carry it too; a never-expiring token and a browser session get neither header.
 */
export function registerTokenExpiryHeaders(app: FastifyInstance<any, any, any, any, any>): void {
  app.addHook('onSend', async (req, reply) => {
    const expires = req.principal?.token?.expires_at;
    if (!expires) return;
    reply.header('tshub-token-expiration', new Date(expires).toISOString());
    reply.header('github-authentication-token-expiration', githubExpiryFormat(expires));
  });
}

/** Whether a rotation's successor still has a predecessor waiting for its first use (retire_on_use). */
async function waitingPredecessor(k: Kysely<Database>, newId: number): Promise<boolean> {
  const r = await k.selectFrom('token_retire_on_use').select('old_id').where('new_id', '=', newId).executeTakeFirst();
  return r !== undefined;
}

/**
 * After authentication: a request made with a rotation's successor retires the predecessor that waits for
 * it. Only tokens made by rotation are looked up, once per permissions generation (retiring invalidates).
 */
export function registerRetireOnUse(
  app: FastifyInstance<any, any, any, any, any>,
  deps: TokenCommandDeps & { permissions: Permissions },
): void {
  const waiting = deps.permissions.cache<number, boolean>();
  app.addHook('onRequest', async (req) => {
    const token = req.principal?.token;
    if (!token || token.rotated_from === null) return;
    if (await waiting.through(token.id, () => waitingPredecessor(deps.k, token.id)))
      await retireOnFirstUse(deps, callerOf(req), token);
  });
}
