import type { Logger } from 'pino';
import type { LdapConfig } from '../../config/schema-ldap.ts';
import { type LdapSession, type OpenSession, openSession } from './client.ts';
import { escapeDnValue, escapeFilterValue, fillTemplate, firstRdnValue } from './escape.ts';

/** Who the directory vouched for: the hub name (not yet normalized) and the configured groups they are in. */
export interface LdapIdentity {
  name: string;
  dn: string;
  /** The entries of allowed_groups and admin_groups (as configured) the user is a member of. */
  groups: string[];
  /**
   * With `groupNames` asked for (manage_groups): the user's groups by name (the first RDN's value): every
   * group group_search_base finds, else those of allowed_groups and admin_groups.
   */
  groupNames: string[];
  /** auth_state_attributes of the user's entry, kept in auth_state (with enable_auth_state). */
  attributes: Record<string, string[]>;
}

const short = (s: string) => s.slice(0, 64);

/** Python's re.match: anchored at the start only, as upstream applies valid_username_regex. */
function matchesFromStart(pattern: string, s: string): boolean {
  return new RegExp(pattern, 'y').test(s);
}

/** DNs compared as the directory would for the usual cases: case and spaces after separators ignored. */
function sameDn(a: string, b: string): boolean {
  const norm = (dn: string) => dn.replace(/\s*([,=+])\s*/g, '$1').toLowerCase();
  return norm(a) === norm(b);
}

async function using<T>(open: OpenSession, l: LdapConfig, use: (s: LdapSession) => Promise<T>): Promise<T> {
  const s = open(l);
  try {
    return await use(s);
  } finally {
    await s.close();
  }
}

/** lookup_dn: the value of lookup_dn_user_dn_attribute and the DN of the one entry the login name finds. */
async function resolveUser(
  l: LdapConfig,
  log: Logger,
  login: string,
  open: OpenSession,
): Promise<{ name: string; dn: string } | null> {
  const attr = l.lookup_dn_user_dn_attribute ?? '';
  return using(open, l, async (s) => {
    const user = l.lookup_dn_search_user;
    if (user !== null || l.lookup_dn_search_password !== null) {
      if (!user || !l.lookup_dn_search_password || !(await s.bind(user, l.lookup_dn_search_password))) {
        log.error({ search_user: user }, 'ldap: failed to bind lookup_dn_search_user');
        return null;
      }
    }
    const filter = fillTemplate(l.lookup_dn_search_filter, {
      login_attr: l.user_attribute ?? '',
      login: escapeFilterValue(login),
    });
    const found = await s.search(l.user_search_base ?? '', 'sub', filter, [attr]);
    if (found.length !== 1) {
      log.warn({ user: short(login), entries: found.length }, 'ldap: lookup_dn did not find exactly one entry');
      return null;
    }
    const values = found[0]!.attributes[attr] ?? [];
    if (values.length !== 1) {
      log.error(
        { attribute: attr, values: values.length },
        'ldap: lookup_dn_user_dn_attribute needs exactly one value',
      );
      return null;
    }
    return { name: values[0]!, dn: found[0]!.dn };
  });
}

/**
 * The configured groups (allowed_groups, admin_groups) whose entry says the user is a member, and with
 * `all` (manage_groups) the names of the user's groups: under group_search_base every group the filter
 * finds, else the configured ones.
 */
async function memberships(
  l: LdapConfig,
  s: LdapSession,
  user: { dn: string; name: string },
  all: boolean,
): Promise<{ configured: string[]; names: string[] }> {
  const wanted = [...new Set([...l.allowed_groups, ...l.admin_groups])];
  const searchAll = all && l.group_search_base !== null;
  if (!wanted.length && !searchAll) return { configured: [], names: [] };
  const filter = fillTemplate(l.group_search_filter, {
    userdn: escapeFilterValue(user.dn),
    uid: escapeFilterValue(user.name),
  });
  if (l.group_search_base) {
    const found = await s.search(l.group_search_base, 'sub', filter, l.group_attributes);
    const configured = wanted.filter((g) => found.some((e) => sameDn(e.dn, g)));
    return { configured, names: all ? found.map((e) => firstRdnValue(e.dn)) : [] };
  }
  const configured: string[] = [];
  for (const g of wanted) if ((await s.search(g, 'base', filter, l.group_attributes)).length) configured.push(g);
  return { configured, names: all ? configured.map(firstRdnValue) : [] };
}

/**
 * LDAPAuthenticator.authenticate: the login name checked against valid_username_regex, an empty
 * password refused before any connection (an LDAP bind with an empty password is an anonymous bind,
 * which servers accept), the DN looked up or built, a bind as the user, then search_filter and the
 * group memberships read with the user's own rights. Null for any refusal; throws the catalogue's
 * ldap_unavailable when the server cannot be asked. The password is never logged.
 */
export async function authenticateLdap(
  l: LdapConfig,
  log: Logger,
  login: string,
  password: string,
  open: OpenSession = openSession,
  opts: { groupNames?: boolean } = {},
): Promise<LdapIdentity | null> {
  if (!matchesFromStart(l.valid_username_regex, login)) {
    log.warn({ user: short(login) }, 'ldap: login refused, the name does not match valid_username_regex');
    return null;
  }
  if (password.trim() === '') {
    log.warn({ user: short(login) }, 'ldap: login refused for a blank password');
    return null;
  }
  let resolved = { name: login, dn: '' };
  if (l.lookup_dn) {
    const found = await resolveUser(l, log, login, open);
    if (!found) return null;
    resolved = found;
  }
  const templates = l.bind_dn_template.filter(Boolean);
  const dns = templates.length
    ? templates.map((t) => fillTemplate(t, { username: escapeDnValue(resolved.name) }))
    : [resolved.dn];
  for (const dn of dns) {
    const s = open(l);
    try {
      if (!(await s.bind(dn, password))) continue;
      log.debug({ user: short(login), dn }, 'ldap: bound');
      return await afterBind(l, log, s, login, { name: resolved.name, dn }, opts.groupNames === true);
    } finally {
      await s.close();
    }
  }
  log.warn({ user: short(login) }, 'ldap: no bind succeeded (unknown user or wrong password)');
  return null;
}

async function afterBind(
  l: LdapConfig,
  log: Logger,
  s: LdapSession,
  login: string,
  user: { name: string; dn: string },
  groupNames: boolean,
): Promise<LdapIdentity | null> {
  if (l.search_filter) {
    const filter = fillTemplate(l.search_filter, {
      userattr: l.user_attribute ?? '',
      username: escapeFilterValue(user.name),
    });
    const n = (await s.search(l.user_search_base ?? '', 'sub', filter, l.attributes)).length;
    if (n !== 1) {
      log.warn({ user: short(login), entries: n }, 'ldap: login refused, search_filter must find exactly one entry');
      return null;
    }
  }
  const groups = await memberships(l, s, user, groupNames);
  const attributes = l.auth_state_attributes.length
    ? ((await s.search(user.dn, 'base', '(objectClass=*)', l.auth_state_attributes))[0]?.attributes ?? {})
    : {};
  const name = l.lookup_dn && l.use_lookup_dn_username ? user.name : login;
  return { name, dn: user.dn, groups: groups.configured, groupNames: groups.names, attributes };
}
