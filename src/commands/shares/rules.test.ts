import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HubError } from '../../errors/index.ts';
import { shareScopes } from './rules.ts';

const refused = (scopes: string[], server = '') => {
  try {
    shareScopes(scopes, 'alice', server);
  } catch (err) {
    assert.ok(err instanceof HubError);
    return { status: err.status, reason: err.reason, message: err.message };
  }
  assert.fail(`${scopes.join(' ')} was accepted`);
};

test('a share grants access to its server by default, filtered to it', () => {
  assert.deepEqual(shareScopes(undefined, 'alice', ''), ['access:servers!server=alice/']);
  assert.deepEqual(shareScopes([], 'alice', 'lab'), ['access:servers!server=alice/lab']);
  assert.deepEqual(shareScopes(['access:servers', 'access:servers!server=alice/lab'], 'alice', 'lab'), [
    'access:servers!server=alice/lab',
  ]);
});

test("another server's, user's or group's filter is refused with upstream's message", () => {
  const r = refused(['access:servers!server=bob/']);
  assert.equal(r.status, 400);
  assert.equal(r.reason, 'share_scope_invalid');
  assert.equal(r.message, '!server=bob/ not allowed on sharing access:servers!server=bob/, only !server=alice/');
  assert.equal(refused(['access:servers!user=alice']).status, 400);
  assert.equal(refused(['access:servers!group=team']).status, 400);
  assert.equal(refused(['access:servers!server=alice/'], 'lab').status, 400, 'the default server is not lab');
});

test('scopes other than access are refused, filtered to the server or not', () => {
  for (const s of ['read:users', 'admin:users', 'servers!server=alice/', 'inherit', 'self', 'shares', 'nonsense'])
    assert.equal(refused([s]).reason, 'share_scope_invalid', s);
});
