import { Type } from 'typebox';
import type { Static } from 'typebox';
import { LdapSchema } from './schema-ldap.ts';
import { OAuthSchema } from './schema-oauth.ts';
import { bool, int, nullable, section, strList, strMap } from './schema-util.ts';

export const AuthenticatorSchema = section(
  {
    // oauth and the five after it are OAUTH_CLASSES (schema-oauth.ts).
    class: Type.Union(
      [
        Type.Literal('dummy'),
        Type.Literal('password'),
        Type.Literal('oauth'),
        Type.Literal('github'),
        Type.Literal('gitlab'),
        Type.Literal('google'),
        Type.Literal('azuread'),
        Type.Literal('entra'),
        Type.Literal('ldap'),
      ],
      {
        default: 'dummy',
        description:
          'How people log in: dummy (any name, optionally one shared password; for testing), password (per-user passwords stored by the hub), oauth (an OpenID Connect / OAuth 2.0 identity provider, see the oauth section), one of its presets: github, gitlab, google, azuread (entra is the same), or ldap (an LDAP directory, see the ldap section).',
      },
    ),
    password: nullable(
      Type.String({ minLength: 1 }),
      'The shared password the dummy authenticator requires; null lets anyone in with any password.',
    ),
    admin_users: strList([], 'Users who are made admins at every start.'),
    allowed_users: strList([], 'Users who may log in (and get the user role) even when allow_all is false.'),
    blocked_users: strList([], 'Users who may never log in, whatever the other lists say.'),
    // null for both: computed when the config is loaded (resolveAllowDefaults in semantic.ts), as JupyterHub 5 does.
    allow_all: nullable(
      Type.Boolean(),
      'Whether every user who authenticates may log in, not only those an allow rule names. Default (null): true for the dummy class without allowed_users, false otherwise (JupyterHub 5), so other classes need an allow rule (allowed_users, allow_existing_users, allowed_groups, ...).',
    ),
    allow_existing_users: nullable(
      Type.Boolean(),
      "Whether users already in the hub's database (added by an admin, the API, allowed_users, or an earlier login) may log in; deleting the user takes that away. Default (null): true once allowed_users is set, and for the password class (whose stored accounts are its users), false otherwise.",
    ),
    auto_login: bool(
      false,
      'Skip the login page and go straight to the authenticator (for authenticators that need no form).',
    ),
    username_pattern: nullable(
      Type.String({ minLength: 1 }),
      'A regular expression every (lowercased) username must match in full; null accepts any name.',
    ),
    enable_signup: bool(false, 'Let new people create their own account on the sign-up page (password authenticator).'),
    // The password authenticator's account rules, under NativeAuthenticator's names.
    open_signup: bool(
      false,
      'Sign-ups may log in at once; when false, a new account waits on the /hub/authorize page until an admin approves it (names in admin_users or allowed_users need no approval).',
    ),
    minimum_password_length: int(
      8,
      'The fewest characters a new password may have (sign-up, change password, tshub passwd).',
      1,
    ),
    check_common_password: bool(
      true,
      'Refuse new passwords found in the list of commonly used passwords, whatever their case.',
    ),
    allow_2fa: bool(
      false,
      'Users may turn on a second factor (a TOTP authentication code from an authenticator app) at sign-up or on /hub/2fa; its secret is encrypted with JUPYTERHUB_CRYPT_KEY, so the hub refuses to start without a valid key.',
    ),
    login_throttle: section(
      {
        max_failures: int(
          5,
          'Failed password checks per username within the window before further attempts get 429; 0 turns throttling off.',
        ),
        max_failures_per_ip: int(
          30,
          'Failed password checks per client address within the window before further attempts get 429; 0 turns this limit off.',
        ),
        window_seconds: int(300, 'How far back failures count, in seconds.', 1),
      },
      'Slows password guessing on the login form and on token requests with a username and password.',
    ),
    enable_auth_state: bool(
      false,
      "Keep what the identity provider returned (tokens, id_token, user data) as the user's auth_state, encrypted with the keys in JUPYTERHUB_CRYPT_KEY; the hub refuses to start without a valid key.",
    ),
    auth_refresh_age: int(
      300,
      "Seconds after which a logged-in user's identity is checked with the provider again (oauth: the refresh-token grant) on their next request; 0 never checks.",
    ),
    refresh_pre_spawn: bool(
      false,
      'Check with the provider before every server start, whatever auth_refresh_age says; a refused check stops the start and ends the session.',
    ),
    manage_groups: bool(
      false,
      "The provider's groups (oauth: auth_state_groups_key; ldap: every group group_search_base finds for the user, else the allowed_groups and admin_groups they are in, each named by its first RDN value such as the cn) become the user's hub group memberships at each login (and oauth refresh), added and removed.",
    ),
    username_map: strMap(
      'Names an authenticator vouches for, mapped to hub names (JupyterHub\'s normalize_username): applied after lowercasing, e.g. {"e.smith@corp.example": "esmith"}; the allow and admin lists see the mapped name.',
    ),
    refresh_pre_stop: bool(
      false,
      "Check with the provider before a server stops (post_stop_hook then sees fresh auth_state); a refused check stops the user's own request with 403 and ends their session, while an admin's or a service's stop goes ahead.",
    ),
    manage_roles: bool(
      false,
      "The provider's roles (oauth: auth_state_roles_key) replace the user's role assignments at each login and refresh; a role the hub does not have yet is created, without scopes (give it scopes with load_roles). The user and admin roles stay the hub's (admin follows admin_users and admin_groups).",
    ),
    oauth: OAuthSchema,
    ldap: LdapSchema,
  },
  'Who can log in, and how.',
);

export type AuthenticatorConfig = Static<typeof AuthenticatorSchema>;
