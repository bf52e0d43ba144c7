import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertJobSafeUsername } from './script.ts';

test('only usernames that are one plain word in a shell line and a path get a Slurm job', () => {
  for (const ok of ['ann', 'ann.lee', 'ann@example.org', 'a_b-c+d', 'jürgen']) assertJobSafeUsername(ok);
  for (const bad of ['a;reboot', '$(id)', 'a b', '-rf', '../x', "a'b", ''])
    assert.throws(() => assertJobSafeUsername(bad), /takes only usernames/, bad);
});
