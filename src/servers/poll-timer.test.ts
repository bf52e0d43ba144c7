import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { schedulePolls } from './poll-timer.ts';

test('poll_interval 0 turns polling off (it used to poll without pause)', async () => {
  let polls = 0;
  const stop = schedulePolls(0, 0.1, async () => {
    polls++;
  });
  await sleep(100);
  stop();
  assert.equal(polls, 0);
});

test('polls repeat, each wait within poll_jitter of the interval, and stop when told', async () => {
  const times: number[] = [];
  // random() at its extremes: the waits are interval * (1 - jitter) and interval * (1 + jitter).
  const randoms = [0, 0.999999, 0, 0.999999];
  const stop = schedulePolls(
    0.1,
    0.5,
    async () => {
      times.push(Date.now());
    },
    () => randoms.shift() ?? 0.5,
  );
  const start = Date.now();
  await sleep(600);
  stop();
  const count = times.length;
  await sleep(300);
  assert.equal(times.length, count, 'no poll after stop');
  assert.ok(count >= 3, `${count} polls`);
  assert.ok(times[0]! - start >= 45 && times[0]! - start < 140, `first wait ${times[0]! - start} ms`);
  assert.ok(times[1]! - times[0]! >= 140, `second wait ${times[1]! - times[0]!} ms`);
});

test('a failing poll does not end polling', async () => {
  let polls = 0;
  const stop = schedulePolls(0.02, 0, async () => {
    polls++;
    throw new Error('boom');
  });
  await sleep(200);
  stop();
  assert.ok(polls >= 2);
});
