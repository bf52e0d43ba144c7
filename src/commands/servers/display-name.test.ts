import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HubError } from '../../errors/index.ts';
import { admitDisplayName } from './display-name.ts';

test('display names: printable text with single inner spaces, 1-255 characters, NFC', () => {
  for (const ok of ['Lab', 'GPU lab (2)', 'Ünïcødé ✓', '数据', 'a'.repeat(255)]) assert.equal(admitDisplayName(ok), ok);
  assert.equal(admitDisplayName('e\u0301'), '\u00e9', 'combining sequences are composed');
  for (const bad of ['', ' x', 'x ', 'a  b', 'tab\there', 'new\nline', 'nul\u0000', 'zw\u200bsp', 'a'.repeat(256)]) {
    assert.throws(
      () => admitDisplayName(bad),
      (e: unknown) => e instanceof HubError && e.status === 400 && e.reason === 'invalid_display_name',
      JSON.stringify(bad),
    );
  }
});
