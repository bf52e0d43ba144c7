import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { activeServerLimitReached, serverPending, spawnFailed, spawnLimitReached } from '../errors/index.ts';
import { ServerExitedError } from '../servers/wait-up.ts';
import { observeSpawn, refuseSpawn, spawnOutcome, timed, timedPoll, timedStatus } from './observe.ts';

const histogram = <L extends string>(labelNames: L[]) =>
  new Histogram<L>({ name: 'h', help: 'h', labelNames, registers: [new Registry()] });
const count = async (h: Histogram<string>, labels: Record<string, string> = {}) =>
  (await h.get()).values.find(
    (v) => v.metricName === 'h_count' && Object.entries(labels).every(([k, x]) => v.labels[k] === x),
  )?.value ?? 0;

test("spawn outcomes: upstream's status and its fixed reasons, never an error's text", () => {
  assert.deepEqual(spawnOutcome(), { status: 'success', reason: '' });
  assert.deepEqual(spawnOutcome(spawnLimitReached()), { status: 'failure', reason: 'throttled' });
  assert.deepEqual(spawnOutcome(activeServerLimitReached()), { status: 'failure', reason: 'too-many-users' });
  assert.deepEqual(spawnOutcome(serverPending('mia', 'spawn')), { status: 'failure', reason: 'already-pending' });
  assert.deepEqual(spawnOutcome(spawnFailed('Spawn failed: boom')), { status: 'error', reason: '' });
  assert.deepEqual(spawnOutcome(new Error('the server exited')), { status: 'error', reason: '' });
  assert.deepEqual(spawnOutcome(new ServerExitedError('gone')), { status: 'error', reason: 'exited' });
});

test('observeSpawn and refuseSpawn label the series; refuseSpawn hands the error back', async () => {
  const h = histogram(['status', 'reason']);
  observeSpawn(h, Date.now() - 2000);
  observeSpawn(h, Date.now(), new Error('x'));
  const err = spawnLimitReached();
  assert.equal(refuseSpawn(h, err), err);
  assert.equal(refuseSpawn(undefined, err), err);
  assert.equal(await count(h, { status: 'success', reason: '' }), 1);
  assert.equal(await count(h, { status: 'error', reason: '' }), 1);
  assert.equal(await count(h, { status: 'failure', reason: 'throttled' }), 1);
  const sum = (await h.get()).values.find((v) => v.metricName === 'h_sum' && v.labels.status === 'success');
  assert.ok(sum && sum.value >= 2 && sum.value < 3, 'the duration is the time since the start');
});

test('timedStatus labels by outcome and passes results and errors through', async () => {
  const h = histogram(['status']);
  assert.equal(await timedStatus(h, async () => 7), 7);
  await assert.rejects(
    timedStatus(h, async () => {
      throw new Error('proxy down');
    }),
    /proxy down/,
  );
  assert.equal(await count(h, { status: 'success' }), 1);
  assert.equal(await count(h, { status: 'failure' }), 1);
});

test('timed observes only what finished, and runs the work without a histogram', async () => {
  const h = histogram([]);
  assert.equal(await timed(h, async () => 'ok'), 'ok');
  await assert.rejects(
    timed(h, () => Promise.reject(new Error('no'))),
    /no/,
  );
  assert.equal(await timed(undefined, async () => 1), 1);
  assert.equal(await count(h), 1);
});

test('timedPoll labels running (null) and stopped (an exit status)', async () => {
  const h = histogram(['status']);
  assert.equal(await timedPoll(h, { poll: async () => null }), null);
  assert.equal(await timedPoll(h, { poll: async () => 1 }), 1);
  assert.equal(await timedPoll(h, { poll: async () => 0 }), 0);
  assert.equal(await count(h, { status: 'running' }), 1);
  assert.equal(await count(h, { status: 'stopped' }), 2);
});
