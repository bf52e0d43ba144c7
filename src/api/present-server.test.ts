import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpawnerRow } from '../db/index.ts';
import { presentServer } from './present-server.ts';

const row: SpawnerRow = {
  id: 1,
  user_id: 1,
  name: 'work',
  display_name: null,
  state: '{}',
  started: null,
  last_activity: null,
  user_options: '{}',
  server_url: 'http://127.0.0.1:40000',
  pending: null,
  oauth_client_id: null,
};

test('full_url and full_progress_url: null without public_url, on its host with it (names escaped)', () => {
  const none = presentServer('/jhub/', 'a b', row, false);
  assert.equal(none.full_url, null);
  assert.equal(none.full_progress_url, null);
  const m = presentServer('/jhub/', 'a b', row, false, 'https://hub.example.org/jhub/');
  assert.equal(m.url, '/jhub/user/a%20b/work/');
  assert.equal(m.full_url, 'https://hub.example.org/jhub/user/a%20b/work/');
  assert.equal(m.full_progress_url, 'https://hub.example.org/jhub/hub/api/users/a%20b/servers/work/progress');
  // A public_url given without the base path still puts the server under it.
  const bare = presentServer('/jhub/', 'a b', { ...row, name: '' }, false, 'https://hub.example.org');
  assert.equal(bare.full_url, 'https://hub.example.org/jhub/user/a%20b/');
});
