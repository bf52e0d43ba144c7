import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, TEST_POSTGRES, type TestDatabase } from '../src/db/test-helpers.ts';
import { freePort, runTshub, spawnHub, type RunningHub } from './process.ts';

describe('tshub command line (real processes)', () => {
  let dir: string;
  let cfg: string;
  let pub: string;
  let hub: RunningHub;
  let db: TestDatabase;
  const serviceToken = 'cli-test-service-token-0123456789';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tshub-cli-'));
    cfg = join(dir, 'tshub.yaml');
    db = await freshDatabase(dir);
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    pub = `http://127.0.0.1:${p1}/`;
    writeFileSync(
      cfg,
      [
        `bind_url: ${pub}`,
        `hub_bind_url: http://127.0.0.1:${p2}/`,
        `proxy: { api_url: "http://127.0.0.1:${p3}" }`,
        // On SQLite a relative path, which must be resolved beside the config file.
        TEST_POSTGRES ? `db_url: "${db.url}"` : 'db_url: sqlite:///tshub.sqlite',
        `cookie_secret_file: cookie_secret`,
        'services:',
        `  - { name: cli-svc, api_token: ${serviceToken} }`,
        'load_roles:',
        '  - { name: cli-role, scopes: [admin:users, tokens], services: [cli-svc] }',
      ].join('\n'),
    );
    hub = await spawnHub(['--config', cfg], `${pub}hub/api/`);
  });

  after(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  test('serve: the API answers on bind_url, and the relative sqlite path is next to the config file', async () => {
    const r = await fetch(`${pub}hub/api/users/nobody`, { headers: { authorization: `token ${serviceToken}` } });
    assert.equal(r.status, 404);
    const created = await fetch(`${pub}hub/api/users/alice`, {
      method: 'POST',
      headers: { authorization: `token ${serviceToken}` },
    });
    assert.equal(created.status, 201);
    if (!TEST_POSTGRES) assert.ok(existsSync(join(dir, 'tshub.sqlite')));
  });

  test('token: prints a working token alone on stdout for an existing user', async () => {
    const r = await runTshub(['token', 'alice', '--note', 'from the cli test', '--config', cfg]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^tshub_p_[0-9A-Za-z]{42}$/);
    const who = await fetch(`${pub}hub/api/user`, { headers: { authorization: `token ${lines[0]}` } });
    assert.equal(who.status, 200);
    assert.equal(((await who.json()) as { name: string }).name, 'alice');
  });

  test('token: an unknown user exits 1 with a message and prints no token', async () => {
    const r = await runTshub(['token', 'ghost', '--config', cfg]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no such user: ghost/);
  });

  test('token: a bad --expires-in is refused', async () => {
    const r = await runTshub(['token', 'alice', '--expires-in', 'soon', '--config', cfg]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--expires-in/);
  });

  test('upgrade-db on an up-to-date database says so', async () => {
    const r = await runTshub(['upgrade-db', '--config', cfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /up to date/);
  });

  test('a bad config key or value stops start-up with a message naming it', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'bind_url: http://127.0.0.1:1/\nproxy:\n  api_uri: x\nconcurrent_spawn_limit: lots\n');
    const r = await runTshub(['serve', '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /proxy\.api_uri/);
    assert.match(r.stderr, /concurrent_spawn_limit/);
  });

  test('load_roles with an unknown scope stops start-up naming the scope', async () => {
    const bad = join(dir, 'bad-role.yaml');
    writeFileSync(
      bad,
      `db_url: sqlite:///bad-role.sqlite\nload_roles:\n  - { name: oops, scopes: [read:everything] }\n`,
    );
    const r = await runTshub(['serve', '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /read:everything/);
  });

  test('generate-config prints a file that loads back', async () => {
    const r = await runTshub(['generate-config']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /bind_url/);
    const gen = join(dir, 'generated.yaml');
    writeFileSync(gen, r.stdout);
    const check = await runTshub(['upgrade-db', '--config', gen, '--db-url', `sqlite:///${join(dir, 'gen.sqlite')}`]);
    assert.equal(check.code, 0, check.stderr);
  });

  test('--help works on every command', async () => {
    for (const cmd of [[], ['serve'], ['token'], ['upgrade-db'], ['generate-config']]) {
      const r = await runTshub([...cmd, '--help']);
      assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: tshub/);
    }
  });

  test('the hub stops cleanly on SIGTERM', async () => {
    await hub.stop();
    assert.equal(hub.proc.exitCode, 0, hub.output());
  });
});
