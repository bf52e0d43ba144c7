import { Type } from 'typebox';
import type { Static } from 'typebox';
import type { Problem } from './errors.ts';
import { displayPath } from './errors.ts';
import { bool, nullable, section, str, strList, strMap } from './schema-util.ts';

// The keys and their meanings follow JupyterHub's GenericOAuthenticator (OAuthenticator 17), so a
// `c.GenericOAuthenticator.x = ...` line translates to `authenticator.oauth.x`.

/** The authenticator classes that log in through an identity provider: the generic one and its presets. */
export const OAUTH_CLASSES = ['oauth', 'github', 'gitlab', 'google', 'azuread', 'entra'] as const;
export const isOAuthClass = (cls: string): boolean => (OAUTH_CLASSES as readonly string[]).includes(cls);

const url = (description: string) => nullable(Type.String({ minLength: 1, format: 'tshub-http-url' }), description);

export const OAuthSchema = section(
  {
    oidc_issuer: url(
      "The OpenID provider's issuer URL (e.g. https://login.example.org/realms/staff); its endpoints and signing keys are discovered from <issuer>/.well-known/openid-configuration, and id_tokens are verified against them. Set this, or authorize_url, token_url and userdata_url.",
    ),
    authorize_url: url('Where the browser is sent to sign in, when not discovered from oidc_issuer.'),
    token_url: url('Where the hub exchanges the returned code for tokens, when not discovered from oidc_issuer.'),
    userdata_url: url(
      "Where the hub reads the user's details with the access token, when not discovered from oidc_issuer.",
    ),
    client_id: str('', 'The client id the hub is registered under at the identity provider.', { minLength: 0 }),
    client_secret: str('', "The client's secret; empty for a public client (PKCE alone).", { minLength: 0 }),
    basic_auth: bool(
      false,
      'Send client_id and client_secret to the token endpoint as HTTP Basic credentials instead of in the form body.',
    ),
    oauth_callback_url: url(
      'The redirect URL registered at the identity provider; null means <bind_url>hub/oauth_callback.',
    ),
    scope: strList(['openid', 'profile', 'email'], 'The scopes asked for.'),
    username_claim: str(
      'preferred_username',
      "The claim (from userinfo, else the id_token) holding the user's name; it is lowercased like every name.",
    ),
    login_service: str('OAuth 2.0', 'The name on the login button: "Sign in with <login_service>".'),
    enable_pkce: bool(true, 'Protect the code with PKCE (S256).'),
    extra_authorize_params: strMap('Extra query parameters for the authorization request (e.g. prompt, acr_values).'),
    token_params: strMap('Extra form parameters for the token request.'),
    allowed_groups: strList(
      [],
      'Members of these groups (from auth_state_groups_key) may log in; when set, allow_all no longer admits everyone.',
    ),
    admin_groups: strList(
      [],
      'Members of these groups are admins and may log in; when set, others lose admin at login unless in admin_users.',
    ),
    auth_state_groups_key: str(
      'oauth_user.groups',
      'Dotted path to the list of groups: oauth_user.* is the userinfo (or userdata_url) answer, id_token.* the verified id_token claims.',
    ),
    auth_state_roles_key: str(
      'oauth_user.roles',
      'With manage_roles: dotted path to the list of role names, as auth_state_groups_key (oauth_user.* or id_token.*).',
    ),
    logout_redirect_url: url(
      "Where the browser goes after logging out; with a provider that offers RP-initiated logout, it is the post_logout_redirect_uri (null: the hub's login page).",
    ),
    custom_403_message: str(
      'Sorry, you are not currently authorized to use this hub. Please contact the hub administrator.',
      'The message on the 403 page for someone the provider knows but the hub does not admit.',
    ),
    // The presets' own keys (authenticator.class: github, gitlab, google, azuread); see docs/authenticators.md.
    github_url: str(
      'https://github.com',
      'github: GitHub, or a GitHub Enterprise Server URL (its API is <github_url>/api/v3).',
      {
        format: 'tshub-http-url',
      },
    ),
    allowed_organizations: strList([], 'github: members of these organizations (or `org:team` teams) may log in.'),
    populate_teams_in_auth_state: bool(false, "github: keep the user's teams (GET /user/teams) in auth_state."),
    gitlab_url: str(
      'https://gitlab.com',
      'gitlab: gitlab.com or a self-hosted GitLab (its API is <gitlab_url>/api/v4).',
      {
        format: 'tshub-http-url',
      },
    ),
    allowed_gitlab_groups: strList([], 'gitlab: members of these groups (full paths, e.g. org/team) may log in.'),
    allowed_project_ids: Type.Array(Type.Integer({ minimum: 1 }), {
      default: [],
      description: 'gitlab: members with Developer access or more to these projects may log in.',
    }),
    hosted_domain: strList([], 'google: only accounts of these Google Workspace domains (the hd claim) may log in.'),
    tenant_id: str(
      '',
      'azuread, entra: the Microsoft Entra tenant (its id or domain); the issuer is https://login.microsoftonline.com/<tenant_id>/v2.0.',
      {
        minLength: 0,
      },
    ),
  },
  'Login through an OAuth 2.0 / OpenID Connect identity provider (authenticator.class: oauth, or a preset: github, gitlab, google, azuread).',
);

export type OAuthConfig = Static<typeof OAuthSchema>;

/** What the keys cannot say alone: an oauth authenticator needs a client id and endpoints. */
export function oauthProblems(cls: string, o: OAuthConfig): Problem[] {
  if (!isOAuthClass(cls)) return [];
  const out: Problem[] = [];
  const at = (key: string, text: string) => {
    const path = ['authenticator', 'oauth', key];
    out.push({ path, display: displayPath(path), kind: 'invalid', text });
  };
  if (!o.client_id) at('client_id', `is required with authenticator.class: ${cls}`);
  if ((cls === 'azuread' || cls === 'entra') && !o.tenant_id && !o.oidc_issuer)
    at('tenant_id', `is required with authenticator.class: ${cls}`);
  else if (!o.oidc_issuer) {
    const missing = (['authorize_url', 'token_url', 'userdata_url'] as const).filter((k) => !o[k]);
    if (missing.length)
      at(missing[0]!, `set oidc_issuer (discovery), or all of authorize_url, token_url and userdata_url`);
  }
  return out;
}
