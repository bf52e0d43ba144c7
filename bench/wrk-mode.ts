import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBareNode } from './bare-node.ts';
import { apiOk } from './http.ts';
import type { LoadResult } from './load.ts';
import { cpuSeconds, rssMb, tempDir } from './proc.ts';
import { Figures } from './report.ts';
import type { TshubTarget } from './start-tshub.ts';
import type { Target } from './target.ts';
import { wrk, type WrkSpec } from './wrk.ts';

// `npm run bench -- --wrk`: the load shape of issue 22 under `wrk -t2 -c32`, side by side for bare node:http,
// tshub (read cache on, then off) and JupyterHub, with the hubs' memory idle and after the load.

export interface WrkModeOptions {
  duration: number;
  warmup: number;
  connections: number;
  users: number;
  tokens: number;
  /** Seconds a hub is left alone after starting before its idle memory is read. */
  settle: number;
  log: (msg: string) => void;
  figure: (name: string, value: number, unit: string) => void;
}

const CREATE_NOTE = 'bench-create';
/** The config that turns tshub's read cache off (the `_cache_off` figures). */
export const READ_CACHE_OFF = { read_cache: { enabled: false } };

/** bare_node_rps / _p99_ms: the hello-world server under the whoami shape, the ceiling. */
export async function wrkBareNode(o: WrkModeOptions): Promise<Figures> {
  const figs = new Figures();
  const b = await startBareNode();
  try {
    const r = await wrk({ url: b.url, connections: o.connections, duration: o.duration, warmup: o.warmup });
    put(figs, o, 'bare_node', r);
  } finally {
    await b.child.stop();
  }
  return figs;
}

/** `<name>_rps<qualifier>` and `<name>_p99_ms<qualifier>`, named as the autocannon mode names them. */
function put(figs: Figures, o: WrkModeOptions, name: string, r: LoadResult, qualifier = ''): void {
  figs.set(`${name}_rps${qualifier}`, r.rps, 'req/s');
  figs.set(`${name}_p99_ms${qualifier}`, r.p99, 'ms');
  o.figure(`${name}_rps${qualifier}`, r.rps, 'req/s');
  if (r.failures > 0) o.log(`WARNING ${name}${qualifier}: ${r.failures} failed requests (${r.statuses})`);
}

interface Prepared {
  admin: string;
  userToken: string;
  tokensFile: string;
  tokenCount: number;
}

/** An admin token, `bench-user` with a token, `users` users and `tokens` more tokens spread over them. */
async function prepare(target: Target, o: WrkModeOptions): Promise<Prepared> {
  const api = target.apiUrl;
  const admin = (await apiOk(api, 'POST', 'users/admin/tokens', target.configToken, { note: 'bench admin' }, 201))
    .token as string;
  await apiOk(api, 'POST', 'users', admin, { usernames: ['bench-user', 'bench-tok'] }, 201);
  const userToken = (await apiOk(api, 'POST', 'users/bench-user/tokens', admin, { note: 'bench whoami' }, 201))
    .token as string;
  for (let b = 0; b * 1000 < o.users; b++) {
    const names = Array.from({ length: Math.min(1000, o.users - b * 1000) }, (_, i) => `bench-w${b}-${i}`);
    // JupyterHub takes ~10 s per 1,000 users through its API: straight into its database instead.
    if (target.insertUsers) await target.insertUsers(names);
    else await apiOk(api, 'POST', 'users', admin, { usernames: names }, 201);
  }
  const filled = await target.fillTokens(o.tokens, { removeNote: CREATE_NOTE, log: o.log });
  const tokensFile = join(tempDir('tshub-wrk-tokens-'), 'tokens.txt');
  writeFileSync(tokensFile, `${filled.join('\n')}\n`);
  const me = await apiOk(api, 'GET', 'user', userToken, undefined, 200);
  if (me.name !== 'bench-user') throw new Error(`${target.name}: whoami answered ${JSON.stringify(me).slice(0, 200)}`);
  return { admin, userToken, tokensFile, tokenCount: filled.length };
}

