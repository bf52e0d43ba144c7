/**
 * Flags on every cookie the hub sets or clears: HttpOnly (except `_xsrf`, which JupyterHub's page
 * scripts read to send back as X-XSRFToken), SameSite=Lax, a Path scoped to the base URL or the hub,
 * and Secure exactly when the public URL (bind_url) is https, even though the hub itself is reached
 * over plain http behind the proxy (here: the in-process hub on its own port).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

function attrs(line: string): { name: string; flags: Set<string>; path: string | undefined } {
  const [pair = '', ...rest] = line.split(';').map((s) => s.trim());
  const flags = new Set(rest.map((a) => a.toLowerCase()));
  return { name: pair.slice(0, pair.indexOf('=')), flags, path: rest.find((a) => /^path=/i.test(a))?.slice(5) };
}

/** Logs in through the form and logs out again, returning every Set-Cookie line seen. */
async function loginAndLogout(h: TestHub): Promise<{ login: string[]; form: string[]; logout: string[] }> {
  // The browser talks to the hub's own port: with an https bind_url there is no TLS in front of it here.
  const b = new Browser({ ...h, url: h.hub.hubUrl });
  const form = await b.get('hub/login');
  assert.equal(form.status, 200);
  const login = await b.request('POST', 'hub/login', {
    form: { _xsrf: Browser.xsrfField(form.text), username: 'carol', password: 'pw' },
  });
  assert.equal(login.status, 302, login.text);
  const logout = await b.get('hub/logout');
  assert.ok(logout.status < 400, `logout: ${logout.status}`);
  return { form: form.setCookies, login: login.setCookies, logout: logout.setCookies };
}

function checkFlags(lines: string[], secure: boolean): void {
  assert.ok(lines.length > 0);
  for (const line of lines) {
    const a = attrs(line);
    assert.equal(a.flags.has('samesite=lax') || a.flags.has('samesite=strict'), true, `SameSite on ${line}`);
    assert.equal(a.flags.has('secure'), secure, `Secure ${secure ? 'missing' : 'unexpected'} on ${line}`);
    assert.ok(
      a.path === '/' || a.path === '/hub/' || a.path?.startsWith('/user/') || a.path?.startsWith('/services/'),
      `Path on ${line}`,
    );
    if (a.name === '_xsrf') assert.ok(a.path === '/hub/', line);
    else assert.ok(a.flags.has('httponly'), `HttpOnly on ${line}`);
  }
}

for (const scheme of ['http', 'https'] as const) {
  describe(`cookie flags with an ${scheme} bind_url`, () => {
    let h: TestHub;
    before(async () => {
      h = await startInProcessHub(scheme === 'https' ? { bind_url: 'https://127.0.0.1:8443/' } : {}, { listen: true });
    });
    after(() => h.stop());

    test('login form, login, logout: HttpOnly (but _xsrf), SameSite, Path, Secure as the public URL', async () => {
      const { form, login, logout } = await loginAndLogout(h);
      assert.ok(
        form.some((l) => l.startsWith('_xsrf=')),
        'the login form sets _xsrf',
      );
      assert.ok(
        login.some((l) => l.startsWith('jupyterhub-hub-login=')),
        'login sets the login cookie',
      );
      assert.ok(
        logout.some((l) => /^jupyterhub-hub-login=;/.test(l) && /max-age=0/i.test(l)),
        'logout clears the login cookie',
      );
      checkFlags([...form, ...login, ...logout], scheme === 'https');
    });
  });
}
