import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality for secrets (tokens, MACs, XSRF tokens, client secrets, PKCE values). Both
 * sides are hashed first, so the buffers compared are always of equal length and the time taken tells
 * nothing about where, or whether by length, the two differ.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
