import { setTimeout as sleep } from 'node:timers/promises';
import { apiOk } from './http.ts';
import { load, median, percentile, startProbe, type LoadResult, type LoadSpec } from './load.ts';
import { rssMb } from './proc.ts';
import { Figures } from './report.ts';
import type { Target } from './target.ts';

// The load shapes, run the same way against whichever hub `target` is.

export interface ScenarioOptions {
  /** Seconds per measured run. */
  duration: number;
  /** Seconds of discarded load before each measured run. */
  warmup: number;
  /** Measured runs of each headline figure (whoami, listing, token creation); the median one is reported. */
  repeats: number;
  readConnections: number;
  writeConnections: number;
  /** Users created in batches of `batchSize` for the listing; at least one batch goes through the API. */
  totalUsers: number;
  batchSize: number;
  /** Batches created through the API (timed); the rest are inserted straight into the database. */
  apiBatches: number;
  /** Tokens added for the "many tokens" whoami; 0 skips it. */
  fillTokens: number;
  /** Why the fill is skipped, when it is. */
  fillSkipReason?: string;
  log: (msg: string) => void;
  /** Called with each figure as soon as it is known. */
  figure: (name: string, value: number, unit: string) => void;
}

const TOKEN_CREATE_NOTE = 'bench-create';

