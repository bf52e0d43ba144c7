import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig } from '../../config/index.ts';
import { classifyJob, jobOutputPath, parseJobId, parseNodeAddr } from './job-status.ts';

const res = buildConfig({}).spawner.slurm;

test('squeue output reads as pending (with its reason), running (with its host), unknown or gone', () => {
  assert.deepEqual(classifyJob('PENDING n/a BeginTime', res), { kind: 'pending', reason: 'BeginTime' });
  assert.deepEqual(classifyJob('PENDING n/a None', res), { kind: 'pending', reason: null });
  assert.deepEqual(classifyJob('CONFIGURING node7 None', res), { kind: 'pending', reason: null });
  assert.deepEqual(classifyJob('RUNNING node7 None\n', res), { kind: 'running', host: 'node7' });
  // batchspawner's own query format ('%T %B') works with the same expressions.
  assert.deepEqual(classifyJob('COMPLETING node7', res), { kind: 'running', host: 'node7' });
  assert.deepEqual(classifyJob('slurm_load_jobs error: Unable to contact slurm controller (connect failure)', res), {
    kind: 'unknown',
  });
  assert.deepEqual(classifyJob('', res), { kind: 'gone', status: 1, text: '' });
  assert.deepEqual(classifyJob('slurm_load_jobs error: Invalid job id specified', res), {
    kind: 'gone',
    status: 1,
    text: 'slurm_load_jobs error: Invalid job id specified',
  });
  assert.equal(classifyJob('COMPLETED node7 None', res).kind, 'gone');
  assert.deepEqual(classifyJob('COMPLETED node7 None', res), { kind: 'gone', status: 0, text: 'COMPLETED node7 None' });
});

test('job ids from sbatch --parsable, node addresses from scontrol', () => {
  assert.equal(parseJobId('1234\n'), '1234');
  assert.equal(parseJobId('1234;cluster2'), '1234');
  assert.equal(parseJobId('Submitted batch job 1234'), null);
  assert.equal(parseNodeAddr('NodeName=n1 Arch=x86_64 CoresPerSocket=1 NodeAddr=10.0.0.7 NodeHostName=n1'), '10.0.0.7');
  assert.equal(parseNodeAddr('nothing'), null);
});

test("the job's output file comes from the script's --output line", () => {
  assert.equal(
    jobOutputPath('#!/bin/bash\n#SBATCH --output=/home/%u/slurm_%j.log\n', '42', 'ann'),
    '/home/ann/slurm_42.log',
  );
  assert.equal(jobOutputPath('#SBATCH -o /tmp/x-%j-%%.out\n', '7', 'ann'), '/tmp/x-7-%.out');
  assert.equal(jobOutputPath('#SBATCH --output=relative.log\n', '7', 'ann'), null);
  assert.equal(jobOutputPath('echo no output line\n', '7', 'ann'), null);
});

test('a broken expression is named in the error', () => {
  assert.throws(
    () => classifyJob('RUNNING n1', { ...res, state_running_re: '(' }),
    /spawner\.slurm\.state_running_re is not a valid regular expression/,
  );
});
