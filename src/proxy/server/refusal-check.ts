// The check the forwarding engine makes on every request before routing it: a request that carries a
// token the hub refused is answered 403 here, so a server that cached the hub's earlier "yes" never sees it.
import type { Logger } from 'pino';
import { digestToken } from '../../tokens/format.ts';
import type { ErrorPage } from './error-pages.ts';
import type { RequestHead } from './http-parse.ts';
import type { RefusedTokens } from './refused-tokens.ts';
import { requestTokens } from './request-tokens.ts';

// As the hub words a refused credential (src/errors/auth.ts), so clients see one answer wherever it comes from.
const MESSAGE = 'Missing or invalid credentials.';

export function refusalPage(reason: string): ErrorPage {
  return {
    status: 403,
    headers: 'Content-Type: application/json\r\n',
    body: Buffer.from(JSON.stringify({ status: 403, message: MESSAGE, reason })),
  };
}

/** The 403 page for a request carrying a refused token, or null; each refusal is logged (never the token). */
export function refusedToken(req: RequestHead, refused: RefusedTokens, log: Logger): ErrorPage | null {
  // Nothing refused (the usual state): no token is looked for or hashed.
  if (refused.size === 0) return null;
  for (const token of requestTokens(req)) {
    const digest = digestToken(token);
    const reason = refused.reasonOf(digest);
    if (reason === null) continue;
    // The digest's start finds the token's row (api_tokens.hashed) and reveals nothing usable.
    log.warn(
      { method: req.method, url: req.url.split('?')[0], reason, digest: digest.slice(0, 19), upgrade: req.upgrade },
      'refused a request carrying a refused token',
    );
    return refusalPage(reason);
  }
  return null;
}
