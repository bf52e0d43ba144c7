import { HubError } from './hub-error.ts';

// Refusals of a login against an LDAP directory that are not a wrong name or password.

/** The directory could not be asked (down, TLS refused): not the person's fault, so no 403. */
export const ldapUnavailable = () =>
  new HubError(503, 'The LDAP server is unavailable; please try again later.', 'ldap_unavailable');
