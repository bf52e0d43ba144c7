import type { OAuthConfig } from '../../../config/schema-oauth.ts';
import { oauthLoginFailed } from '../../../errors/index.ts';
import type { Identity, PresetFindings } from '../admission.ts';
import { apiGet, checkUsable, isRecord, rawNonEmpty, rawString } from './api.ts';

const GITHUB = 'https://github.com';
const ACCEPT = 'application/vnd.github+json';

/** GitHub's REST API: api.github.com for github.com, <github_url>/api/v3 for GitHub Enterprise Server. */
export function githubApi(githubUrl: string): string {
  const url = githubUrl.replace(/\/+$/, '');
  return url === GITHUB ? 'https://api.github.com' : `${url}/api/v3`;
}

/** GitHubOAuthenticator's defaults; read:org is what lets the membership calls see private members. */
export function githubDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const url = (rawString(raw, 'github_url') ?? GITHUB).replace(/\/+$/, '');
  const orgs = rawNonEmpty(raw, 'allowed_organizations') || raw.populate_teams_in_auth_state === true;
  return {
    login_service: 'GitHub',
    username_claim: 'login',
    scope: orgs ? ['read:org'] : [],
    authorize_url: `${url}/login/oauth/authorize`,
    token_url: `${url}/login/oauth/access_token`,
    userdata_url: `${githubApi(url)}/user`,
  };
}

const enc = encodeURIComponent;

/**
 * `org` asks "Check organization membership for a user" (204 yes; 404 no; 302 when the token may not see
 * the members); `org:team` asks "Get team membership for a user" (200 with state active; pending is an
 * invitation, not a membership). Any other answer (403: SSO not authorised, rate limit) is a no.
 */
async function isMember(api: string, entry: string, login: string, token: string): Promise<boolean> {
  const colon = entry.indexOf(':');
  if (colon > 0) {
    const [org, team] = [entry.slice(0, colon), entry.slice(colon + 1)];
    const r = await apiGet(`${api}/orgs/${enc(org)}/teams/${enc(team)}/memberships/${enc(login)}`, token, ACCEPT);
    checkUsable(r, 'GitHub');
    return r.status === 200 && isRecord(r.body) && r.body.state === 'active';
  }
  const r = await apiGet(`${api}/orgs/${enc(entry)}/members/${enc(login)}`, token, ACCEPT);
  checkUsable(r, 'GitHub');
  return r.status === 204;
}

/** Pages of GitHub's lists end where the Link header has no rel="next". */
const nextLink = (link: string | null) => /<([^>]+)>;\s*rel="next"/.exec(link ?? '')?.[1] ?? null;
const MAX_PAGES = 10;

/** "List teams for the authenticated user" (needs read:org), every page, as GitHub's team objects. */
export async function githubTeams(api: string, token: string): Promise<unknown[]> {
  const teams: unknown[] = [];
  let url: string | null = `${api}/user/teams?per_page=100`;
  for (let n = 0; n < MAX_PAGES && url; n++) {
    const r = await apiGet(url, token, ACCEPT);
    checkUsable(r, 'GitHub');
    if (r.status !== 200 || !Array.isArray(r.body)) break;
    teams.push(...r.body);
    const next = nextLink(r.headers.get('link'));
    // The token goes only to the API it was issued for.
    url = next && new URL(next).origin === new URL(api).origin ? next : null;
  }
  return teams;
}

/**
 * allowed_organizations: a member of any one of them (first match wins, one call each) may log in.
 * populate_teams_in_auth_state: the person's teams, for auth_state's `teams` as upstream.
 */
export async function githubEnrich(o: OAuthConfig, who: Identity, token: string): Promise<Identity> {
  const api = githubApi(o.github_url);
  const preset: PresetFindings = {};
  if (o.allowed_organizations.length) {
    const login = who.oauth_user.login;
    if (typeof login !== 'string' || !login) throw oauthLoginFailed('GitHub\'s /user answer has no "login"');
    let member = false;
    for (const entry of o.allowed_organizations) {
      if (await isMember(api, entry, login, token)) {
        member = true;
        break;
      }
    }
    preset.membership = { configured: true, member, what: 'allowed_organizations' };
  }
  if (o.populate_teams_in_auth_state) preset.auth_state = { teams: await githubTeams(api, token) };
  return { ...who, preset };
}
