// The OpenID Connect login walked in a real browser (Debian's Chromium through playwright-core) against a
// real OpenID provider on loopback (test/oidc-provider.ts): "Sign in with ..." on the hub's login page, the
// provider's own login form, back on the hub logged in with the provider's groups and admin from
// admin_groups (the admin page reachable from the header); someone outside allowed_groups sees the 403
// page; logout ends the provider's session too, so signing in again asks for the password.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startHub, type TestHub } from './harness.ts';
import { type Account, startProvider, type TestProvider } from './oidc-provider.ts';
import { freePort } from './process.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SHOTS = join(import.meta.dirname, '..', 'test-output', 'screenshots');
const DENIED = 'Sorry, you are not currently authorized to use this hub. Please contact the hub administrator.';

const accounts: Account[] = [
  { sub: 'u-bob', preferred_username: 'bob', password: 'bob-pw', groups: ['staff', 'hub-admins'] },
  { sub: 'u-alice', preferred_username: 'alice', password: 'alice-pw', groups: ['staff', 'physics'] },
  { sub: 'u-carol', preferred_username: 'carol', password: 'carol-pw', groups: ['students'] },
];
const passwordOf = (login: string) => accounts.find((a) => a.preferred_username === login)!.password;

describe('OpenID Connect login in a real browser', {
  skip: CHROMIUM ? false : 'Debian chromium is not installed',
}, () => {
  let h: TestHub;
  let idp: TestProvider;
  let browser: Browser;

  before(async () => {
    const hubUrl = `http://127.0.0.1:${await freePort()}/`;
    idp = await startProvider({
      redirectUri: `${hubUrl}hub/oauth_callback`,
      postLogoutRedirectUris: [`${hubUrl}hub/login`],
      accounts,
    });
    h = await startHub({
      bind_url: hubUrl,
      redirect_to_server: false,
      authenticator: {
        class: 'oauth',
        allow_all: true,
        manage_groups: true,
        oauth: {
          oidc_issuer: idp.issuer,
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          scope: ['openid', 'profile', 'groups'],
          login_service: 'Example Login',
          allowed_groups: ['staff'],
          admin_groups: ['hub-admins'],
        },
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
    await idp?.stop();
  });

  /** The hub's login page, its provider button, and the provider's form filled in and sent. */
  async function signIn(page: Page, login: string): Promise<void> {
    await page.goto(new URL('hub/login', h.url).href);
    await page.getByRole('button', { name: 'Sign in with Example Login' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill(passwordOf(login));
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  const hubLogin = async (context: BrowserContext) =>
    (await context.cookies(h.url)).some((c) => c.name === 'jupyterhub-hub-login');

  test('sign in at the provider: back on the hub logged in, groups synced, admin from admin_groups', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'bob');
    await page.waitForURL(/\/hub\/home$/);
    assert.match((await page.textContent('main')) ?? '', /Signed in as\s+bob/);
    const bob = (await h.request('GET', 'hub/api/users/bob')).json;
    assert.deepEqual([bob.admin, [...bob.groups].sort()], [true, ['hub-admins', 'staff']]);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(/\/hub\/admin$/);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'oidc-admin.png'), fullPage: true });
    await context.close();
  });

  test('a member of allowed_groups only: logged in, no admin link, the admin page refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'alice');
    await page.waitForURL(/\/hub\/home$/);
    const alice = (await h.request('GET', 'hub/api/users/alice')).json;
    assert.deepEqual([alice.admin, [...alice.groups].sort()], [false, ['physics', 'staff']]);
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0);
    const admin = await page.goto(new URL('hub/admin', h.url).href);
    assert.equal(admin?.status(), 403);
    await context.close();
  });

  test('someone outside allowed_groups sees the 403 page and gets no session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const callback = page.waitForResponse((r) => r.url().startsWith(`${h.url}hub/oauth_callback`));
    await signIn(page, 'carol');
    assert.equal((await callback).status(), 403);
    await page.getByText(DENIED).waitFor();
    await page.screenshot({ path: join(SHOTS, 'oidc-denied.png'), fullPage: true });
    assert.equal(await hubLogin(context), false);
    assert.equal((await h.request('GET', 'hub/api/users/carol')).status, 404);
    await context.close();
  });

  test("logout ends the provider's session: signing in again asks for the password", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'bob');
    await page.waitForURL(/\/hub\/home$/);
    // While the provider's session lasts, a new sign-in goes straight through without its form.
    await page.goto(new URL('hub/oauth_login', h.url).href);
    await page.waitForURL(/\/hub\/home$/);
    await page.getByRole('link', { name: 'Sign out' }).first().click();
    // The provider asks to confirm (RP-initiated logout), then sends the browser back to the hub's login page.
    await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/session/end`));
    await page.locator('button[name="logout"][value="yes"]').click();
    await page.waitForURL(/\/hub\/login$/);
    assert.equal(await hubLogin(context), false);
    await page.getByRole('button', { name: 'Sign in with Example Login' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`));
    await page.locator('input[name="password"]').waitFor();
    await context.close();
  });
});
