// Login against an LDAP directory (authenticator.class: ldap), on ldapts.
import type { Logger } from 'pino';
import type { AuthenticatorConfig } from '../../config/schema-authenticator.ts';
import { loginName } from '../username-map.ts';
import { admit } from '../oauth/admission.ts';
import { authenticateLdap } from './authenticate.ts';
import type { OpenSession } from './client.ts';

export { authenticateLdap, type LdapIdentity } from './authenticate.ts';
export { escapeDnValue, escapeFilterValue, fillTemplate, firstRdnValue } from './escape.ts';
export { type LdapSession, type OpenSession, openSession } from './client.ts';

/** A login the directory vouched for and the hub's lists admit, with admin_groups' verdict when set. */
export interface LdapLogin {
  name: string;
  admin?: boolean;
  allowed: true;
  /** With manage_groups: the user's directory groups by name, to become their hub groups. */
  groups?: string[];
  /** With enable_auth_state: upstream's LDAP auth_state (the groups found, the auth_state_attributes). */
  auth_state?: Record<string, unknown>;
}

/**
 * The directory's answer, then admission with the same group rules as an identity provider's
 * (allowed_groups restricts the hub to its members and those listed; admin_groups grants and
 * removes admin), so `allowed: true` can be passed on to admitUser. `existing` answers
 * allow_existing_users: whether the name is a user the hub has already.
 */
export async function ldapLogin(
  a: AuthenticatorConfig,
  log: Logger,
  login: string,
  password: string,
  open?: OpenSession,
  existing: (name: string) => Promise<boolean> = async () => false,
): Promise<LdapLogin | null> {
  const who = await authenticateLdap(a.ldap, log, login, password, open, { groupNames: a.manage_groups });
  if (!who) return null;
  const name = loginName(a, who.name);
  const { allowed_groups, admin_groups } = a.ldap;
  const groupRules = { ...a, oauth: { ...a.oauth, allowed_groups, admin_groups } };
  const verdict = admit(groupRules, name, who.groups, undefined, await existing(name));
  if (!verdict.allowed) {
    log.warn({ user: name.slice(0, 64), why: verdict.why }, 'ldap: login not allowed');
    return null;
  }
  return {
    name,
    allowed: true,
    ...(verdict.admin === undefined ? {} : { admin: verdict.admin }),
    ...(a.manage_groups ? { groups: who.groupNames } : {}),
    ...(a.enable_auth_state ? { auth_state: { ldap_groups: who.groups, user_attributes: who.attributes } } : {}),
  };
}
