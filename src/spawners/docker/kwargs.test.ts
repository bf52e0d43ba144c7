import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineKwargs, parseBytes } from './kwargs.ts';

test("docker kwargs: docker-py's names become the Engine API's, sizes become bytes", () => {
  assert.deepEqual(
    engineKwargs(
      {
        user: '1000',
        working_dir: '/w',
        mem_limit: '1g',
        shm_size: '64m',
        read_only: true,
        cap_add: ['SYS_PTRACE'],
        Privileged: false,
      },
      'x',
    ),
    {
      User: '1000',
      WorkingDir: '/w',
      Memory: 1024 ** 3,
      ShmSize: 64 * 1024 ** 2,
      ReadonlyRootfs: true,
      CapAdd: ['SYS_PTRACE'],
      Privileged: false,
    },
  );
  assert.deepEqual(engineKwargs({ environment: { A: '1' }, extra_hosts: { db: '10.0.0.2' } }, 'x'), {
    Env: ['A=1'],
    ExtraHosts: ['db:10.0.0.2'],
  });
});

test('docker kwargs: byte sizes as JupyterHub and docker-py write them', () => {
  assert.equal(parseBytes('256M', 'm'), 256 * 1024 ** 2);
  assert.equal(parseBytes('1.5G', 'm'), 1.5 * 1024 ** 3);
  assert.equal(parseBytes(1000, 'm'), 1000);
  assert.throws(() => parseBytes('lots', 'mem_limit'), /mem_limit: "lots" is not a size/);
});
