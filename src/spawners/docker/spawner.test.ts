// The docker spawner without an engine: what it says when the engine is not there. The runs against a
// real engine are in test/spawner-docker.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnerFactory } from '../index.ts';
import type { ProgressEvent, SpawnRequest } from '../spawner.ts';
import { spawnRequest, tempDir } from '../test-helpers.ts';

// spawnRequest's config type wants whole sub-sections; buildConfig fills in the rest of `docker`.
const config = { class: 'docker', docker: { host: 'unix:///nonexistent/docker.sock' } } as unknown as Parameters<
  typeof spawnRequest
>[0]['config'];
const request = (): SpawnRequest => spawnRequest({ stateDir: tempDir(), config });

test('docker spawner: an engine that is not there fails the start and says where it looked', async () => {
  const s = spawnerFactory(request().config).create(request());
  await assert.rejects(
    s.start(),
    /Cannot look up image jupyterhub\/singleuser:latest on the Docker engine: .*nonexistent/,
  );
  const events: ProgressEvent[] = [];
  for await (const e of s.progress()) events.push(e);
  assert.deepEqual(events, []);
  assert.equal(await s.poll(), 0, 'nothing was created');
});

test('docker spawner: a restored server counts as running while its engine does not answer', async () => {
  const state = { container_id: 'abc123', container_name: 'jupyter-alice', port: 40000 };
  const s = spawnerFactory(request().config).restore(request(), state);
  assert.deepEqual(s.state(), state);
  assert.equal(await s.poll(), null);
  await assert.rejects(s.stop(), /Cannot stop container jupyter-alice/);
});
