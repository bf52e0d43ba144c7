import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsEnvError, parseBuckets, readMetricsEnv } from './env.ts';

test("unset or blank variables give upstream's defaults", () => {
  assert.deepEqual(readMetricsEnv({}), { prefix: 'jupyterhub', spawnBuckets: null, stopBuckets: null });
  assert.deepEqual(
    readMetricsEnv({
      JUPYTERHUB_SERVER_SPAWN_DURATION_SECONDS_BUCKETS: '  ',
      JUPYTERHUB_SERVER_STOP_DURATION_SECONDS_BUCKETS: '',
    }),
    { prefix: 'jupyterhub', spawnBuckets: null, stopBuckets: null },
  );
});

test('the prefix may be empty (no prefix) or any metric-name start', () => {
  assert.equal(readMetricsEnv({ JUPYTERHUB_METRICS_PREFIX: '' }).prefix, '');
  assert.equal(readMetricsEnv({ JUPYTERHUB_METRICS_PREFIX: 'org:hub_2' }).prefix, 'org:hub_2');
  for (const bad of ['2hub', 'my-hub', 'hub prod', 'hüb', 'hub\n'])
    assert.throws(() => readMetricsEnv({ JUPYTERHUB_METRICS_PREFIX: bad }), MetricsEnvError, JSON.stringify(bad));
});

test('bucket bounds: numbers as Python reads them, increasing, infinite ones dropped', () => {
  assert.deepEqual(parseBuckets('V', '0.5, 1,1e1 ,Infinity'), [0.5, 1, 10]);
  assert.deepEqual(parseBuckets('V', '-1,0,+inf'), [-1, 0]);
  assert.deepEqual(parseBuckets('V', '3'), [3]);
  for (const [raw, why] of [
    ['1,2,abc', /V: 'abc' is not a number/],
    ['1,,2', /V: '' is not a number/],
    ['1;2', /V: '1;2' is not a number/],
    ['2,1', /V: bucket bounds must increase, and 1 does not/],
    ['1,inf,5', /must increase/],
    ['nan', /'nan' is not a number/],
    ['inf', /at least one finite bucket bound/],
  ] as const)
    assert.throws(() => parseBuckets('V', raw), why, raw);
});
