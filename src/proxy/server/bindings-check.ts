// The token checks the forwarding engine makes before routing a request: a token the hub refused, then a
// bound token used from outside its addresses or before its time; either is answered 403 here.
import type { Logger } from 'pino';
import { bindingFailure } from '../../tokens/binding.ts';
import { digestToken } from '../../tokens/format.ts';
import type { TokenBindings } from './bindings.ts';
import type { ErrorPage } from './error-pages.ts';
import type { RequestHead } from './http-parse.ts';
import { refusalPage, refusedToken } from './refusal-check.ts';
import type { RefusedTokens } from './refused-tokens.ts';
import { requestTokens } from './request-tokens.ts';

/** The 403 page for a request whose token is refused or out of its binding (from `peer`), or null. */
export function tokenRefusal(
  req: RequestHead,
  o: { refused: RefusedTokens; bindings: TokenBindings; log: Logger },
  peer: string,
): ErrorPage | null {
  const refused = refusedToken(req, o.refused, o.log);
  // No bound token (the usual state): nothing more is hashed.
  if (refused || o.bindings.size === 0) return refused;
  for (const token of requestTokens(req)) {
    const digest = digestToken(token);
    const binding = o.bindings.of(digest);
    const reason = binding && bindingFailure(binding, peer);
    if (!reason) continue;
    o.log.warn(
      { method: req.method, url: req.url.split('?')[0], reason, peer, digest: digest.slice(0, 19) },
      'refused a request with a token outside its binding',
    );
    return refusalPage(reason);
  }
  return null;
}
