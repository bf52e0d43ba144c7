import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../../config/index.ts';
import type { DockerConfig } from '../../config/schema-docker.ts';
import type { ProfileConfig } from '../../config/schema-profiles.ts';
import { HubError } from '../../errors/index.ts';
import { chooseImage } from './images.ts';

const docker = (d: Partial<DockerConfig>, profile_list: ProfileConfig[] = []) =>
  buildConfig({ spawner: { class: 'docker', docker: d, profile_list } }).spawner;

function refusal(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HubError);
    return { status: err.status, message: err.message };
  }
  throw new Error('expected a refusal');
}

test('docker images: the configured image unless the user picks an allowed one', () => {
  assert.equal(chooseImage(docker({ image: 'base:1' }), {}), 'base:1');
  assert.equal(chooseImage(docker({ image: 'base:1', allowed_images: ['a:1', 'b:2'] }), { image: 'b:2' }), 'b:2');
  assert.equal(chooseImage(docker({ allowed_images: { Python: 'py:3.12' } }), { image: 'Python' }), 'py:3.12');
});

test("docker images: DockerSpawner's 400s for a pick that is not allowed", () => {
  assert.deepEqual(
    refusal(() => chooseImage(docker({ allowed_images: ['a:1', 'b:2'] }), { image: 'evil' })),
    { status: 400, message: 'Image evil not in allowed list: a:1, b:2' },
  );
  assert.deepEqual(
    refusal(() => chooseImage(docker({}), { image: 'a:1' })),
    {
      status: 400,
      message: 'Specifying image to launch is not allowed',
    },
  );
  assert.equal(refusal(() => chooseImage(docker({ allowed_images: ['a:1'] }), { image: ['a:1'] })).status, 400);
});

test('docker images: without a profile_list, user_options.image is read even beside a profile key', () => {
  const allowed = docker({ image: 'base:1', allowed_images: ['a:1'] });
  assert.equal(chooseImage(allowed, { profile: 'gpu', image: 'a:1' }), 'a:1');
  assert.deepEqual(
    refusal(() => chooseImage(allowed, { profile: 'gpu', image: 'evil' })),
    {
      status: 400,
      message: 'Image evil not in allowed list: a:1',
    },
  );
});

test("docker images: with a profile_list, the profile's overrides pick the image, not user_options.image", () => {
  const profiled = docker({ image: 'base:1', allowed_images: ['a:1'] }, [
    { display_name: 'GPU', kubespawner_override: { image: 'gpu:1' } },
  ]);
  // user_options.image is a profile option's choice key here ('evil' would be refused by the profile).
  assert.equal(chooseImage(profiled, { profile: 'gpu', image: 'evil' }), 'base:1');
});