export async function runScenarios(target: Target, o: ScenarioOptions): Promise<Figures> {
  const figs = new Figures();
  const put = (name: string, value: number, unit: string) => {
    figs.set(name, value, unit);
    o.figure(name, value, unit);
  };
  const api = target.apiUrl;
  const measure = async (
    label: string,
    spec: Omit<LoadSpec, 'duration' | 'warmup'>,
    repeats = 1,
  ): Promise<LoadResult> => {
    const runs: LoadResult[] = [];
    for (let i = 0; i < repeats; i++) {
      const r = await load({ ...spec, duration: o.duration, warmup: i === 0 ? o.warmup : 0 });
      o.log(
        `${target.name} ${label}: ${r.requests} requests, ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, statuses ${r.statuses}, hub rss now ${rssMb(target.pid()).toFixed(0)} MB`,
      );
      if (r.failures > 0)
        o.log(`WARNING ${target.name} ${label}: ${r.failures} failed requests (non-2xx, errors or timeouts)`);
      runs.push(r);
    }
    // The machine's other load moves single runs by tens of percent: the median run stands for the shape.
    return runs.sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;
  };

  await sleep(1000);
  put('hub_rss_idle_mb', rssMb(target.pid()), 'MB');

  // --- setup: an admin token like clients use (generated, fast to check), a user with a token, 10 tokens in all
  const admin = (await apiOk(api, 'POST', 'users/admin/tokens', target.configToken, { note: 'bench admin' }, 201))
    .token as string;
  await apiOk(api, 'POST', 'users', admin, { usernames: ['bench-user', 'bench-tok'] }, 201);
  const userToken = (await apiOk(api, 'POST', 'users/bench-user/tokens', admin, { note: 'bench whoami' }, 201))
    .token as string;
  while (target.countTokens() < 10)
    await apiOk(api, 'POST', 'users/bench-user/tokens', admin, { note: 'bench extra' }, 201);
  const me = await apiOk(api, 'GET', 'user', userToken, undefined, 200);
  if (me.name !== 'bench-user') throw new Error(`${target.name}: whoami answered ${JSON.stringify(me).slice(0, 200)}`);
  const tokens10 = target.countTokens();

  // --- bulk creation of users, 1,000 per request, while other requests are timed
  const times: number[] = [];
  const others: number[] = [];
  const batches = Math.ceil(o.totalUsers / o.batchSize);
  for (let b = 0; b < batches; b++) {
    const names = Array.from(
      { length: o.batchSize },
      (_, i) => `bench-b${String(b).padStart(3, '0')}-${String(i).padStart(4, '0')}`,
    );
    if (b >= o.apiBatches && target.insertUsers) {
      await target.insertUsers(names);
      continue;
    }
    const probe = startProbe(api);
    await sleep(50);
    const t = performance.now();
    await apiOk(api, 'POST', 'users', admin, { usernames: names }, 201);
    times.push((performance.now() - t) / 1000);
    others.push(...(await probe.stop()));
    o.log(`${target.name} bulk create batch ${b + 1}/${batches}: ${times.at(-1)!.toFixed(3)} s`);
  }
  if (times.length < batches)
    o.log(
      `${target.name}: ${times.length} batches through the API, ${batches - times.length} inserted into its database`,
    );
  put('bulk_create_1000_users_s', median(times), 's');
  put('bulk_create_other_p99_ms', percentile(others, 99), 'ms');
  o.log(
    `${target.name} bulk create: ${others.length} other requests, max ${percentile(others, 100).toFixed(1)} ms, hub rss now ${rssMb(target.pid()).toFixed(0)} MB`,
  );

  // --- whoami with few tokens (and as many users as in the 100k-token run below)
  const whoami = await measure(
    `whoami (${tokens10} tokens)`,
    { url: `${api}user`, token: userToken, connections: o.readConnections },
    o.repeats,
  );
  put('whoami_rps', whoami.rps, 'req/s');
  put('whoami_p99_ms', whoami.p99, 'ms');

  // --- listing users, 100 of 10,000
  const page = await apiOk(api, 'GET', 'users?limit=100', admin, undefined, 200);
  if (!Array.isArray(page) || page.length !== 100)
    throw new Error(`${target.name}: users?limit=100 gave ${Array.isArray(page) ? page.length : typeof page} items`);
  const list = await measure(
    `list users (${o.totalUsers + 3} users)`,
    { url: `${api}users?limit=100`, token: admin, connections: o.readConnections },
    o.repeats,
  );
  put('list_users_rps', list.rps, 'req/s');
  put('list_users_p99_ms', list.p99, 'ms');
  // Every request a page of its own (an ignored parameter), so no answer is reused: the full listing each time.
  const fresh = await measure('list users, no two requests alike', {
    url: `${api}users?limit=100`,
    token: admin,
    connections: o.readConnections,
    distinctQuery: (n) => `bench_request=${n}`,
  });
  put('list_users_rps_uncached', fresh.rps, 'req/s');
  put('list_users_p99_ms_uncached', fresh.p99, 'ms');

  // --- token creation
  const create = await measure(
    'token create',
    {
      url: `${api}users/bench-tok/tokens`,
      method: 'POST',
      token: admin,
      body: { note: TOKEN_CREATE_NOTE },
      connections: o.writeConnections,
    },
    o.repeats,
  );
  put('token_create_rps', create.rps, 'req/s');
  put('token_create_p99_ms', create.p99, 'ms');
  put('hub_rss_after_load_mb', rssMb(target.pid()), 'MB');

  // --- whoami again with 100,000 tokens in the database
  if (o.fillTokens > 0) {
    const t = performance.now();
    const filled = await target.fillTokens(o.fillTokens, { removeNote: TOKEN_CREATE_NOTE, log: o.log });
    const count = target.countTokens();
    o.log(
      `${target.name}: ${count} tokens in the database after the fill (${((performance.now() - t) / 1000).toFixed(1)} s)`,
    );
    put('whoami_rps_10_tokens', whoami.rps, 'req/s');
    put('whoami_p99_ms_10_tokens', whoami.p99, 'ms');
    const again = await apiOk(api, 'GET', 'user', userToken, undefined, 200);
    if (again.name !== 'bench-user')
      throw new Error(`${target.name}: whoami after the fill answered ${JSON.stringify(again).slice(0, 200)}`);
    const many = await measure(
      `whoami (${count} tokens)`,
      { url: `${api}user`, token: userToken, connections: o.readConnections },
      o.repeats,
    );
    put('whoami_rps_100k_tokens', many.rps, 'req/s');
    put('whoami_p99_ms_100k_tokens', many.p99, 'ms');
    // Every request a token not seen before (owned by one of 10,000 users): the full lookup, no cache.
    const fresh = await load({
      url: `${api}user`,
      tokens: filled,
      connections: o.readConnections,
      duration: o.duration,
      warmup: 0,
    });
    o.log(
      `${target.name} whoami, a new token each request: ${fresh.requests} requests of ${filled.length} tokens, statuses ${fresh.statuses}`,
    );
    if (fresh.requests > filled.length) o.log(`WARNING ${target.name}: tokens reused (more requests than tokens)`);
    if (fresh.failures > 0) o.log(`WARNING ${target.name} whoami uncached: ${fresh.failures} failed requests`);
    put('whoami_rps_100k_tokens_uncached', fresh.rps, 'req/s');
    put('whoami_p99_ms_100k_tokens_uncached', fresh.p99, 'ms');
  } else {
    o.log(`${target.name}: whoami with 100,000 tokens skipped${o.fillSkipReason ? `: ${o.fillSkipReason}` : ''}`);
  }
  put('hub_rss_end_mb', rssMb(target.pid()), 'MB');
  return figs;
}
