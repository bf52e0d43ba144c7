import { Type } from 'typebox';
import type { Static } from 'typebox';
import type { Problem } from './errors.ts';
import { fillTemplate } from '../authenticators/ldap/escape.ts';
import { displayPath } from './errors.ts';
import { bool, nullable, section, str, strList } from './schema-util.ts';

// The keys and their meanings follow JupyterHub's LDAPAuthenticator (ldapauthenticator 2.0), so a
// `c.LDAPAuthenticator.x = ...` line translates to `authenticator.ldap.x`.

const text = (description: string) => nullable(Type.String({ minLength: 1 }), description);

export const LdapSchema = section(
  {
    server_address: str('', 'Host name or IP address of the LDAP server (no scheme, no port).', { minLength: 0 }),
    server_port: nullable(
      Type.Integer({ minimum: 1, maximum: 65535 }),
      'Port of the LDAP server; null means 636 with tls_strategy: on_connect, else 389.',
    ),
    tls_strategy: Type.Union([Type.Literal('before_bind'), Type.Literal('on_connect'), Type.Literal('insecure')], {
      default: 'before_bind',
      description:
        'before_bind: plain connection upgraded with StartTLS before any credentials are sent; on_connect: TLS from the start (ldaps, usually port 636); insecure: no TLS at all (passwords travel in clear text).',
    }),
    tls_kwargs: section(
      {
        ca_certs_file: text(
          "A PEM file of the certificate authorities the server's certificate must chain to; null uses the system's.",
        ),
      },
      "How the server's TLS certificate is checked; it is always checked, against its host name too.",
    ),
    bind_dn_template: strList(
      [],
      'DN templates tried in order to bind as the user; {username} is replaced by the name (escaped as a DN value, RFC 4514). Empty with lookup_dn: the DN found by the lookup.',
    ),
    escape_userdn: bool(
      false,
      'Accepted for compatibility and ignored: DN values are always escaped (as upstream 2.0).',
    ),
    valid_username_regex: str(
      '^[a-z][.a-z0-9_-]*$',
      'Login names that do not match this regular expression (from their start, as Python re.match) are refused before the directory is asked.',
    ),
    lookup_dn: bool(
      false,
      "Find the user's DN with a search (user_search_base, user_attribute) instead of building it from bind_dn_template.",
    ),
    user_search_base: text('Where users are searched for, with lookup_dn or search_filter.'),
    user_attribute: text('The attribute holding the login name (uid for OpenLDAP, sAMAccountName for AD).'),
    lookup_dn_search_filter: str(
      '({login_attr}={login})',
      'The lookup filter; {login_attr} is user_attribute, {login} the login name (escaped, RFC 4515).',
    ),
    lookup_dn_search_user: text('DN of the account that binds to do the lookup; null with no password: anonymous.'),
    lookup_dn_search_password: text('Password of lookup_dn_search_user.'),
    lookup_dn_user_dn_attribute: text(
      'The attribute of the found entry whose value fills {username} in bind_dn_template (and, with use_lookup_dn_username, becomes the hub name).',
    ),
    use_lookup_dn_username: bool(
      false,
      'With lookup_dn: the hub name is the value of lookup_dn_user_dn_attribute instead of the name typed in.',
    ),
    search_filter: str(
      '',
      'A filter the user must match exactly once (searched under user_search_base after the bind, as the user); {userattr} is user_attribute, {username} the name (escaped). Empty: no such check.',
      { minLength: 0 },
    ),
    attributes: strList([], 'Attributes asked for in the search_filter search.'),
    allowed_groups: strList(
      [],
      'DNs of groups whose members may log in; when set, allow_all no longer admits everyone. Membership is group_search_filter matched on each group entry.',
    ),
    admin_groups: strList(
      [],
      'DNs of groups whose members are admins and may log in; when set, others lose admin at login unless in admin_users (not in upstream).',
    ),
    group_search_base: text(
      'When set, the groups are found with one subtree search here instead of one read per group DN (not in upstream 2.0).',
    ),
    group_search_filter: str(
      '(|(member={userdn})(uniqueMember={userdn})(memberUid={uid}))',
      "Matches a group the user is in; {userdn} is the user's DN and {uid} the name, both escaped (RFC 4515).",
    ),
    group_attributes: strList(['member', 'uniqueMember', 'memberUid'], 'Attributes asked for in the group search.'),
    auth_state_attributes: strList(
      [],
      "User attributes read after login, kept with authenticator.enable_auth_state as auth_state['user_attributes'] (each a list of values), beside auth_state['ldap_groups'] (the allowed_groups and admin_groups DNs the user is in).",
    ),
  },
  'Login against an LDAP directory (authenticator.class: ldap): the hub binds as the user with the password typed in.',
);

export type LdapConfig = Static<typeof LdapSchema>;

/** What the keys cannot say alone: a server, and a way to find the user's DN. */
export function ldapProblems(cls: string, l: LdapConfig): Problem[] {
  if (cls !== 'ldap') return [];
  const out: Problem[] = [];
  const at = (key: string, message: string) => {
    const path = ['authenticator', 'ldap', key];
    out.push({ path, display: displayPath(path), kind: 'invalid', text: message });
  };
  if (!l.server_address) at('server_address', 'is required with authenticator.class: ldap');
  if (!l.lookup_dn && !l.bind_dn_template.some(Boolean)) at('bind_dn_template', 'set it, or lookup_dn: true');
  if (l.lookup_dn) {
    for (const key of ['user_search_base', 'user_attribute', 'lookup_dn_user_dn_attribute'] as const)
      if (!l[key]) at(key, 'is required with lookup_dn: true');
  }
  if (l.search_filter && !l.user_search_base) at('user_search_base', 'is required with search_filter');
  // A template naming a field it does not get would fail every login: say so at start-up instead.
  const fields = {
    bind_dn_template: ['username'],
    lookup_dn_search_filter: ['login_attr', 'login'],
    search_filter: ['userattr', 'username'],
    group_search_filter: ['userdn', 'uid'],
  } as const;
  for (const [key, names] of Object.entries(fields)) {
    const values = Object.fromEntries(names.map((n) => [n, 'x']));
    for (const t of [l[key as keyof typeof fields]].flat()) {
      try {
        fillTemplate(t, values);
      } catch {
        at(key, `${JSON.stringify(t)} may only use the fields ${names.map((n) => `{${n}}`).join(', ')}`);
      }
    }
  }
  try {
    new RegExp(l.valid_username_regex);
  } catch (err) {
    at('valid_username_regex', `is not a valid regular expression: ${(err as Error).message}`);
  }
  return out;
}
