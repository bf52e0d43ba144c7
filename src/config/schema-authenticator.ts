import { Type } from 'typebox';
import type { Static } from 'typebox';
import { OAuthSchema } from './schema-oauth.ts';
import { bool, int, nullable, section, strList } from './schema-util.ts';

export const AuthenticatorSchema = section(
  {
    // The last six are OAUTH_CLASSES (schema-oauth.ts).
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
      ],
      {
        default: 'dummy',
        description:
          'How people log in: dummy (any name, optionally one shared password; for testing), password (per-user passwords stored by the hub), oauth (an OpenID Connect / OAuth 2.0 identity provider, see the oauth section), or one of its presets: github, gitlab, google, azuread (entra is the same).',
      },
    ),
    password: nullable(
      Type.String({ minLength: 1 }),
      'The shared password the dummy authenticator requires; null lets anyone in with any password.',
    ),
    admin_users: strList([], 'Users who are made admins at every start.'),
    allowed_users: strList([], 'Users who may log in (and get the user role) even when allow_all is false.'),
    blocked_users: strList([], 'Users who may never log in, whatever the other lists say.'),
    allow_all: bool(true, 'Whether every user who authenticates may log in, not only those in allowed_users.'),
    auto_login: bool(
      false,
      'Skip the login page and go straight to the authenticator (for authenticators that need no form).',
    ),
    username_pattern: nullable(
      Type.String({ minLength: 1 }),
      'A regular expression every (lowercased) username must match in full; null accepts any name.',
    ),
    enable_signup: bool(false, 'Let new people create their own account on the sign-up page (password authenticator).'),
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
    oauth: OAuthSchema,
  },
  'Who can log in, and how.',
);

export type AuthenticatorConfig = Static<typeof AuthenticatorSchema>;
