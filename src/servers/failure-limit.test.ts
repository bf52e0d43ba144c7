import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { HubError } from '../errors/index.ts';
import { FailureLimit } from './failure-limit.ts';

test('after the limit of failures in a row, starts are refused with 503 until a success resets it', () => {
  const f = new FailureLimit(2, pino({ level: 'silent' }));
  f.failed();
  f.check();
  f.succeeded();
  f.failed();
  f.check();
  f.failed();
  assert.throws(
    () => f.check(),
    (e: unknown) => e instanceof HubError && e.status === 503 && e.reason === 'spawn_failure_limit',
  );
});

test('limit 0 never refuses', () => {
  const f = new FailureLimit(0, pino({ level: 'silent' }));
  for (let i = 0; i < 50; i++) f.failed();
  f.check();
});
