import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HubError } from '../errors/index.ts';
import { parseAuditFilter } from './query.ts';

test('action filters: exact names, and prefixes ending in "." or ".*"', () => {
  assert.deepEqual(parseAuditFilter({ action: 'token.revoke' }, null).action, { exact: 'token.revoke' });
  assert.deepEqual(parseAuditFilter({ action: 'token.' }, null).action, { prefix: 'token.' });
  assert.deepEqual(parseAuditFilter({ action: 'token.*' }, null).action, { prefix: 'token.' });
});

test('times are normalised to the stored form; newest first unless asked', () => {
  const f = parseAuditFilter({ since: '2025-01-31', until: '2025-02-01T12:00:00+01:00' }, null);
  assert.equal(f.since, '2025-01-31T00:00:00.000Z');
  assert.equal(f.until, '2025-02-01T11:00:00.000Z');
  assert.equal(f.order, 'desc');
  assert.equal(parseAuditFilter({ order: 'asc' }, null).order, 'asc');
});

test('malformed filters are 400s naming the parameter', () => {
  for (const [q, name] of [
    [{ action: 'Token.Revoke' }, 'action'],
    [{ action: '.' }, 'action'],
    [{ since: 'yesterday' }, 'since'],
    [{ until: '2025-02-30T25:00' }, 'until'],
    [{ order: 'newest' }, 'order'],
    [{ since: '2025-02-01', until: '2025-01-01' }, 'range'],
  ] as const) {
    assert.throws(
      () => parseAuditFilter(q, null),
      (e: unknown) => e instanceof HubError && e.status === 400 && e.message.includes(name),
      JSON.stringify(q),
    );
  }
});
