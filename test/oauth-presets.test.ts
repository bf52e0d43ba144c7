// The oauth presets (authenticator.class: github, gitlab, google, azuread). GitHub and GitLab log in against
// simulated providers on loopback (test/oauth-simulators.ts stands in for their OAuth apps and REST APIs);
// Google and Entra against a real OpenID provider (oidc-provider) that sends their claims (hd, tid, groups).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { githubEnrich } from '../src/authenticators/oauth/presets/github.ts';
import { Browser } from './browser-session.ts';
import { startHub, type TestHub } from './harness.ts';
import {
  type GitHubSim,
  type GitLabSim,
  startGitHubSim,
  startGitLabSim,
  viaProvider,
  viaSimulator,
} from './oauth-simulators.ts';
import { type Account, startProvider, type TestProvider } from './oidc-provider.ts';
import { freePort } from './process.ts';

const DENIED = 'Sorry, you are not currently authorized to use this hub. Please contact the hub administrator.';
const loggedIn = (b: Browser) => b.cookie('jupyterhub-hub-login') !== undefined;

async function audit(h: TestHub, query: string) {
  await h.hub.ctx.audit.flush();
  const r = await h.request('GET', `hub/api/audit?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.json as any[];
}

describe('github (simulated GitHub Enterprise)', () => {
  let h: TestHub;
  let gh: GitHubSim;
  const alice = { id: 1, login: 'Alice' };
  const bob = { id: 2, login: 'bob' };
  const carol = { id: 3, login: 'carol' };
  const dave = { id: 4, login: 'dave' };

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    gh = await startGitHubSim(`${hubUrl}hub/oauth_callback`);
    gh.orgs.set('jupyter', new Set(['Alice']));
    gh.orgs.set('acme', new Set(['bob', 'carol', 'dave']));
    gh.teams.set(
      'acme:data-science',
      new Map([
        ['bob', 'active'],
        ['carol', 'pending'],
      ]),
    );
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'github',
        oauth: {
          client_id: gh.clientId,
          client_secret: gh.clientSecret,
          github_url: gh.url,
          allowed_organizations: ['jupyter', 'acme:data-science'],
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await gh?.stop();
  });

  test('simulated: the login page offers GitHub; an organization member logs in through the Enterprise API', async () => {
    const page = await new Browser(h).get('hub/login');
    assert.match(page.text, /Sign in with GitHub/);
    gh.apiCalls.length = 0;
    const r = await viaSimulator(h, gh, alice);
    assert.equal(r.status, 302, r.text);
    // A login without next lands on the spawn page of the (stopped) server, as upstream's redirect_to_server.
    assert.equal(r.location, `${h.url}hub/spawn`);
    assert.deepEqual(gh.apiCalls, ['/api/v3/user', '/api/v3/orgs/jupyter/members/Alice']);
    assert.equal((await h.request('GET', 'hub/api/users/alice')).status, 200);
  });

  test('simulated: an org:team entry admits active team members, not pending invitations', async () => {
    assert.equal((await viaSimulator(h, gh, bob)).status, 302);
    assert.ok(gh.apiCalls.includes('/api/v3/orgs/acme/teams/data-science/memberships/bob'));
    const pending = await viaSimulator(h, gh, carol);
    assert.equal(pending.status, 403);
    assert.match(pending.text, new RegExp(DENIED));
  });

  test('simulated: a member of the organization but not the team is refused, and audited', async () => {
    const r = await viaSimulator(h, gh, dave);
    assert.equal(r.status, 403);
    assert.equal(loggedIn(r.browser), false);
    assert.equal((await h.request('GET', 'hub/api/users/dave')).status, 404);
    const [failure] = await audit(h, 'action=login.failure&target=dave');
    assert.equal(failure.outcome, 'denied');
    assert.match(failure.reason, /not a member of any of allowed_organizations/);
  });

  for (const status of [404, 403]) {
    test(`simulated: a membership check answering ${status} refuses (never admits by accident)`, async () => {
      gh.override = (path) =>
        path.startsWith('/api/v3/orgs/')
          ? { status, body: { message: status === 404 ? 'Not Found' : 'Forbidden' } }
          : null;
      try {
        const r = await viaSimulator(h, gh, alice);
        assert.equal(r.status, 403);
        assert.equal(loggedIn(r.browser), false);
      } finally {
        gh.override = null;
      }
    });
  }

  test('simulated: GitHub down for the membership check is a 502 page, not a login', async () => {
    gh.override = (path) => (path.startsWith('/api/v3/orgs/') ? { status: 503, body: { message: 'down' } } : null);
    try {
      const r = await viaSimulator(h, gh, alice);
      assert.equal(r.status, 502);
      assert.match(r.text, /The identity provider is unavailable: GitHub answered 503/);
    } finally {
      gh.override = null;
    }
  });

  test('simulated: populate_teams_in_auth_state reads every page of /user/teams', async () => {
    for (let i = 0; i < 120; i++) gh.teams.set(`acme:t${i}`, new Map([['bob', 'active']]));
    try {
      const o = { ...h.hub.ctx.config.authenticator.oauth, populate_teams_in_auth_state: true };
      const who = { oauth_user: { login: 'bob' }, id_token: {} };
      const found = await githubEnrich(o, who, gh.tokenFor(bob));
      const teams = found.preset?.auth_state?.teams as { slug: string; organization: { login: string } }[];
      assert.equal(teams.length, 121);
      assert.ok(teams.some((t) => t.slug === 'data-science' && t.organization.login === 'acme'));
      assert.equal(found.preset?.membership?.member, true);
    } finally {
      for (let i = 0; i < 120; i++) gh.teams.delete(`acme:t${i}`);
    }
  });

  test('simulated: a token-exchange error shows a clear page and audits login.failure', async () => {
    const secret = gh.clientSecret;
    gh.clientSecret = 'rotated-at-github';
    try {
      const r = await viaSimulator(h, gh, alice);
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, /Sign-in with the identity provider failed: .*incorrect_client_credentials/);
      assert.equal(loggedIn(r.browser), false);
    } finally {
      gh.clientSecret = secret;
    }
    const failures = await audit(h, 'action=login.failure');
    assert.ok(failures.some((f) => /incorrect_client_credentials/.test(f.reason)));
  });
});

describe('gitlab (simulated self-hosted GitLab)', () => {
  let h: TestHub;
  let gl: GitLabSim;
  const ann = { id: 11, login: 'ann' };
  const ben = { id: 12, login: 'ben' };
  const cat = { id: 13, login: 'cat' };
  const dan = { id: 14, login: 'dan' };

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    gl = await startGitLabSim(`${hubUrl}hub/oauth_callback`);
    // ann is in 150 groups: the one that counts is on the second page.
    for (let i = 0; i < 149; i++) gl.groups.set(`misc/g${i}`, new Set([11]));
    gl.groups.set('physics/theory', new Set([11]));
    gl.projects.set(
      42,
      new Map([
        [12, 30],
        [13, 20],
      ]),
    );
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'gitlab',
        oauth: {
          client_id: gl.clientId,
          client_secret: gl.clientSecret,
          gitlab_url: gl.url,
          allowed_gitlab_groups: ['physics/theory'],
          allowed_project_ids: [42],
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await gl?.stop();
  });

  test('simulated: a group member logs in (groups read page by page), without a project check', async () => {
    const r = await viaSimulator(h, gl, ann);
    assert.equal(r.status, 302, r.text);
    assert.deepEqual(gl.apiCalls.filter((p) => p.startsWith('/api/v4/groups')).length, 2);
    assert.ok(!gl.apiCalls.some((p) => p.startsWith('/api/v4/projects/')));
    assert.equal((await h.request('GET', 'hub/api/users/ann')).status, 200);
  });

  test('simulated: a Developer of an allowed project logs in; a Reporter and an outsider do not', async () => {
    assert.equal((await viaSimulator(h, gl, ben)).status, 302);
    assert.ok(gl.apiCalls.includes('/api/v4/projects/42/members/all/12'));
    for (const who of [cat, dan]) {
      const r = await viaSimulator(h, gl, who);
      assert.equal(r.status, 403, who.login);
      assert.equal(loggedIn(r.browser), false);
    }
    const [failure] = await audit(h, 'action=login.failure&target=dan');
    assert.match(failure.reason, /not a member of any of allowed_gitlab_groups or allowed_project_ids/);
  });

  test('simulated: a refused code (invalid_grant) is a clear error page', async () => {
    gl.signInAs = ann;
    const b = new Browser(h);
    const authorize = new URL((await b.get('hub/oauth_login')).location!);
    const back = new URL((await b.get(authorize.href)).location!);
    back.searchParams.set('code', 'not-a-code');
    const r = await b.get(back.href);
    assert.equal(r.status, 403);
    assert.match(r.text, /refused the code \(invalid_grant/);
    assert.equal(loggedIn(b), false);
  });
});

describe('google (a real OpenID provider sending Google claims)', () => {
  let h: TestHub;
  let idp: TestProvider;
  const accounts: Account[] = [
    {
      sub: 'g1',
      preferred_username: 'ada',
      password: 'pw',
      email: 'Ada@example.edu',
      email_verified: true,
      hd: 'example.edu',
    },
    { sub: 'g2', preferred_username: 'eve', password: 'pw', email: 'eve@gmail.com', email_verified: true },
    {
      sub: 'g3',
      preferred_username: 'mal',
      password: 'pw',
      email: 'mal@example.edu',
      email_verified: false,
      hd: 'example.edu',
    },
  ];

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    idp = await startProvider({
      redirectUri: `${hubUrl}hub/oauth_callback`,
      postLogoutRedirectUris: [],
      accounts,
      claims: { openid: ['sub'], email: ['email', 'email_verified', 'hd'] },
    });
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'google',
        // hosted_domain only restricts (as upstream): who of that domain gets in is allow_all's to say.
        allow_all: true,
        oauth: {
          oidc_issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          hosted_domain: ['example.edu'],
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await idp?.stop();
  });

  test('a verified account of the hosted domain logs in, named without @domain', async () => {
    const r = await viaProvider(h, idp, 'ada', 'pw');
    assert.equal(r.status, 302, r.text);
    assert.equal((await h.request('GET', 'hub/api/users/ada')).status, 200);
  });

  test('another domain, and an unverified address, are refused', async () => {
    const other = await viaProvider(h, idp, 'eve', 'pw');
    assert.equal(other.status, 403);
    assert.match(other.text, /Google account domain @gmail.com not authorized\./);
    const unverified = await viaProvider(h, idp, 'mal', 'pw');
    assert.equal(unverified.status, 403);
    assert.match(unverified.text, /Login with unverified email mal@example.edu is not allowed/);
    assert.equal(loggedIn(unverified.browser), false);
  });
});

describe('azuread (a real OpenID provider sending Entra claims)', () => {
  let h: TestHub;
  let idp: TestProvider;
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const accounts: Account[] = [
    { sub: 'e1', preferred_username: 'grace', password: 'pw', name: 'Grace', tid: tenant, groups: ['staff'] },
    {
      sub: 'e2',
      preferred_username: 'linus',
      password: 'pw',
      name: 'Linus',
      tid: tenant,
      groups: ['staff', 'hub-admins'],
    },
    { sub: 'e3', preferred_username: 'ken', password: 'pw', name: 'Ken', tid: tenant, groups: ['guests'] },
    {
      sub: 'e4',
      preferred_username: 'oscar',
      password: 'pw',
      name: 'Oscar',
      tid: '00000000-0000-0000-0000-000000000001',
      groups: ['staff'],
    },
  ];

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    idp = await startProvider({
      redirectUri: `${hubUrl}hub/oauth_callback`,
      postLogoutRedirectUris: [],
      accounts,
      claims: { openid: ['sub', 'name', 'tid', 'groups'] },
      claimsInIdToken: true,
    });
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'azuread',
        oauth: {
          tenant_id: tenant,
          oidc_issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          allowed_groups: ['staff'],
          admin_groups: ['hub-admins'],
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await idp?.stop();
  });

  test('groups from the id_token decide who logs in and who is admin; the name claim is the username', async () => {
    assert.equal((await viaProvider(h, idp, 'grace', 'pw')).status, 302);
    assert.equal((await viaProvider(h, idp, 'linus', 'pw')).status, 302);
    assert.equal((await h.request('GET', 'hub/api/users/grace')).json.admin, false);
    assert.equal((await h.request('GET', 'hub/api/users/linus')).json.admin, true);
    const outside = await viaProvider(h, idp, 'ken', 'pw');
    assert.equal(outside.status, 403);
    assert.match(outside.text, new RegExp(DENIED));
  });

  test('an id_token from another tenant is refused, whatever its groups', async () => {
    const r = await viaProvider(h, idp, 'oscar', 'pw');
    assert.equal(r.status, 403);
    assert.match(r.text, /failed: the id_token is from another tenant \(tid 00000000-0000-0000-0000-000000000001\)/);
    assert.equal(loggedIn(r.browser), false);
  });
});
