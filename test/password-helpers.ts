// Shared by the password authenticator's tests: a sign-up through the form, a stored password, an admin's browser.
import assert from 'node:assert/strict';
import { hashPassword, storePasswordHash } from '../src/auth/passwords.ts';
import { findUser } from '../src/repo/users.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';

export async function signup(
  h: TestHub,
  username: string,
  password: string,
  extra: Record<string, string> = {},
): Promise<Awaited<ReturnType<Browser['request']>>> {
  const b = new Browser(h);
  const form = await b.get('hub/signup');
  assert.equal(form.status, 200);
  return b.request('POST', 'hub/signup', {
    form: { _xsrf: Browser.xsrfField(form.text), username, password, password_confirm: password, ...extra },
  });
}

/** What `tshub passwd` stores, for an existing user. */
export async function setPassword(h: TestHub, name: string, password: string): Promise<void> {
  const user = await findUser(h.hub.ctx.k, name);
  assert.ok(user, `${name} exists`);
  await storePasswordHash(h.hub.ctx.k, user.id, await hashPassword(password));
}

/** A browser signed in as `name` (who must have `password`). */
export async function signedIn(h: TestHub, name: string, password: string): Promise<Browser> {
  const b = new Browser(h);
  const r = await b.login(name, password);
  assert.equal(r.status, 302, `${name} signs in: ${r.text.slice(0, 300)}`);
  return b;
}

/** The session's XSRF token, from a signed-in page's jhdata (every form of the session takes it). */
export async function formXsrf(b: Browser, path = 'hub/home'): Promise<string> {
  const page = await b.get(path);
  assert.equal(page.status, 200, `${path}: ${page.text.slice(0, 300)}`);
  return Browser.jhdata(page.text).xsrf_token;
}
