import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { apiFieldTable, TABLE_PATH } from '../../../scripts/k8s-api-fields.mjs';
import { fieldProblems } from './fields.ts';

test('api-fields.json is what scripts/k8s-api-fields.mjs makes from the installed Kubernetes client', async () => {
  const onDisk = JSON.parse(readFileSync(TABLE_PATH as string, 'utf8'));
  assert.deepEqual(onDisk, await apiFieldTable(), 'stale: run node scripts/k8s-api-fields.mjs');
});

test('the table reaches deep types: a volume source field and a probe handler are checked', () => {
  const pod = {
    spec: {
      containers: [{ name: 'c', livenessProbe: { httpGet: { port: 'http', pth: '/' } } }],
      volumes: [{ name: 'v', nfs: { server: 's', path: '/x', readOnly: 'yes' } }],
    },
  };
  assert.deepEqual(fieldProblems(pod, 'V1Pod'), [
    'spec.containers[0].livenessProbe.httpGet.pth: not a field of HTTPGetAction',
    'spec.volumes[0].nfs.readOnly: "yes" is not a boolean',
  ]);
});