/** The hub's RSS once it has been left alone for `o.settle` seconds (no collection forced). */
async function idleRss(target: Target, o: WrkModeOptions): Promise<number> {
  await sleep(o.settle * 1000);
  return rssMb(target.pid());
}

/**
 * whoami with one user token, whoami with a different token each request, the listing repeated and with a
 * query that differs every request, token creation; `suffix` names the figures (the cache-off run).
 */
async function loads(
  target: Target,
  p: Prepared,
  o: WrkModeOptions,
  figs: Figures,
  opts: { suffix?: string; create: boolean; rotate: boolean },
): Promise<void> {
  const api = target.apiUrl;
  const sfx = opts.suffix ?? '';
  const run = async (
    name: string,
    qualifier: string,
    spec: Omit<WrkSpec, 'connections' | 'duration' | 'warmup'>,
    warmup = o.warmup,
  ) => {
    const q = `${qualifier}${sfx}`;
    let cpu = 0;
    const onStart = () => {
      cpu = cpuSeconds(target.pid());
    };
    const r = await wrk({ ...spec, connections: o.connections, duration: o.duration, warmup, onStart });
    // What a request costs the hub, beside how many it answered: a second view on a machine shared with wrk.
    const cpuUs = r.requests > 0 ? ((cpuSeconds(target.pid()) - cpu) * 1e6) / r.requests : Number.NaN;
    if (r.requests === 0) o.log(`WARNING ${target.name} ${name}${q}: no request finished within the run`);
    o.log(
      `${target.name} ${name}${q}: ${r.requests} requests, ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.statuses}, hub CPU ${cpuUs.toFixed(0)} µs/request, hub rss now ${rssMb(target.pid()).toFixed(0)} MB`,
    );
    put(figs, o, name, r, q);
    figs.set(`${name}_hub_cpu_us${q}`, cpuUs, 'µs');
    return r;
  };
  await run('whoami', '', { url: `${api}user`, token: p.userToken });
  if (opts.rotate) {
    // No warm-up: it would present the same tokens first, and the measured run would find them cached.
    const r = await run('whoami', '_100k_tokens_uncached', { url: `${api}user`, tokensFile: p.tokensFile }, 0);
    if (r.requests > p.tokenCount)
      o.log(`WARNING ${target.name}: ${r.requests} requests for ${p.tokenCount} tokens: some tokens came twice`);
  }
  await run('list_users', '', { url: `${api}users?limit=100`, token: p.admin });
  await run('list_users', '_uncached', {
    url: `${api}users?limit=100`,
    token: p.admin,
    distinctParam: 'bench_request',
  });
  if (opts.create)
    await run('token_create', '', {
      url: `${api}users/bench-tok/tokens`,
      method: 'POST',
      token: p.admin,
      body: { note: CREATE_NOTE },
    });
}

/** One hub through the whole shape: idle memory, the loads, memory after them. */
export async function wrkHub(target: Target, o: WrkModeOptions): Promise<{ figs: Figures; prepared: Prepared }> {
  const figs = new Figures();
  const prepared = await prepare(target, o);
  const idle = await idleRss(target, o);
  figs.set('hub_rss_idle_mb', idle, 'MB');
  o.figure(`${target.name} hub_rss_idle_mb`, idle, 'MB');
  await loads(target, prepared, o, figs, { create: true, rotate: true });
  const after = rssMb(target.pid());
  figs.set('hub_rss_after_load_mb', after, 'MB');
  o.figure(`${target.name} hub_rss_after_load_mb`, after, 'MB');
  return { figs, prepared };
}

/** tshub again with the read cache off: the answers made afresh for every request. */
export async function wrkTshubCacheOff(
  tshub: TshubTarget,
  prepared: Prepared,
  figs: Figures,
  o: WrkModeOptions,
): Promise<void> {
  await tshub.reconfigure(READ_CACHE_OFF, o.log);
  await loads(tshub, prepared, o, figs, { suffix: '_cache_off', create: false, rotate: false });
  const after = rssMb(tshub.pid());
  figs.set('hub_rss_after_load_mb_cache_off', after, 'MB');
  o.figure('tshub hub_rss_after_load_mb_cache_off', after, 'MB');
}
