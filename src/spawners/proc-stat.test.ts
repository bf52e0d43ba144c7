import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { isOurProcess, parseProcStat, readProcStat } from './proc-stat.ts';

test('parses /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = 'S';
  fields[2] = '4242'; // pgrp (field 5)
  fields[19] = '987654'; // starttime (field 22)
  const stat = parseProcStat(`4242 (we ird) (name)) ${fields.join(' ')}\n`);
  assert.deepEqual(stat, { state: 'S', pgrp: 4242, startTime: 987654 });
  assert.equal(parseProcStat('garbage'), null);
});

test('isOurProcess checks the start time, so a reused pid is not taken for our server', async () => {
  const me = readProcStat(process.pid);
  assert.ok(me, 'this test needs Linux /proc');
  assert.equal(isOurProcess(process.pid, me.startTime), true);
  assert.equal(isOurProcess(process.pid, null), true);
  assert.equal(isOurProcess(process.pid, me.startTime + 1), false);
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const pid = child.pid!;
  const start = readProcStat(pid)!.startTime;
  assert.equal(isOurProcess(pid, start), true);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(isOurProcess(pid, start), false);
});
