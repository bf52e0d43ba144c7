import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from './errors.ts';
import { buildConfig } from './loader.ts';
import { hubHooks } from './hub-hooks.ts';
import { hubProperties } from './schema-hub.ts';
import type { ConfigInput } from './schema.ts';

function problemsOf(input: Record<string, unknown>): string {
  try {
    buildConfig(input as ConfigInput);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.join('\n');
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

describe('the landing keys at config load', () => {
  it('have upstream defaults', () => {
    const c = buildConfig();
    assert.equal(c.public_url, '');
    assert.equal(c.cookie_max_age_days, 14);
    assert.equal(c.redirect_to_server, true);
    assert.equal(c.default_url, '');
    assert.equal(c.default_server_name, '');
    assert.equal(c.implicit_spawn_seconds, 0);
    assert.equal(c.shutdown_on_logout, false);
    assert.deepEqual(c.template_vars, {});
    assert.equal(c.logo_file, '');
  });

  it('accept good values', () => {
    const c = buildConfig({
      bind_url: 'http://127.0.0.1:8000/jhub/',
      public_url: 'https://hub.example.org/jhub/',
      cookie_max_age_days: 0.5,
      default_url: 'https://docs.example.org/start',
      default_server_name: 'work',
      implicit_spawn_seconds: 2.5,
      template_vars: { announcement: 'hi', org: { name: 'x' } },
      logo_file: 'logo.SVG',
    });
    assert.equal(c.public_url, 'https://hub.example.org/jhub/');
    assert.doesNotThrow(() =>
      buildConfig({ bind_url: 'http://127.0.0.1:8000/jhub/', public_url: 'https://h.example/' }),
    );
    assert.doesNotThrow(() => buildConfig({ default_url: '/hub/home' }));
  });

  const bad: [Record<string, unknown>, RegExp][] = [
    [{ public_url: 'ftp://hub.example/' }, /public_url.*http:\/\/ or https:\/\/ URL/],
    [{ public_url: 'not a url' }, /public_url.*http:\/\/ or https:\/\/ URL/],
    [{ public_url: 'https://hub.example/?a=1' }, /public_url.*no query/],
    [{ public_url: 'https://user:pw@hub.example/' }, /public_url.*credentials/],
    [
      { bind_url: 'http://127.0.0.1:8000/jhub/', public_url: 'https://hub.example/other/' },
      /public_url.*base URL \/jhub\//,
    ],
    [{ public_url: 42 }, /public_url/],
    [{ cookie_max_age_days: 0 }, /cookie_max_age_days/],
    [{ cookie_max_age_days: -1 }, /cookie_max_age_days/],
    [{ cookie_max_age_days: '14' }, /cookie_max_age_days/],
    [{ redirect_to_server: 'yes' }, /redirect_to_server/],
    [{ default_url: 'javascript:alert(1)' }, /default_url.*path starting with/],
    [{ default_url: '//evil.example/' }, /default_url.*path starting with/],
    [{ default_url: 'hub/home' }, /default_url.*path starting with/],
    [{ default_server_name: 'Work_Space' }, /default_server_name.*server name/],
    [{ default_server_name: 'a'.repeat(31) }, /default_server_name.*server name/],
    [{ implicit_spawn_seconds: -1 }, /implicit_spawn_seconds/],
    [{ implicit_spawn_seconds: 'soon' }, /implicit_spawn_seconds/],
    [{ shutdown_on_logout: 1 }, /shutdown_on_logout/],
    [{ template_vars: 'x' }, /template_vars/],
    [{ template_vars: { 'not-a-name': 1 } }, /template_vars.*template variable name/],
    [{ logo_file: 'logo.txt' }, /logo_file.*image file ending in \.png/],
    [{ logo_file: 7 }, /logo_file/],
    [{ user_redirect_hook: '/hub/home' }, /user_redirect_hook.*must be a function/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)} with a clear message`, () => {
      assert.match(problemsOf(input), message);
    });
  }

  it('keep user_redirect_hook as code, out of the data', () => {
    const hook = () => null;
    const c = buildConfig({ user_redirect_hook: hook });
    assert.equal(hubHooks(c).user_redirect_hook, hook);
    assert.equal('user_redirect_hook' in c, false);
    assert.equal(hubHooks(buildConfig()).user_redirect_hook, undefined);
  });
});

it("every top-level key of the hub is in docs/configuration.md's table, with a description in the schema", () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  for (const [key, schema] of Object.entries(hubProperties)) {
    assert.match(doc, new RegExp(`\\| \`${key}\` \\|`), key);
    assert.ok((schema as { description?: string }).description, key);
  }
  assert.match(doc, /\| `user_redirect_hook` \|/);
});
