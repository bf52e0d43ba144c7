import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { Hub } from '../src/app.ts';
import { buildConfig, type Config, type ConfigInput } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { freshDatabase, type TestDatabase } from '../src/db/test-helpers.ts';
import { freePort, TEST_PROXY } from './process.ts';
import { isAlive, killGroup } from '../src/lib/process.ts';
import { readPid, stateFiles } from '../src/proxy/state-files.ts';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as-is (not JSON-encoded). */
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface TestHub {
  hub: Hub;
  /** Public base URL, ending in '/'. */
  url: string;
  dir: string;
  dbUrl: string;
  adminToken: string;
  /** Every log line the hub wrote, as text. */
  logs: string[];
  request(method: string, path: string, opts?: RequestOptions): Promise<Reply>;
  /** Creates users through the API as admin; returns nothing. */
  addUsers(names: string[], admin?: boolean): Promise<void>;
  /** A fresh token for `name` (created through the API as admin). */
  tokenFor(name: string, body?: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

/** What a test hub has before it is built: its directory, database, admin token and log. */
export interface TestSetup {
  dir: string;
  db: TestDatabase;
  adminToken: string;
  logs: string[];
  log: Logger;
  /** Removes what the setup made (directory, PostgreSQL database). */
  discard(): Promise<void>;
}

export async function prepareTestHub(overrides: ConfigInput): Promise<TestSetup> {
  // auth_state is encrypted: test hubs have a key, as a hub using auth_state must (a test may unset it).
  process.env.JUPYTERHUB_CRYPT_KEY ??= '6b'.repeat(32);
  const dir = mkdtempSync(join(tmpdir(), 'tshub-test-'));
  // A test that restarts hubs on one database passes its own db_url (and drops it itself).
  const db = overrides.db_url ? { url: overrides.db_url, drop: async () => {} } : await freshDatabase(dir);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  return {
    dir,
    db,
    adminToken: `admin-test-token-${randomBytes(12).toString('hex')}`,
    logs,
    log: createLogger(overrides.log_level ?? 'info', sink),
    async discard() {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The test hub's config: an admin user with a known token, SQLite (or PostgreSQL) in its directory. */
export function testConfig(s: TestSetup, overrides: ConfigInput, bindUrl: string, proxyApiUrl: string): Config {
  return buildConfig({
    bind_url: bindUrl,
    hub_bind_url: 'http://127.0.0.1:0/',
    cleanup_servers: true,
    db_url: s.db.url,
    cookie_secret_file: join(s.dir, 'cookie_secret'),
    log_level: 'info',
    ...overrides,
    proxy: { class: TEST_PROXY, api_url: proxyApiUrl, ...overrides.proxy },
    authenticator: { admin_users: ['admin'], ...overrides.authenticator },
    api_tokens: { [s.adminToken]: 'admin', ...overrides.api_tokens },
  });
}

/** Headers and body of a test request: the admin's token unless told otherwise, JSON bodies encoded. */
export function requestParts(
  opts: RequestOptions,
  adminToken: string,
): { headers: Record<string, string>; body: string | Uint8Array | undefined } {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? adminToken : opts.token;
  if (token !== null) headers.authorization = `token ${token}`;
  let body = opts.rawBody;
  if (body === undefined && opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  return { headers, body };
}

export function replyOf(status: number, headers: Headers, text: string): Reply {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, text, json };
}

/** A TestHub around a built hub and its way of sending requests. */
export function testHubOf(
  s: TestSetup,
  hub: Hub,
  url: string,
  request: TestHub['request'],
  stop: () => Promise<void>,
): TestHub {
  return {
    hub,
    url,
    dir: s.dir,
    dbUrl: s.db.url,
    adminToken: s.adminToken,
    logs: s.logs,
    request,
    async addUsers(names, admin = false) {
      const r = await request('POST', 'hub/api/users', { body: { usernames: names, admin } });
      if (r.status !== 201) throw new Error(`creating users failed: ${r.status} ${r.text}`);
    },
    async tokenFor(name, body = {}) {
      const r = await request('POST', `hub/api/users/${encodeURIComponent(name)}/tokens`, { body });
      if (r.status !== 201) throw new Error(`creating a token for ${name} failed: ${r.status} ${r.text}`);
      return r.json.token as string;
    },
    async stop() {
      await stop();
      await s.discard();
    },
  };
}

/** Starts a real hub (real HTTP, real database) on free loopback ports. */
export async function startHub(overrides: ConfigInput = {}): Promise<TestHub> {
  const s = await prepareTestHub(overrides);
  // The proxy (configurable-http-proxy) cannot listen on port 0, so the public and proxy API ports are picked here.
  const config = testConfig(
    s,
    overrides,
    `http://127.0.0.1:${await freePort()}/`,
    `http://127.0.0.1:${await freePort()}`,
  );
  const hub = await Hub.create({ config, baseDir: s.dir, log: s.log });
  await hub.start();
  const url = hub.publicUrl;

  const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<Reply> => {
    const { headers, body } = requestParts(opts, s.adminToken);
    const res = await fetch(new URL(path.replace(/^\//, ''), url), {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    return replyOf(res.status, res.headers, await res.text());
  };

  return testHubOf(s, hub, url, request, async () => {
    await hub.stop();
    // The hub leaves its proxy up while it believes servers run (by design, for restarts); a test
    // hub must leave nothing behind whatever state a failed test left it in.
    const proxyPid = readPid(stateFiles(s.dir).pid);
    if (proxyPid !== null && isAlive(proxyPid)) await killGroup(proxyPid, 2000).catch(() => {});
  });
}
