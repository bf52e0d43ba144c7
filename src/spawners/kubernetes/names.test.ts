import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeSlug, expandTemplate, labelSlug, multiSlug, safeSlug, templateFields } from './names.ts';

// Expected values are what KubeSpawner 7 gives the same names, so a hub moved from it finds its pods.

test('safe slugs keep valid names and hash the rest, as KubeSpawner 7', () => {
  assert.equal(safeSlug('alice', undefined, 48), 'alice');
  assert.equal(safeSlug('Alice', undefined, 48), 'alice---3bc51062');
  assert.equal(safeSlug('user@example.com', undefined, 48), 'user-example-com---b4c9a289');
  assert.equal(safeSlug('a--b', undefined, 48), 'a-b---90827a2e', "'--' is reserved for joins, so it is hashed");
  assert.equal(safeSlug('1abc', undefined, 48), 'x-1abc---57cb980e', 'object names start with a letter');
  assert.equal(safeSlug('x'.repeat(60), undefined, 48), `${'x'.repeat(37)}---42f2d973`);
  assert.equal(safeSlug('ÿnicode', undefined, 48), 'nicode---b806d281');
  assert.equal(multiSlug(['alice', 'lab2']), 'alice--lab2---99204e27');
  assert.equal(multiSlug(['a'.repeat(40), 'server-with-long-name']), 'aaaaaaaaaaaaaaaaa--server-with-long---524c8275');
});

test('label slugs allow what labels allow (capitals, a leading digit, empty)', () => {
  assert.equal(labelSlug('Alice'), 'Alice');
  assert.equal(labelSlug('1abc'), '1abc');
  assert.equal(labelSlug(''), '');
  assert.equal(labelSlug('user@example.com'), 'user-example-com---b4c9a289');
});

test('the escape scheme escapes each byte outside [a-z0-9] as -xx', () => {
  assert.equal(escapeSlug('user@example.com'), 'user-40example-2ecom');
  assert.equal(escapeSlug('Alice'), '-41lice');
  assert.equal(escapeSlug('é'), '-c3-a9');
});

test('template fields: {user_server} joins user and server, per slug_scheme', () => {
  const n = { userId: 7, username: 'user@example.com', servername: 'lab2', hubNamespace: 'jhub' };
  const safe = templateFields({ slug_scheme: 'safe' }, n);
  assert.equal(safe.user_server, 'user-example-com---b4c9a289--lab2');
  assert.equal(safe.userid, '7');
  assert.equal(safe.hubnamespace, 'jhub');
  const esc = templateFields({ slug_scheme: 'escape' }, n);
  assert.equal(esc.user_server, 'user-40example-2ecom--lab2');
  assert.equal(
    templateFields({ slug_scheme: 'safe' }, { ...n, servername: '' }).user_server,
    'user-example-com---b4c9a289',
  );
  assert.equal(templateFields({ slug_scheme: 'safe' }, { ...n, hubNamespace: 'default' }).hubnamespace, 'user');
  // A long user and server name together get one hash for both, within 48 characters.
  const long = templateFields(
    { slug_scheme: 'safe' },
    { ...n, username: 'a'.repeat(40), servername: 'server-with-long-name' },
  );
  assert.equal(long.user_server, 'aaaaaaaaaaaaaaaaa--server-with-long---524c8275');
});

test("templates: fields replaced, the '-' an empty server name leaves is dropped, unknown fields kept", () => {
  const f = { username: 'alice', servername: '' };
  assert.equal(expandTemplate('jupyter-{username}--{servername}', f), 'jupyter-alice');
  assert.equal(expandTemplate('keep-{username}-', f), 'keep-alice-');
  assert.equal(expandTemplate('{username}-{nope}', f), 'alice-{nope}');
});
