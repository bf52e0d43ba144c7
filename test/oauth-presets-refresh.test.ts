// A preset's login is refreshed like the generic oauth class's: past auth_refresh_age the hub reads the
// user again with the stored token (GitHub) or the refresh-token grant (GitLab) and asks the provider's
// membership API again; a person who left the allowed organization or group is logged out. The GitHub
// and GitLab APIs are loopback stand-ins (test/oauth-simulators.ts), not the real services; Google is a real
// OpenID provider (test/oidc-provider.ts) sending Google's claims.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from './browser-session.ts';
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

const KEY = 'd4'.repeat(32);
const saved = process.env.JUPYTERHUB_CRYPT_KEY;
before(() => {
  process.env.JUPYTERHUB_CRYPT_KEY = KEY;
});
after(() => {
  if (saved === undefined) delete process.env.JUPYTERHUB_CRYPT_KEY;
  else process.env.JUPYTERHUB_CRYPT_KEY = saved;
});

/** Makes the user's login due for a refresh, then loads their home page as their browser. */
async function homeAfterRefreshAge(h: TestHub, b: Browser, name: string) {
  const row = await h.hub.ctx.k.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  h.hub.ctx.authRefresh.forget(row.id);
  return b.get('hub/home');
}

async function logouts(h: TestHub, name: string): Promise<any[]> {
  await h.hub.ctx.audit.flush();
  const r = await h.request('GET', `hub/api/audit?action=logout&target=${name}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

describe('github: refresh re-checks allowed_organizations (simulated GitHub API)', () => {
  let h: TestHub;
  let gh: GitHubSim;
  const eve = { id: 5, login: 'eve' };

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    gh = await startGitHubSim(`${hubUrl}hub/oauth_callback`);
    gh.orgs.set('acme', new Set(['eve']));
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'github',
        enable_auth_state: true,
        oauth: {
          client_id: gh.clientId,
          client_secret: gh.clientSecret,
          github_url: gh.url,
          allowed_organizations: ['acme'],
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await gh?.stop();
  });

  test('a member stays logged in after a refresh; once out of the organization, the next request logs them out', async () => {
    const { browser, status } = await viaSimulator(h, gh, eve);
    assert.equal(status, 302);
    gh.apiCalls.length = 0;
    assert.equal((await homeAfterRefreshAge(h, browser, 'eve')).status, 200);
    assert.deepEqual(gh.apiCalls, ['/api/v3/user', '/api/v3/orgs/acme/members/eve']);

    gh.orgs.get('acme')!.delete('eve');
    const after = await homeAfterRefreshAge(h, browser, 'eve');
    assert.equal(after.status, 302);
    assert.match(after.location ?? '', /hub\/login/);
    const [out] = await logouts(h, 'eve');
    assert.match(out.reason, /no longer allowed: not a member of any of allowed_organizations/);
    // Not a new session by the back door: the old cookie stays refused.
    assert.equal((await browser.get('hub/home')).status, 302);
  });

  test('a membership API answering 5xx at refresh leaves the login standing (an outage logs nobody out)', async () => {
    gh.orgs.get('acme')!.add('eve');
    const { browser } = await viaSimulator(h, gh, eve);
    gh.override = (path) => (path.startsWith('/api/v3/orgs/') ? { status: 503, body: { message: 'down' } } : null);
    try {
      assert.equal((await homeAfterRefreshAge(h, browser, 'eve')).status, 200);
    } finally {
      gh.override = null;
    }
  });
});

describe('gitlab: refresh uses the refresh-token grant and re-checks allowed_gitlab_groups (simulated GitLab API)', () => {
  let h: TestHub;
  let gl: GitLabSim;
  const fay = { id: 21, login: 'fay' };

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    gl = await startGitLabSim(`${hubUrl}hub/oauth_callback`);
    gl.groups.set('physics/theory', new Set([21]));
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'gitlab',
        enable_auth_state: true,
        oauth: {
          client_id: gl.clientId,
          client_secret: gl.clientSecret,
          gitlab_url: gl.url,
          allowed_gitlab_groups: ['physics/theory'],
        },
      },
    });
  });
  after(async () => {
    await h?.stop();
    await gl?.stop();
  });

  test('a group member stays logged in with fresh tokens; removed from the group, they are logged out', async () => {
    const { browser, status } = await viaSimulator(h, gl, fay);
    assert.equal(status, 302);
    gl.apiCalls.length = 0;
    assert.equal((await homeAfterRefreshAge(h, browser, 'fay')).status, 200);
    assert.ok(gl.apiCalls.includes('/api/v4/groups'), gl.apiCalls.join(' '));

    gl.groups.get('physics/theory')!.delete(21);
    const after = await homeAfterRefreshAge(h, browser, 'fay');
    assert.equal(after.status, 302);
    assert.match(after.location ?? '', /hub\/login/);
    const [out] = await logouts(h, 'fay');
    assert.match(out.reason, /no longer allowed: not a member of any of allowed_gitlab_groups/);
  });
});

describe('google: refresh re-checks hosted_domain (a real OpenID provider sending Google claims)', () => {
  let h: TestHub;
  let idp: TestProvider;
  const ada: Account = {
    sub: 'g1',
    preferred_username: 'ada',
    password: 'pw',
    email: 'ada@example.edu',
    email_verified: true,
    hd: 'example.edu',
  };

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    idp = await startProvider({
      redirectUri: `${hubUrl}hub/oauth_callback`,
      postLogoutRedirectUris: [],
      accounts: [ada],
      claims: { openid: ['sub'], email: ['email', 'email_verified', 'hd'] },
    });
    h = await startHub({
      bind_url: hubUrl,
      authenticator: {
        class: 'google',
        allow_all: true,
        enable_auth_state: true,
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

  test('an account of the domain stays logged in; moved to another domain, it is logged out', async () => {
    const { browser, status } = await viaProvider(h, idp, 'ada', 'pw');
    assert.equal(status, 302);
    assert.equal((await homeAfterRefreshAge(h, browser, 'ada')).status, 200);
    ada.hd = 'elsewhere.edu';
    const after = await homeAfterRefreshAge(h, browser, 'ada');
    assert.equal(after.status, 302);
    assert.match(after.location ?? '', /hub\/login/);
    const [out] = await logouts(h, 'ada');
    assert.match(out.reason, /Google account domain @elsewhere\.edu not authorized/);
  });
});
