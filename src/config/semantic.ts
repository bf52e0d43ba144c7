import { displayPath, REDACTED } from './errors.ts';
import type { PathSegment, Problem } from './errors.ts';
import type { Config } from './schema.ts';
import { landingProblems } from './schema-landing.ts';
import { ldapProblems } from './schema-ldap.ts';
import { isOAuthClass, oauthProblems } from './schema-oauth.ts';
import { profileProblems } from '../spawners/profiles/problems.ts';
import { isWellFormedToken, looksGenerated } from '../tokens/format.ts';

// Rules that span several keys, checked once every key has the right type.

function problem(path: PathSegment[], text: string): Problem {
  return { path, display: displayPath(path), kind: 'invalid', text };
}

function duplicates(names: readonly string[], list: string, what: string, out: Problem[]): void {
  const first = new Map<string, number>();
  names.forEach((name, i) => {
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, i);
    else
      out.push(problem([list, i, 'name'], `duplicate ${what} name ${JSON.stringify(name)} (also ${list}[${earlier}])`));
  });
}

export function semanticProblems(c: Config): Problem[] {
  const out: Problem[] = [
    ...oauthProblems(c.authenticator.class, c.authenticator.oauth),
    ...ldapProblems(c.authenticator.class, c.authenticator.ldap),
    ...profileProblems(c.spawner),
    ...landingProblems(c),
  ];

  duplicates(
    c.services.map((s) => s.name),
    'services',
    'service',
    out,
  );
  duplicates(
    c.load_roles.map((r) => r.name),
    'load_roles',
    'role',
    out,
  );

  // One token, two owners: a lookup could not tell who is calling.
  const owners = new Map<string, string>();
  for (const [token, user] of Object.entries(c.api_tokens))
    owners.set(token, `api_tokens (user ${JSON.stringify(user)})`);
  c.services.forEach((s, i) => {
    if (s.api_token === null) return;
    const other = owners.get(s.api_token);
    if (other !== undefined) {
      out.push(
        problem(
          ['services', i, 'api_token'],
          `the same token (${REDACTED}) is also given in ${other}; each token needs its own owner`,
        ),
      );
    }
    owners.set(s.api_token, `services[${i}].api_token`);
  });

  // A tshub-format token with a broken checksum is refused before any lookup, so it could never work.
  const broken = (t: string) => looksGenerated(t) && !isWellFormedToken(t);
  if (Object.keys(c.api_tokens).some(broken))
    out.push(
      problem(
        ['api_tokens'],
        `a token starting with tshub_ has a wrong checksum (${REDACTED}); copy it again from \`tshub token\``,
      ),
    );
  c.services.forEach((s, i) => {
    if (s.api_token !== null && broken(s.api_token))
      out.push(problem(['services', i, 'api_token'], `starts with tshub_ but has a wrong checksum (${REDACTED})`));
  });

  if (c.api_page_default_limit > c.api_page_max_limit) {
    out.push(
      problem(
        ['api_page_default_limit'],
        `must not exceed api_page_max_limit (${c.api_page_default_limit} > ${c.api_page_max_limit})`,
      ),
    );
  }
  const range = c.spawner.port_range;
  if (range !== null && range[0] > range[1]) {
    out.push(
      problem(['spawner', 'port_range'], `the first port must not be above the second, got [${range[0]}, ${range[1]}]`),
    );
  }
  const pattern = c.authenticator.username_pattern;
  if (pattern !== null) {
    try {
      new RegExp(pattern);
    } catch (err) {
      out.push(
        problem(['authenticator', 'username_pattern'], `is not a valid regular expression: ${(err as Error).message}`),
      );
    }
  }
  const t = c.tokens;
  if (
    t.default_expires_in !== null &&
    t.expires_in_max_seconds !== null &&
    t.default_expires_in > t.expires_in_max_seconds
  ) {
    out.push(
      problem(
        ['tokens', 'default_expires_in'],
        `must not exceed tokens.expires_in_max_seconds (${t.default_expires_in} > ${t.expires_in_max_seconds})`,
      ),
    );
  }
  return out;
}

/**
 * JupyterHub 5's computed defaults of the allow rules, for the keys left null: allow_all is true only
 * for the dummy class without allowed_users (so a hub with no config lets anyone try it), and
 * allow_existing_users is true once allowed_users is set, as upstream, and for the password class,
 * whose accounts exist only because an admin, `tshub passwd` or an approved sign-up made them.
 */
export function resolveAllowDefaults(c: Config): void {
  const a = c.authenticator;
  a.allow_all ??= a.class === 'dummy' && a.allowed_users.length === 0;
  a.allow_existing_users ??= a.allowed_users.length > 0 || a.class === 'password';
}

/** The start-up warning when nothing in the config lets anyone log in (upstream's "No allow config found"), or null. */
export function noAllowConfigWarning(c: Config): string | null {
  if (anyAllowConfig(c)) return null;
  return `No allow config found: nobody can log in to this hub (authenticator.class: ${c.authenticator.class}). Set authenticator.allow_all: true to let in everyone the authenticator accepts, or allowed_users, allow_existing_users or the class's allowed groups to say who.`;
}

/** Whether anything in the config lets someone log in. */
function anyAllowConfig(c: Config): boolean {
  const a = c.authenticator;
  const o = a.oauth;
  const lists: unknown[][] = [a.allowed_users, a.admin_users];
  if (a.class === 'ldap') lists.push(a.ldap.allowed_groups, a.ldap.admin_groups);
  if (isOAuthClass(a.class)) lists.push(o.allowed_groups, o.admin_groups);
  if (a.class === 'github') lists.push(o.allowed_organizations);
  if (a.class === 'gitlab') lists.push(o.allowed_gitlab_groups, o.allowed_project_ids);
  return a.allow_all === true || a.allow_existing_users === true || lists.some((l) => l.length > 0);
}
