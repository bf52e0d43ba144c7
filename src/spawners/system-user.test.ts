import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupSystemUser, parseGroupFile, parsePasswdLine } from './system-user.ts';

test('parses passwd and group lines', () => {
  assert.deepEqual(parsePasswdLine('alice:x:1001:1002:Alice A,,,:/home/alice:/bin/bash', 'alice'), {
    name: 'alice',
    uid: 1001,
    gid: 1002,
    home: '/home/alice',
    shell: '/bin/bash',
  });
  assert.equal(parsePasswdLine('alice:x:1001:1002:Alice:/home/alice:/bin/bash', 'alic'), null);
  assert.equal(parsePasswdLine('alice:x::1002::/home/alice:/bin/sh', 'alice'), null);
  const groups = 'root:x:0:\nstaff:x:50:bob,alice\nalice:x:1002:\ndata:x:60: alice \nother:x:70:alicex\n';
  assert.deepEqual(parseGroupFile(groups, 'alice', 1002), [1002, 50, 60]);
});

test('looks up real accounts and refuses names getent would misread', async () => {
  const root = await lookupSystemUser('root');
  assert.ok(root);
  assert.equal(root.uid, 0);
  assert.equal(root.gid, 0);
  assert.ok(root.groups.includes(0));
  assert.equal(root.home, '/root');
  assert.equal(await lookupSystemUser('no-such-user-tshub-x'), null);
  // '0' would be uid 0 to getent, '-s' an option.
  assert.equal(await lookupSystemUser('0'), null);
  assert.equal(await lookupSystemUser('-s'), null);
  assert.equal(await lookupSystemUser('root:x'), null);
});
