import type { FastifyInstance } from 'fastify';

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
