import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { api } from './http.ts';
import { load, median } from './load.ts';
import { freePorts, onCleanup, rssMb, startChild, waitForHttp, type Child } from './proc.ts';
import type { Figures } from './report.ts';
import { REPO_ROOT, childEnv, type TshubTarget } from './start-tshub.ts';
import { wrk, wrkAvailable } from './wrk.ts';

// Proxy throughput (direct, configurable-http-proxy, `tshub proxy`) against the trivial backend, the
// proxies' memory with many idle keep-alive and WebSocket connections open, and the spawn-to-ready /
// stop time of a real single-user server through the tshub the bench started.

type FigureFn = (name: string, value: number, unit: string) => void;

export interface ProxyBenchOptions {
  connections: number;
  duration: number;
  warmup: number;
  log: (m: string) => void;
  figure: FigureFn;
}

const CHP_BIN = join(REPO_ROOT, 'node_modules', 'configurable-http-proxy', 'bin', 'configurable-http-proxy');
const TSHUB_BIN = join(REPO_ROOT, 'bin', 'tshub.js');
export const SINGLEUSER_BIN = '/usr/bin/jupyterhub-singleuser';

/** Starts a CHP-compatible proxy (`script` run with this node) in front of `backend`; returns its public URL. */
async function startProxy(
  label: string,
  args: string[],
  backend: string,
): Promise<{ url: string; port: number; child: Child }> {
  const [port, apiPort] = await freePorts(2);
  const child = startChild(
    process.execPath,
    [
      ...args,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--api-ip',
      '127.0.0.1',
      '--api-port',
      String(apiPort),
      '--default-target',
      backend,
    ],
    {
      cwd: REPO_ROOT,
      env: { ...childEnv(), CONFIGPROXY_AUTH_TOKEN: `bench-proxy-${randomBytes(16).toString('hex')}` },
      label,
    },
  );
  const url = `http://127.0.0.1:${port}/hub/api/user`;
  await waitForHttp(url, child, label, 20_000);
  return { url, port: port!, child };
}

const PROXIES = [
  ['proxy_chp', 'configurable-http-proxy', [CHP_BIN]],
  ['proxy_tshub', 'tshub proxy', [TSHUB_BIN, 'proxy']],
] as const;

/** proxy_{direct,chp,tshub}_{rps,p99_ms} and the memory figures (proxyMemory), set into `figs`. */
export async function proxyThroughput(figs: Figures, opts: ProxyBenchOptions): Promise<void> {
  const [backendPort] = await freePorts(1);
  const backend = startChild(process.execPath, [join(import.meta.dirname, 'hello-server.ts'), String(backendPort)], {
    cwd: import.meta.dirname,
    label: 'proxy backend (node:http)',
  });
  const origin = `http://127.0.0.1:${backendPort}`;
  try {
    await waitForHttp(`${origin}/hub/api/user`, backend, 'proxy backend', 10_000);
    // wrk with 2 threads and 32 connections is how the issue measured the proxies; autocannon (one JS
    // thread) costs the shared 2 CPUs several times more per request and so narrows every ratio.
    const useWrk = wrkAvailable();
    opts.log(
      `proxy throughput: load from ${useWrk ? 'wrk -t2 -c32' : `autocannon -c${opts.connections} (install Debian's wrk for the issue's method)`}`,
    );
    const measure = async (name: string, url: string) => {
      const shape = { url, duration: opts.duration, warmup: opts.warmup };
      const r = useWrk
        ? await wrk({ ...shape, connections: 32 })
        : await load({ ...shape, connections: opts.connections });
      if (r.failures > 0) opts.log(`WARNING: ${name}: ${r.failures} failures (${r.statuses})`);
      figs.set(`${name}_rps`, r.rps, 'req/s');
      figs.set(`${name}_p99_ms`, r.p99, 'ms');
      opts.figure(`${name}_rps`, r.rps, 'req/s');
    };
    opts.log('proxy throughput: direct to the backend');
    await measure('proxy_direct', `${origin}/hub/api/user`);
    for (const [name, label, args] of PROXIES) {
      opts.log(`proxy throughput: through ${label}`);
      const p = await startProxy(label, [...args], origin);
      try {
        await measure(name, p.url);
      } finally {
        await p.child.stop();
      }
    }
  } finally {
    await backend.stop();
  }
  await proxyMemory(figs, opts);
}

const MEMORY_PHASE_MS = 30_000;

