import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { parseJson } from '../lib/json.ts';
import { isoIn, isoNow } from '../lib/time.ts';
import { safeEqual } from '../lib/secrets.ts';

/** How long an authorization code may wait to be exchanged (RFC 6749 recommends at most 10 minutes). */
export const CODE_LIFETIME_SECONDS = 300;

export interface NewCode {
  clientId: string;
  userId: number;
  sessionId: string | null;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
}

export interface StoredCode extends NewCode {
  expiresAt: string;
}

/** Codes are random and single-use, so a plain digest is as good as a slow hash, and findable by equality. */
function digest(code: string): string {
  return `sha256:${createHash('sha256').update(code).digest('hex')}`;
}

export async function createCode(k: Kysely<Database>, c: NewCode): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  const now = isoNow();
  // Expired codes are of no use to anyone: sweep them whenever a new one is made.
  await k.deleteFrom('oauth_codes').where('expires_at', '<=', now).execute();
  await k
    .insertInto('oauth_codes')
    .values({
      client_id: c.clientId,
      code_hash: digest(code),
      user_id: c.userId,
      session_id: c.sessionId,
      redirect_uri: c.redirectUri,
      scopes: JSON.stringify(c.scopes),
      code_challenge: c.codeChallenge,
      code_challenge_method: c.codeChallengeMethod,
      expires_at: isoIn(CODE_LIFETIME_SECONDS),
      created: now,
    })
    .execute();
  return code;
}

/**
 * Takes a code out of the store: the delete is the claim, so of two concurrent exchanges of one code
 * only one gets the row, and a code can never be used twice, whatever happens next.
 */
export async function consumeCode(k: Kysely<Database>, code: string): Promise<StoredCode | null> {
  const row = await k.deleteFrom('oauth_codes').where('code_hash', '=', digest(code)).returningAll().executeTakeFirst();
  if (!row) return null;
  return {
    clientId: row.client_id,
    userId: row.user_id,
    sessionId: row.session_id,
    redirectUri: row.redirect_uri,
    scopes: parseJson<string[]>(row.scopes, []),
    codeChallenge: row.code_challenge,
    codeChallengeMethod:
      row.code_challenge_method === 'S256' || row.code_challenge_method === 'plain' ? row.code_challenge_method : null,
    expiresAt: row.expires_at,
  };
}

/** RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~], for both the verifier and the challenge. */
export const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

export function pkceMatches(method: 'S256' | 'plain', challenge: string, verifier: string): boolean {
  if (!PKCE_VALUE.test(verifier)) return false;
  const derived = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return safeEqual(derived, challenge);
}
