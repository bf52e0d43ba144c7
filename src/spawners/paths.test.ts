import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandUsername, logFilePath, resolveWorkdir } from './paths.ts';

test('workdir_template is relative to the state dir unless absolute', () => {
  assert.equal(resolveWorkdir('tshub-users/{username}', 'alice', '/var/lib/tshub'), '/var/lib/tshub/tshub-users/alice');
  assert.equal(resolveWorkdir('/srv/nb/{username}/work', 'alice', '/var/lib/tshub'), '/srv/nb/alice/work');
  assert.equal(resolveWorkdir('/srv/u-{username}', 'bob', '/x'), '/srv/u-bob');
  assert.equal(resolveWorkdir('{username}', 'bob', '/x'), '/x/bob');
  // No {username}: every user shares it, which is the admin's call.
  assert.equal(resolveWorkdir('shared', 'bob', '/x'), '/x/shared');
});

test('a username never moves the working directory out of its base', () => {
  for (const bad of ['..', '.', '', 'a/b', '../etc', 'a\\b', 'a\0b']) {
    assert.throws(() => resolveWorkdir('tshub-users/{username}', bad, '/x'), /cannot be used in a file path/, bad);
  }
  // Dots inside a name are fine.
  assert.equal(resolveWorkdir('tshub-users/{username}', '..alice', '/x'), '/x/tshub-users/..alice');
  assert.equal(resolveWorkdir('tshub-users/{username}', 'a.b', '/x'), '/x/tshub-users/a.b');
});

test('{username} is replaced everywhere', () => {
  assert.equal(expandUsername('/home/{username}/nb-{username}', 'al'), '/home/al/nb-al');
});

test('log files are named <user>[-<server>].log under <stateDir>/logs', () => {
  assert.equal(logFilePath('/s', 'alice', ''), '/s/logs/alice.log');
  assert.equal(logFilePath('/s', 'alice', 'lab'), '/s/logs/alice/lab.log');
  assert.notEqual(logFilePath('/s', 'a-b', ''), logFilePath('/s', 'a', 'b'));
  assert.equal(logFilePath('/s', 'a/b', '../x'), '/s/logs/a_b/_.._x.log');
  assert.equal(logFilePath('/s', '.hidden', ''), '/s/logs/_.hidden.log');
  assert.equal(logFilePath('/s', 'jörg@example.org', ''), '/s/logs/jörg@example.org.log');
});
