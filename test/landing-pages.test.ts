// The landing keys on the in-process hub (listening, for the Browser): where a login, /hub/ and a
// user-redirect link send a browser, the login cookie's lifetime, template_vars, the logo. The same
// flows with a real proxy and server: landing-e2e.test.ts; bad values at config load:
// src/config/schema-landing.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConfigInput } from '../src/config/index.ts';
import { Browser } from './browser-session.ts';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';

const dir = mkdtempSync(join(tmpdir(), 'tshub-landing-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const LOGO = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
writeFileSync(join(dir, 'logo.png'), LOGO);

const pathOf = (location: string | null) => {
  const u = new URL(location!);
  return u.pathname + u.search;
};

describe('landing with the defaults: the server, the spawn page first', () => {
  let h: TestHub;
  before(async () => {
    const templates = join(dir, 'templates');
    // A login page of the admin's own (template_paths) that shows a template_vars value.
    mkdirSync(templates);
    writeFileSync(
      join(templates, 'login.html'),
      '{% extends "page.html" %}{% block main %}<p id="announce">{{ announcement }}</p>' +
        '<input type="hidden" name="_xsrf" value="{{ xsrf }}">{% endblock %}',
    );
    h = await startInProcessHub(
      {
        cookie_max_age_days: 0.5,
        template_paths: [templates],
        template_vars: { announcement: 'Maintenance <Friday>' },
        logo_file: join(dir, 'logo.png'),
      },
      { listen: true },
    );
  });
  after(() => h?.stop());

  test('a login without next lands on the spawn page of a stopped server, not /hub/home', async () => {
    const b = new Browser(h);
    const r = await b.login('alice');
    assert.equal(r.status, 302);
    assert.equal(pathOf(r.location), '/hub/spawn');
    // Signed in: /hub/ and the login page go the same way, keeping the request's own query (not next).
    assert.equal(pathOf((await b.get('hub/')).location), '/hub/spawn');
    assert.equal(pathOf((await b.get('hub/?utm=x')).location), '/hub/spawn?utm=x');
    assert.equal(pathOf((await b.get('hub/login')).location), '/hub/spawn');
    // A given next still wins.
    assert.equal(pathOf((await b.get('hub/login?next=%2Fhub%2Ftoken')).location), '/hub/token');
    // Not signed in: /hub/ goes to login, coming back to /hub/.
    assert.equal(pathOf((await new Browser(h).get('hub/')).location), '/hub/login?next=%2Fhub%2F');
  });

  test("cookie_max_age_days is the login cookie's Max-Age", async () => {
    const b = new Browser(h);
    await b.login('carol');
    const cookie = b.cookie('jupyterhub-hub-login')!;
    assert.match(cookie.attributes, /(^|; )Max-Age=43200(;|$)/);
  });

  test('user-redirect: login first (next kept), then the spawn page with the server URL as next', async () => {
    const anon = new Browser(h);
    const r = await anon.get('hub/user-redirect/lab/tree/x.ipynb?a=1&b=%2F');
    assert.equal(r.status, 302);
    assert.equal(
      pathOf(r.location),
      `/hub/login?next=${encodeURIComponent('/hub/user-redirect/lab/tree/x.ipynb?a=1&b=%2F')}`,
    );
    const b = new Browser(h);
    const login = await b.login('alice', 'any', '/hub/user-redirect/lab/tree/x.ipynb?a=1&b=%2F');
    assert.equal(pathOf(login.location), '/hub/user-redirect/lab/tree/x.ipynb?a=1&b=%2F');
    const go = await b.get(login.location!);
    assert.equal(go.status, 302);
    assert.equal(
      pathOf(go.location),
      `/hub/spawn/alice?next=${encodeURIComponent('/user/alice/lab/tree/x.ipynb?a=1&b=%2F')}`,
    );
    // The bare link is the server's root.
    assert.equal(pathOf((await b.get('hub/user-redirect')).location), '/hub/spawn/alice?next=%2Fuser%2Falice%2F');
  });

  test('template_vars reach the templates, escaped like any variable', async () => {
    const r = await new Browser(h).get('hub/login');
    assert.equal(r.status, 200);
    assert.match(r.text, /<p id="announce">Maintenance &lt;Friday&gt;<\/p>/);
  });

  test('logo_file is served at /hub/logo and shown in the header', async () => {
    const anon = new Browser(h);
    const r = await anon.get('hub/logo');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/png');
    const res = await fetch(new URL('hub/logo', h.url));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), LOGO);
    const b = new Browser(h);
    await b.login('alice');
    assert.match(
      (await b.get('hub/token')).text,
      /<a class="brand" href="\/hub\/"><img class="logo" src="\/hub\/logo"/,
    );
  });
});

test('an https public_url makes the login cookies Secure, as upstream, though the hub is reached over http', async () => {
  const h = await startInProcessHub({ public_url: 'https://hub.example.org/' }, { listen: true });
  try {
    const b = new Browser(h);
    await b.login('alice');
    assert.match(b.cookie('jupyterhub-hub-login')!.attributes, /(^|; )Secure(;|$)/);
    assert.match(b.cookie('jupyterhub-session-id')!.attributes, /(^|; )Secure(;|$)/);
  } finally {
    await h.stop();
  }
});

describe('landing with default_url, default_server_name and user_redirect_hook', () => {
  let h: TestHub;
  const seen: unknown[] = [];
  before(async () => {
    const user_redirect_hook = (path: string, req: { url: string }, user: { name: string }, base: string) => {
      seen.push([path, req.url, user.name, base]);
      if (path.startsWith('boom')) throw new Error('hook failed');
      return path.startsWith('docs/') ? `https://docs.example.org/${path.slice(5)}` : null;
    };
    h = await startInProcessHub(
      {
        default_url: '/hub/token',
        allow_named_servers: true,
        default_server_name: 'work',
        user_redirect_hook,
      } as ConfigInput,
      { listen: true },
    );
  });
  after(() => h?.stop());

  test('default_url: /hub/ for everyone and the landing after login', async () => {
    assert.equal(pathOf((await new Browser(h).get('hub/')).location), '/hub/token');
    const b = new Browser(h);
    assert.equal(pathOf((await b.login('alice')).location), '/hub/token');
  });

  test('user-redirect opens default_server_name; the hook may send elsewhere, null keeps the default', async () => {
    const b = new Browser(h);
    await b.login('alice');
    const r = await b.get('hub/user-redirect/lab?x=1');
    assert.equal(pathOf(r.location), `/hub/spawn/alice/work?next=${encodeURIComponent('/user/alice/work/lab?x=1')}`);
    const docs = await b.get('hub/user-redirect/docs/intro%20page');
    assert.equal(docs.location, 'https://docs.example.org/intro%20page');
    assert.deepEqual(seen.at(-1), ['docs/intro page', '/hub/user-redirect/docs/intro%20page', 'alice', '/']);
    const boom = await b.get('hub/user-redirect/boom');
    assert.equal(boom.status, 500);
    assert.match(boom.text, /could not work out where this link goes/);
    assert.equal((await b.get('hub/user-redirect/%E0%A4%A')).status, 400);
  });
});

test('a logo_file that cannot be read stops the start, naming the file', async () => {
  await assert.rejects(
    startInProcessHub({ logo_file: join(dir, 'missing.png') }, { listen: true }),
    /logo_file: cannot read .*missing\.png/,
  );
});
