import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../../config/index.ts';
import type { TokenRow } from '../../db/index.ts';
import { HubError } from '../../errors/index.ts';
import { newTokenLifetime, successorLifetime } from './expiry.ts';

const policy = (tokens: { default_expires_in?: number | null; expires_in_max_seconds?: number | null }) =>
  buildConfig({ tokens }).tokens;

test('a new token: absent takes the default, null or 0 means never', () => {
  assert.equal(newTokenLifetime(policy({ default_expires_in: 600 }), undefined), 600);
  assert.equal(newTokenLifetime(policy({}), undefined), null);
  assert.equal(newTokenLifetime(policy({ default_expires_in: 600 }), null), null);
  assert.equal(newTokenLifetime(policy({ default_expires_in: 600 }), 0), null);
  assert.equal(newTokenLifetime(policy({}), 42), 42);
});

test('a new token under a maximum: never becomes the maximum, above it is refused with its own reason', () => {
  const p = policy({ expires_in_max_seconds: 3600 });
  assert.equal(newTokenLifetime(p, null), 3600);
  assert.equal(newTokenLifetime(p, 0), 3600);
  assert.equal(newTokenLifetime(p, undefined), 3600, 'no default: the maximum');
  assert.equal(newTokenLifetime(p, 3600), 3600);
  assert.throws(
    () => newTokenLifetime(p, 3601),
    (err: unknown) =>
      err instanceof HubError &&
      err.status === 400 &&
      err.reason === 'token_lifetime_exceeded' &&
      err.message === 'token expires_in: 3601 must not exceed 3600',
  );
});

test("a rotated token's successor lives as long as it did, within the current maximum", () => {
  const old = (lifetime: number | null) =>
    ({
      created: '2026-01-01T00:00:00.000Z',
      expires_at:
        lifetime === null ? null : new Date(Date.parse('2026-01-01T00:00:00.000Z') + lifetime * 1000).toISOString(),
    }) as TokenRow;
  assert.equal(successorLifetime(policy({}), old(7200)), 7200);
  assert.equal(successorLifetime(policy({}), old(null)), null);
  assert.equal(successorLifetime(policy({ expires_in_max_seconds: 3600 }), old(null)), 3600);
  assert.equal(successorLifetime(policy({ expires_in_max_seconds: 3600 }), old(7200)), 3600, 'the maximum was lowered');
  assert.equal(successorLifetime(policy({ expires_in_max_seconds: 3600 }), old(60)), 60);
});
