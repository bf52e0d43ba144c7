import { normalizeUsername } from '../auth/usernames.ts';
import type { AuthenticatorConfig } from '../config/schema-authenticator.ts';

/**
 * JupyterHub's normalize_username for a name an authenticator vouched for: lowercased, then looked up
 * in username_map (keys compared lowercased too, so a map written with the provider's spelling works),
 * the mapped name lowercased like every hub name.
 */
export function loginName(a: Pick<AuthenticatorConfig, 'username_map'>, raw: string): string {
  const name = normalizeUsername(raw);
  for (const [from, to] of Object.entries(a.username_map))
    if (normalizeUsername(from) === name) return normalizeUsername(to);
  return name;
}
