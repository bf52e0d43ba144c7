import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerName, dockerEscape, renderTemplate, templateNamespace } from './names.ts';

const parts = { prefix: 'jupyter', username: 'alice', servername: '', image: 'example.org/x/y:1' };

test('docker names: DockerSpawner escaping keeps [a-z0-9] and escapes every other byte as -xx', () => {
  assert.equal(dockerEscape('alice'), 'alice');
  assert.equal(dockerEscape('Alice.B'), '-41lice-2e-42');
  assert.equal(dockerEscape('a-b'), 'a-2db');
  assert.equal(dockerEscape('zoë'), 'zo-c3-ab');
});

test('docker names: default templates for the default and named servers, and the name is checked', () => {
  assert.equal(containerName(null, parts), 'jupyter-alice');
  assert.equal(containerName(null, { ...parts, servername: 'Lab2' }), 'jupyter-alice--lab2');
  assert.equal(containerName('hub-{raw_username}-{imagename}', parts), 'hub-alice-example.org-x-y-1');
  assert.throws(() => containerName('{raw_username}/x', parts), /not a valid Docker container name/);
});

test('docker names: unknown placeholders stay as written', () => {
  assert.equal(renderTemplate('/home/{username}/{other}', templateNamespace(parts)), '/home/alice/{other}');
});
