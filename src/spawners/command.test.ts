import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findExecutable } from './command.ts';

test('finds commands on the given PATH, or by path, and only executable files', () => {
  assert.equal(findExecutable('sh', '/nonexistent:/bin', '/'), '/bin/sh');
  assert.equal(findExecutable('sh', '/nonexistent', '/'), null);
  assert.equal(findExecutable('sh', undefined, '/'), null);
  assert.equal(findExecutable('/bin/sh', '', '/'), '/bin/sh');
  assert.equal(findExecutable('bin/sh', '', '/'), '/bin/sh');
  assert.equal(findExecutable('passwd', '/etc', '/'), null); // a file, but not executable
  assert.equal(findExecutable('bin', '/', '/'), null); // executable, but a directory
});
