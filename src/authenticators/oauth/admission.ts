import type { AuthenticatorConfig } from '../../config/schema-authenticator.ts';
import { normalizeUsername, validateUsername } from '../../auth/usernames.ts';

/** What the provider told us about the person: userinfo (or userdata_url's answer) and the verified id_token. */
export interface Identity {
  oauth_user: Record<string, unknown>;
  id_token: Record<string, unknown>;
  /** What a preset (github, gitlab, google, azuread) found out with the access token. */
  preset?: PresetFindings;
}

/**
 * A preset's own allow rule (GitHub organizations, GitLab groups and projects). Like allowed_groups, a
 * configured rule closes allow_all: only its members (and the hub's own lists) get in.
 */
export interface Membership {
  configured: boolean;
  member: boolean;
  /** The keys, for the refusal's reason: "allowed_organizations". */
  what: string;
}

export interface PresetFindings {
  /** The hub name when the preset derives it otherwise than from username_claim (Google's one hosted_domain). */
  username?: string;
  membership?: Membership;
  /** What the preset keeps for auth_state, under upstream's keys (GitHub's `teams`). */
  auth_state?: Record<string, unknown>;
}

/** The value at a dotted path (`oauth_user.realm_access.roles`), or undefined. */
export function valueAt(root: unknown, path: string): unknown {
  let v = root;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** The hub name: username_claim from userinfo, else from the id_token; lowercased like every name. */
export function usernameOf(claim: string, who: Identity): string | null {
  const raw = who.preset?.username ?? valueAt(who.oauth_user, claim) ?? valueAt(who.id_token, claim);
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  return normalizeUsername(String(raw));
}

/** The groups at auth_state_groups_key; a single string counts as one group, anything else as none. */
export function groupsOf(key: string, who: Identity): string[] {
  const v = valueAt(who, key);
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
}

export type Admission =
  | { allowed: true /** true/false when admin_groups decides; undefined leaves it to admin_users. */; admin?: boolean }
  | { allowed: false; why: string };

/**
 * OAuthenticator's checks, in JupyterHub's order: a valid name, not blocked, then allowed (allow_all,
 * allowed_users, admin_users, allowed_groups, admin_groups, and `existing`: allow_existing_users found the
 * name among the hub's users). Setting allowed_groups restricts the hub to its members whatever allow_all
 * says: an admin who lists the allowed groups means only them.
 */
export function admit(
  a: AuthenticatorConfig,
  name: string,
  groups: string[],
  membership?: Membership,
  existing = false,
): Admission {
  const pattern = a.username_pattern ? new RegExp(`^(?:${a.username_pattern})$`) : null;
  if (!validateUsername(name, pattern)) return { allowed: false, why: 'invalid username' };
  if (a.blocked_users.includes(name)) return { allowed: false, why: 'in blocked_users' };
  const o = a.oauth;
  const inAdminGroups = groups.some((g) => o.admin_groups.includes(g));
  const admin = o.admin_groups.length ? inAdminGroups || a.admin_users.includes(name) : undefined;
  const listed = a.allowed_users.includes(name) || a.admin_users.includes(name) || inAdminGroups || existing;
  const inAllowedGroups = groups.some((g) => o.allowed_groups.includes(g));
  const open = a.allow_all === true && o.allowed_groups.length === 0 && !membership?.configured;
  if (listed || inAllowedGroups || membership?.member || open) return { allowed: true, admin };
  if (o.allowed_groups.length)
    return { allowed: false, why: `not in allowed_groups (groups: ${groups.join(', ') || 'none'})` };
  return { allowed: false, why: membership?.configured ? `not a member of any of ${membership.what}` : 'not allowed' };
}
