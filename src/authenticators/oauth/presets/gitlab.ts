import type { OAuthConfig } from '../../../config/schema-oauth.ts';
import { oauthLoginFailed } from '../../../errors/index.ts';
import type { Identity } from '../admission.ts';
import { apiGet, checkUsable, isRecord, rawNonEmpty, rawString } from './api.ts';

const GITLAB = 'https://gitlab.com';
/** GitLab's Developer role: upstream admits project members from Developer up. */
const DEVELOPER = 30;
/** GitLab's page size limit; a person in more than MAX_PAGES * 100 groups is not checked further. */
const PER_PAGE = 100;
const MAX_PAGES = 20;

export const gitlabApi = (gitlabUrl: string) => `${gitlabUrl.replace(/\/+$/, '')}/api/v4`;

/**
 * GitLabOAuthenticator's endpoints and username. read_user reads /user; the group list and project
 * members need read_api, so that is asked for when a membership rule is set.
 */
export function gitlabDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const url = (rawString(raw, 'gitlab_url') ?? GITLAB).replace(/\/+$/, '');
  const membership = rawNonEmpty(raw, 'allowed_gitlab_groups') || rawNonEmpty(raw, 'allowed_project_ids');
  return {
    login_service: 'GitLab',
    username_claim: 'username',
    scope: membership ? ['read_api'] : ['read_user'],
    authorize_url: `${url}/oauth/authorize`,
    token_url: `${url}/oauth/token`,
    userdata_url: `${gitlabApi(url)}/user`,
  };
}

/** The full paths of the groups the person belongs to (Guest or more, inherited included), page by page. */
async function groupPaths(api: string, token: string): Promise<Set<string>> {
  const paths = new Set<string>();
  let page = '1';
  for (let n = 0; n < MAX_PAGES && page; n++) {
    const r = await apiGet(`${api}/groups?min_access_level=10&per_page=${PER_PAGE}&page=${page}`, token);
    checkUsable(r, 'GitLab');
    if (r.status !== 200 || !Array.isArray(r.body)) break;
    for (const g of r.body) if (isRecord(g) && typeof g.full_path === 'string') paths.add(g.full_path.toLowerCase());
    page = r.headers.get('x-next-page') ?? '';
  }
  return paths;
}

/** "Get a member of a project, including inherited and invited members": 200 with access_level, or 404. */
async function developerOf(api: string, project: number, userId: number, token: string): Promise<boolean> {
  const r = await apiGet(`${api}/projects/${project}/members/all/${userId}`, token);
  checkUsable(r, 'GitLab');
  return (
    r.status === 200 && isRecord(r.body) && typeof r.body.access_level === 'number' && r.body.access_level >= DEVELOPER
  );
}

/** allowed_gitlab_groups, then (only for someone in none of them) allowed_project_ids, as upstream. */
export async function gitlabEnrich(o: OAuthConfig, who: Identity, token: string): Promise<Identity> {
  if (!o.allowed_gitlab_groups.length && !o.allowed_project_ids.length) return who;
  const userId = who.oauth_user.id;
  if (typeof userId !== 'number') throw oauthLoginFailed('GitLab\'s /user answer has no numeric "id"');
  const api = gitlabApi(o.gitlab_url);
  let member = false;
  if (o.allowed_gitlab_groups.length) {
    const mine = await groupPaths(api, token);
    member = o.allowed_gitlab_groups.some((g) => mine.has(g.toLowerCase()));
  }
  for (const project of o.allowed_project_ids) {
    if (member) break;
    member = await developerOf(api, project, userId, token);
  }
  const what = [
    o.allowed_gitlab_groups.length ? 'allowed_gitlab_groups' : '',
    o.allowed_project_ids.length ? 'allowed_project_ids' : '',
  ].filter(Boolean);
  return { ...who, preset: { membership: { configured: true, member, what: what.join(' or ') } } };
}
