// Shared by the spawner tests (unit and end-to-end); not part of the hub.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { buildConfig, type SpawnerConfig } from '../config/index.ts';
import type { SpawnRequest, Spawner } from './spawner.ts';

type SpawnerInput = Partial<Omit<SpawnerConfig, 'port_range'>> & { port_range?: [number, number] | null };

/** A temp dir readable by every account (a spawned server may run as another user), removed at exit. */
export function tempDir(prefix = 'tshub-spawner-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A stand-in for jupyterhub-singleuser: listens where JUPYTERHUB_SERVICE_URL says and answers every
 * request with what it was started with (argv, ids, groups, cwd, env). FAKE_EXIT_NOW=<status> exits at
 * once, FAKE_EXIT_AFTER_MS exits later with FAKE_EXIT_CODE, FAKE_IGNORE_TERM ignores SIGTERM, FAKE_CHILD
 * starts a helper process.
 */
const FAKE_SERVER = `
import http from 'node:http';
import { spawn } from 'node:child_process';
// FAKE_CHILD: a helper process in the server's process group, as kernels or a wrapper's child would be.
const helper = process.env.FAKE_CHILD ? spawn('sleep', ['60'], { stdio: 'ignore' }) : null;
const info = { argv: process.argv.slice(2), pid: process.pid, uid: process.getuid(), gid: process.getgid(),
  groups: process.getgroups(), cwd: process.cwd(), env: process.env, helperPid: helper?.pid ?? null };
console.log('fake server starting, argv ' + JSON.stringify(info.argv));
if (process.env.FAKE_EXIT_NOW) { console.error('fake server failing on purpose'); process.exit(Number(process.env.FAKE_EXIT_NOW)); }
if (process.env.FAKE_IGNORE_TERM) process.on('SIGTERM', () => console.log('fake server ignores SIGTERM'));
if (process.env.FAKE_EXIT_AFTER_MS) setTimeout(() => process.exit(Number(process.env.FAKE_EXIT_CODE ?? 3)), Number(process.env.FAKE_EXIT_AFTER_MS));
const url = new URL(process.env.JUPYTERHUB_SERVICE_URL);
http.createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(info)); })
  .listen(Number(url.port), url.hostname, () => console.log('fake server listening on ' + url.port));
`;

/** Writes the fake server script (world-readable) and returns a `cmd` that runs it. */
export function fakeServerCmd(dir: string): string[] {
  const file = join(dir, 'fake-server.mjs');
  writeFileSync(file, FAKE_SERVER, { mode: 0o644 });
  return [process.execPath, file];
}

export interface FakeHub {
  /** e.g. http://127.0.0.1:PORT/hub/api */
  apiUrl: string;
  /** "METHOD path" of every request, in order. */
  calls: string[];
  close(): Promise<void>;
}

/** The bits of the hub API jupyterhub-singleuser 3.0 calls: the API root, /user, and activity. */
export async function startFakeHub(user: string): Promise<FakeHub> {
  const calls: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      calls.push(`${req.method} ${path}`);
      res.setHeader('X-JupyterHub-Version', '3.0.0');
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && (path === '/hub/api' || path === '/hub/api/'))
        return void res.end('{"version":"3.0.0"}');
      if (req.method === 'GET' && path === '/hub/api/user') {
        return void res.end(
          JSON.stringify({
            kind: 'user',
            name: user,
            admin: false,
            groups: [],
            session_id: null,
            scopes: [`access:servers!user=${user}`],
          }),
        );
      }
      if (req.method === 'POST' && path === `/hub/api/users/${user}/activity`) return void res.end('{}');
      res.statusCode = 404;
      res.end('{"status":404,"message":"Not found"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    apiUrl: `http://127.0.0.1:${port}/hub/api`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** JupyterHub's environment for alice's default server, as the hub would set it. */
export function singleuserEnv(apiUrl: string, user = 'alice'): Record<string, string> {
  const scopes = JSON.stringify([`access:servers!server=${user}/`, `access:servers!user=${user}`]);
  return {
    JUPYTERHUB_API_TOKEN: 'test-server-token-0123456789',
    JUPYTERHUB_API_URL: apiUrl,
    JUPYTERHUB_SERVICE_PREFIX: `/user/${user}/`,
    JUPYTERHUB_USER: user,
    JUPYTERHUB_SERVER_NAME: '',
    JUPYTERHUB_CLIENT_ID: `jupyterhub-user-${user}`,
    JUPYTERHUB_OAUTH_CALLBACK_URL: `/user/${user}/oauth_callback`,
    JUPYTERHUB_BASE_URL: '/',
    JUPYTERHUB_HOST: '',
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: scopes,
    JUPYTERHUB_OAUTH_SCOPES: scopes,
    JUPYTERHUB_ACTIVITY_URL: `${apiUrl}/users/${user}/activity`,
  };
}

export function spawnRequest(opts: {
  stateDir: string;
  user?: string;
  serverName?: string;
  env?: Record<string, string>;
  config?: SpawnerInput;
}): SpawnRequest {
  const user = opts.user ?? 'alice';
  const serverName = opts.serverName ?? '';
  return {
    user: { id: 1, name: user },
    serverName,
    prefix: `/user/${user}/${serverName ? `${serverName}/` : ''}`,
    env: opts.env ?? {},
    userOptions: {},
    config: buildConfig({ spawner: opts.config ?? {} } as Parameters<typeof buildConfig>[0]).spawner,
    stateDir: opts.stateDir,
    log: pino({ level: 'silent' }),
  };
}

/** Remembers every spawner a test starts, and stops (or kills) them all at the end, whatever failed. */
export class Reaper {
  #spawners: Spawner[] = [];
  #pids = new Set<number>();

  track<T extends Spawner>(s: T): T {
    this.#spawners.push(s);
    return s;
  }

  pid(pid: number): void {
    this.#pids.add(pid);
  }

  async reap(): Promise<void> {
    for (const s of this.#spawners) {
      const pid = s.state().pid;
      if (typeof pid === 'number') this.#pids.add(pid);
      await s.stop().catch(() => {});
    }
    for (const pid of this.#pids) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}

/** GETs `url` until it answers with a status below 500; returns that status. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status < 500) return r.status;
      last = `status ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

/** Whether a process with this pid exists (a zombie counts as gone). */
export { isAlive as pidExists } from '../lib/process.ts';
