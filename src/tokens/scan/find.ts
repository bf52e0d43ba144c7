import { hasValidChecksum, TOKEN_LENGTH, TOKEN_PREFIX } from '../format.ts';

// Where this hub's token format is known to the scanner and the leak intake: the one place to switch when
// the typed formats (and the published regex) land. A candidate is the prefix and the base62 body, not
// glued to more word characters on either side (a longer run is some other string, not a token).
const BODY_LENGTH = TOKEN_LENGTH - TOKEN_PREFIX.length;
const CANDIDATE = new RegExp(`(?<![0-9A-Za-z_])${TOKEN_PREFIX}[0-9A-Za-z]{${BODY_LENGTH}}(?![0-9A-Za-z_])`, 'g');

/** Whether `s` is, whole, a well-formed token of this hub (right shape and checksum): worth a database lookup. */
export function isHubToken(s: string): boolean {
  return hasValidChecksum(s);
}

/** The well-formed tokens of this hub in `text`, each once, in order of appearance; look-alikes are left out. */
export function findTokens(text: string): string[] {
  if (!text.includes(TOKEN_PREFIX)) return [];
  const found = new Set<string>();
  for (const m of text.matchAll(CANDIDATE)) if (isHubToken(m[0])) found.add(m[0]);
  return [...found];
}
