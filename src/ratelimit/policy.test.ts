import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../config/index.ts';
import { RatePolicy } from './policy.ts';

const policyOf = (rate_limits: object) => new RatePolicy(buildConfig({ rate_limits } as never).rate_limits);

test('without overriding roles every principal gets the defaults', () => {
  const p = policyOf({ api: { rate_per_minute: 60, burst: 5 } });
  assert.equal(p.hasRoleOverrides, false);
  assert.equal(p.forRoles(['user', 'admin']), p.base);
  assert.equal(p.base.api.policyHeader, '"api";q=5;w=5');
  assert.equal(p.unauthenticated.name, 'unauthenticated');
});

test('a role override replaces only the buckets it names', () => {
  const p = policyOf({ roles: { culler: { api: { rate_per_minute: 60, burst: 7 } } } });
  const l = p.forRoles(['user', 'culler']);
  assert.equal(l.api.burst, 7);
  assert.equal(l.user, p.base.user);
  assert.equal(l.spawn, p.base.spawn);
  assert.equal(p.forRoles(['culler', 'user']), l, 'computed once per set of overriding roles');
});

test('of several overriding roles the most generous applies, even below the defaults', () => {
  const p = policyOf({
    api: { rate_per_minute: 600, burst: 100 },
    roles: {
      a: { api: { rate_per_minute: 10, burst: 50 }, spawn: { rate_per_minute: 5, burst: 1 } },
      b: { api: { rate_per_minute: 30, burst: 20 } },
    },
  });
  const both = p.forRoles(['a', 'b']);
  assert.equal(both.api.burst, 50);
  assert.equal(both.api.perMs, 30 / 60_000);
  assert.equal(both.spawn.burst, 1);
  assert.equal(p.forRoles(['b']).api.burst, 20, 'a role may also lower a limit');
});