/** Rejects when `p` takes longer than a memory phase may. */
function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${MEMORY_PHASE_MS / 1000} s`)), MEMORY_PHASE_MS);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Opens a connection, makes one keep-alive request on it and leaves it open and idle. */
async function idleKeepAlive(port: number, sockets: Socket[]): Promise<void> {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  s.on('error', () => {});
  s.write('GET /keepalive HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  let got = '';
  while (!got.endsWith('ok')) got += String((await once(s, 'data'))[0]);
}

/** Opens a WebSocket by hand, and sends one masked frame that must come back (echo backend). */
async function openEchoSocket(port: number, sockets: Socket[]): Promise<void> {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  s.on('error', () => {});
  s.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let got = Buffer.alloc(0);
  while (got.indexOf('\r\n\r\n') < 0) got = Buffer.concat([got, (await once(s, 'data'))[0] as Buffer]);
  if (!got.toString('latin1').startsWith('HTTP/1.1 101'))
    throw new Error(`websocket refused: ${got.toString('latin1').split('\r\n')[0]}`);
  const payload = Buffer.from('ping');
  s.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
  got = got.subarray(got.indexOf('\r\n\r\n') + 4);
  while (got.length < 2 + payload.length) got = Buffer.concat([got, (await once(s, 'data'))[0] as Buffer]);
}

/** Starts `n` at a time from `make` until `total` are done (so that connecting does not time out). */
async function inBatches(total: number, make: () => Promise<void>): Promise<void> {
  for (let done = 0; done < total; done += 100)
    await Promise.all(Array.from({ length: Math.min(100, total - done) }, make));
}

/**
 * proxy_{chp,tshub}_rss_{idle,1000_keepalive,200_websockets}_mb: each proxy's resident memory at rest,
 * with 1,000 idle keep-alive client connections open (within the 5 s keep-alive timeout), and with
 * 200 WebSockets open through it to an echo backend.
 */
export async function proxyMemory(figs: Figures, opts: ProxyBenchOptions): Promise<void> {
  const [backendPort] = await freePorts(1);
  const backend = startChild(process.execPath, [join(import.meta.dirname, 'ws-echo-server.ts'), String(backendPort)], {
    cwd: import.meta.dirname,
    label: 'websocket echo backend',
  });
  const origin = `http://127.0.0.1:${backendPort}`;
  const sockets: Socket[] = [];
  const closeAll = async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await sleep(500);
  };
  try {
    await waitForHttp(`${origin}/`, backend, 'websocket echo backend', 10_000);
    for (const [name, label, args] of PROXIES) {
      opts.log(`proxy memory: ${label}`);
      const p = await startProxy(label, [...args], origin);
      try {
        const figure = (what: string) => {
          const mb = rssMb(p.child.pid);
          figs.set(`${name}_rss_${what}_mb`, mb, 'MB');
          opts.figure(`${name}_rss_${what}_mb`, mb, 'MB');
        };
        await sleep(1000);
        figure('idle');
        await bounded(
          inBatches(1000, () => idleKeepAlive(p.port, sockets)),
          `${label}: 1,000 keep-alive connections`,
        );
        await sleep(500);
        figure('1000_keepalive');
        await closeAll();
        await bounded(
          inBatches(200, () => openEchoSocket(p.port, sockets)),
          `${label}: 200 websockets`,
        );
        await sleep(500);
        figure('200_websockets');
      } finally {
        await closeAll();
        await p.child.stop();
      }
    }
  } finally {
    await backend.stop();
  }
}

/**
 * spawn_ready_s and stop_s (medians of `runs`) of a real jupyterhub-singleuser through `t`'s API, set into
 * `figs`; skipped with a note when the single-user server is not installed.
 */
export async function spawnStop(
  t: TshubTarget,
  figs: Figures,
  opts: { runs?: number; log: (m: string) => void; figure: FigureFn },
): Promise<void> {
  if (!existsSync(SINGLEUSER_BIN)) {
    opts.log(`spawn/stop skipped: ${SINGLEUSER_BIN} not found`);
    return;
  }
  const runs = opts.runs ?? 3;
  const user = 'bench-spawn';
  const path = `users/${user}/server`;
  const created = await api(t.apiUrl, 'POST', `users/${user}`, t.configToken);
  if (created.status !== 201 && created.status !== 409)
    throw new Error(`POST users/${user}: ${created.status} ${created.text.slice(0, 300)}`);
  // Whatever happens below, the server must not outlive the bench (runs before the hub's own cleanup).
  const undo = onCleanup(async () => {
    const r = await api(t.apiUrl, 'DELETE', path, t.configToken).catch(() => null);
    if (r?.status === 202) await waitStopped(t, user, 30_000).catch(() => {});
  });
  const spawns: number[] = [];
  const stops: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      let t0 = performance.now();
      const s = await api(t.apiUrl, 'POST', path, t.configToken);
      if (s.status !== 201)
        throw new Error(
          `POST ${path}: expected 201 (ready within 10 s), got ${s.status}: ${s.text.slice(0, 300)}\n${t.outputTail()}`,
        );
      spawns.push((performance.now() - t0) / 1000);
      t0 = performance.now();
      const d = await api(t.apiUrl, 'DELETE', path, t.configToken);
      if (d.status === 202) await waitStopped(t, user, 60_000);
      else if (d.status !== 204)
        throw new Error(`DELETE ${path}: expected 204 or 202, got ${d.status}: ${d.text.slice(0, 300)}`);
      stops.push((performance.now() - t0) / 1000);
      opts.log(`spawn ${i + 1}/${runs}: ready in ${spawns[i]!.toFixed(3)} s, stopped in ${stops[i]!.toFixed(3)} s`);
    }
  } finally {
    await undo();
  }
  for (const [name, values] of [
    ['spawn_ready_s', spawns],
    ['stop_s', stops],
  ] as const) {
    const v = median(values);
    figs.set(name, v, 's');
    opts.figure(name, v, 's');
  }
}

async function waitStopped(t: TshubTarget, user: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await api(t.apiUrl, 'GET', `users/${user}`, t.configToken);
    const server = r.json?.servers?.[''];
    if (r.status === 200 && (server === undefined || server === null || (!server.ready && !server.pending))) return;
    await sleep(50);
  }
  throw new Error(`the server of ${user} did not stop within ${timeoutMs / 1000} s`);
}
