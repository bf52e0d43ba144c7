import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Hub } from '../src/app.ts';
import { buildConfig, type ConfigInput } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { freshDatabase } from '../src/db/test-helpers.ts';
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

/** Starts a real hub (real HTTP, real database) on free loopback ports. */
export async function startHub(overrides: ConfigInput = {}): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-test-'));
  // A test that restarts hubs on one database passes its own db_url (and drops it itself).
  const db = overrides.db_url ? { url: overrides.db_url, drop: async () => {} } : await freshDatabase(dir);
  const adminToken = `admin-test-token-${randomBytes(12).toString('hex')}`;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  // The proxy (configurable-http-proxy) cannot listen on port 0, so the public and proxy API ports are picked here.
  const config = buildConfig({
    bind_url: `http://127.0.0.1:${await freePort()}/`,
    hub_bind_url: 'http://127.0.0.1:0/',
    cleanup_servers: true,
    db_url: db.url,
    cookie_secret_file: join(dir, 'cookie_secret'),
    log_level: 'info',
    ...overrides,
    proxy: { class: TEST_PROXY, api_url: `http://127.0.0.1:${await freePort()}`, ...overrides.proxy },
    authenticator: { admin_users: ['admin'], ...overrides.authenticator },
    api_tokens: { [adminToken]: 'admin', ...overrides.api_tokens },
  });
  const hub = await Hub.create({ config, baseDir: dir, log: createLogger(config.log_level, sink) });
  await hub.start();
  const url = hub.publicUrl;

  const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? adminToken : opts.token;
    if (token !== null) headers.authorization = `token ${token}`;
    let body: string | Uint8Array | undefined = opts.rawBody;
    if (body === undefined && opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(new URL(path.replace(/^\//, ''), url), {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };

  const th: TestHub = {
    hub,
    url,
    dir,
    dbUrl: db.url,
    adminToken,
    logs,
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
      await hub.stop();
      // The hub leaves its proxy up while it believes servers run (by design, for restarts); a test
      // hub must leave nothing behind whatever state a failed test left it in.
      const proxyPid = readPid(stateFiles(dir).pid);
      if (proxyPid !== null && isAlive(proxyPid)) await killGroup(proxyPid, 2000).catch(() => {});
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return th;
}
