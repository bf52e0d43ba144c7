import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestHub } from './harness.ts';
import { startInProcessHub } from './inprocess.ts';
import {
  bucketBounds,
  find,
  histogramCount,
  PY_DEFAULT_BUCKETS,
  parseExposition,
  UPSTREAM,
} from './metrics-upstream.ts';

/** Runs `fn` with these environment variables set (undefined: unset), then puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const put = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  put(vars);
  try {
    return await fn();
  } finally {
    put(saved);
  }
}

async function scrape(h: TestHub, path = 'hub/metrics') {
  const r = await h.request('GET', path);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(r.text);
}

describe('/hub/metrics', () => {
  let h: TestHub;
  before(async () => {
    h = await startInProcessHub();
    await h.addUsers(['mia']);
  });
  after(() => h.stop());

  test('needs read:metrics at both paths: no token 403, a user without it 403, an admin 200', async () => {
    const user = await h.tokenFor('mia');
    for (const path of ['hub/metrics', 'hub/api/metrics']) {
      assert.equal((await h.request('GET', path, { token: null })).status, 403, path);
      const denied = await h.request('GET', path, { token: user });
      assert.equal(denied.status, 403, path);
      assert.deepEqual(denied.json.required_scopes, ['read:metrics']);
      assert.equal((await h.request('GET', path)).status, 200, path);
    }
  });

  test("every one of JupyterHub's metrics, with its type and labels, at /hub/metrics and /hub/api/metrics", async () => {
    for (const path of ['hub/metrics', 'hub/api/metrics']) {
      const s = await scrape(h, path);
      for (const [name, { type, labels }] of Object.entries(UPSTREAM)) {
        const full = `jupyterhub_${name}`;
        assert.equal(s.types.get(full), type, `${path}: ${full} is a ${type}`);
        const series = type === 'histogram' ? find(s, `${full}_count`) : find(s, full);
        assert.ok(series.length > 0, `${path}: ${full} has a series`);
        for (const x of series) assert.deepEqual(Object.keys(x.labels).sort(), labels, `${path}: labels of ${full}`);
      }
    }
  });

  test("upstream's default buckets and the label sets it creates before any event", async () => {
    const s = await scrape(h);
    assert.deepEqual(bucketBounds(s, 'jupyterhub_hub_startup_duration_seconds'), PY_DEFAULT_BUCKETS);
    assert.deepEqual(bucketBounds(s, 'jupyterhub_server_stop_seconds', { status: 'success' }), PY_DEFAULT_BUCKETS);
    assert.deepEqual(bucketBounds(s, 'jupyterhub_server_spawn_duration_seconds', { status: 'success', reason: '' }), [
      ...['0.5', '1', '2.5', '5', '10', '15', '30', '60', '120', '180', '300', '600'],
      '+Inf',
    ]);
    assert.deepEqual(bucketBounds(s, 'jupyterhub_event_loop_interval_seconds').slice(0, 6), [
      '0.05',
      '0.055',
      '0.06',
      '0.065',
      '0.07',
      '0.075',
    ]);
    const spawnSeries = find(s, 'jupyterhub_server_spawn_duration_seconds_count').map(
      (x) => `${x.labels.status}/${x.labels.reason}`,
    );
    assert.deepEqual(spawnSeries.sort(), [
      'error/',
      'failure/',
      'failure/already-pending',
      'failure/throttled',
      'failure/too-many-users',
      'success/',
    ]);
    for (const [name, values] of [
      ['proxy_add_duration_seconds', ['failure', 'success']],
      ['proxy_delete_duration_seconds', ['failure', 'success']],
      ['server_stop_seconds', ['failure', 'success']],
      ['server_poll_duration_seconds', ['running', 'stopped']],
      ['login_duration_seconds', ['failure', 'success']],
    ] as const)
      assert.deepEqual(
        find(s, `jupyterhub_${name}_count`)
          .map((x) => x.labels.status)
          .sort(),
        values,
        name,
      );
    assert.deepEqual(
      find(s, 'jupyterhub_active_users').map((x) => x.labels.period),
      ['24h', '7d', '30d'],
    );
  });

  test("the gauges, request durations by route, a CSP report, the event loop, and tshub's own metrics", async () => {
    await h.request('GET', 'hub/api/user', { token: `tshub_${'x'.repeat(38)}` });
    const csp = await h.request('POST', 'hub/security/csp-report', {
      token: null,
      rawBody: JSON.stringify({ 'csp-report': { 'violated-directive': 'script-src' } }),
      headers: { 'content-type': 'application/csp-report' },
    });
    assert.equal(csp.status, 204);
    await new Promise((r) => setTimeout(r, 300));
    const s = await scrape(h);
    assert.equal(find(s, 'jupyterhub_total_users')[0]?.value, 2);
    assert.equal(find(s, 'jupyterhub_running_servers')[0]?.value, 0);
    assert.equal(find(s, 'jupyterhub_csp_reports_total')[0]?.value, 1);
    assert.ok(
      histogramCount(s, 'jupyterhub_request_duration_seconds', { handler: '/hub/api/users', method: 'POST' }) >= 1,
    );
    assert.ok(histogramCount(s, 'jupyterhub_event_loop_interval_seconds') >= 2, 'the event loop is measured');
    assert.ok(find(s, 'tshub_active_tokens', { kind: 'api' }).length === 1);
    assert.equal(find(s, 'tshub_auth_failures_total', { reason: 'token_malformed' })[0]?.value, 1);
    assert.equal(s.types.get('tshub_process_nodejs_heap_size_used_bytes'), 'gauge');
  });

  test('authenticate_prometheus: false makes both paths public', async () => {
    const open = await startInProcessHub({ authenticate_prometheus: false });
    try {
      assert.equal((await open.request('GET', 'hub/metrics', { token: null })).status, 200);
      assert.equal((await open.request('GET', 'hub/api/metrics', { token: null })).status, 200);
    } finally {
      await open.stop();
    }
  });
});

describe("JupyterHub's metrics variables", () => {
  test('JUPYTERHUB_METRICS_PREFIX renames the upstream metrics, not tshub_ ones; empty means no prefix', async () => {
    for (const [prefix, expected] of [
      ['myhub', 'myhub_'],
      ['', ''],
    ] as const) {
      const h = await withEnv({ JUPYTERHUB_METRICS_PREFIX: prefix }, () => startInProcessHub());
      try {
        const s = await scrape(h);
        for (const [name, { type }] of Object.entries(UPSTREAM))
          assert.equal(s.types.get(`${expected}${name}`), type, `${expected}${name}`);
        assert.ok(![...s.types.keys()].some((n) => n.startsWith('jupyterhub_')), 'no jupyterhub_ name left');
        assert.equal(s.types.get('tshub_active_tokens'), 'gauge');
      } finally {
        await h.stop();
      }
    }
  });

  test('the spawn and stop bucket variables set those buckets (an infinite bound is the +Inf one)', async () => {
    const h = await withEnv(
      {
        JUPYTERHUB_SERVER_SPAWN_DURATION_SECONDS_BUCKETS: ' 1, 2.5 ,60,inf',
        JUPYTERHUB_SERVER_STOP_DURATION_SECONDS_BUCKETS: '0.5,3',
      },
      () => startInProcessHub(),
    );
    try {
      const s = await scrape(h);
      const spawn = { status: 'success', reason: '' };
      assert.deepEqual(bucketBounds(s, 'jupyterhub_server_spawn_duration_seconds', spawn), ['1', '2.5', '60', '+Inf']);
      assert.deepEqual(bucketBounds(s, 'jupyterhub_server_stop_seconds', { status: 'failure' }), ['0.5', '3', '+Inf']);
      assert.deepEqual(
        bucketBounds(s, 'jupyterhub_proxy_add_duration_seconds', { status: 'success' }),
        PY_DEFAULT_BUCKETS,
      );
    } finally {
      await h.stop();
    }
  });

  test('a bad value stops the hub from starting, naming the variable and the value', async () => {
    for (const [name, value, message] of [
      [
        'JUPYTERHUB_METRICS_PREFIX',
        '9lives',
        /JUPYTERHUB_METRICS_PREFIX: '9lives' cannot start a Prometheus metric name/,
      ],
      ['JUPYTERHUB_METRICS_PREFIX', 'my-hub', /JUPYTERHUB_METRICS_PREFIX: 'my-hub'/],
      [
        'JUPYTERHUB_SERVER_SPAWN_DURATION_SECONDS_BUCKETS',
        '1,ten,30',
        /SPAWN_DURATION_SECONDS_BUCKETS: 'ten' is not a number/,
      ],
      [
        'JUPYTERHUB_SERVER_SPAWN_DURATION_SECONDS_BUCKETS',
        '1,,30',
        /SPAWN_DURATION_SECONDS_BUCKETS: '' is not a number/,
      ],
      [
        'JUPYTERHUB_SERVER_STOP_DURATION_SECONDS_BUCKETS',
        '5,1',
        /STOP_DURATION_SECONDS_BUCKETS: bucket bounds must increase/,
      ],
      ['JUPYTERHUB_SERVER_STOP_DURATION_SECONDS_BUCKETS', '1,1', /bucket bounds must increase/],
      ['JUPYTERHUB_SERVER_STOP_DURATION_SECONDS_BUCKETS', 'inf', /give at least one finite bucket bound/],
    ] as const) {
      await assert.rejects(
        withEnv({ [name]: value }, () => startInProcessHub()),
        (err: Error) => err.name === 'MetricsEnvError' && message.test(err.message),
        `${name}=${value}`,
      );
    }
  });
});
