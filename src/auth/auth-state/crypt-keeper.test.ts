import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { CryptKeeper, EncryptionUnavailable, parseKey } from './crypt-keeper.ts';
import { FernetKey } from './fernet.ts';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const OTHER = Buffer.alloc(32, 9);
// Made by Python's cryptography 48 (Fernet(urlsafe_b64encode(KEY))._encrypt_from_parts(json.dumps(value),
// 1700000000, bytes(range(100, 116)))): the at-rest format JupyterHub writes.
const PYTHON_TOKEN =
  'gAAAAABlU_EAZGVmZ2hpamtsbW5vcHFyc45U2qz4G9QOepjvhwC7aRO7D8h1VZirxMmEv5zM64Y9QP3DsHvZZdFx9eOgI7EkMFAxDOLOfb398Gut9KPsO2Y=';
const PYTHON_VALUE = { access_token: 'abc', n: 1 };
const IV = Buffer.from(Array.from({ length: 16 }, (_, i) => 100 + i));

// Debian's Python (where python3-cryptography installs), not whichever python3 comes first on PATH.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const python = spawnSync(PYTHON, ['-c', 'import cryptography'], { stdio: 'ignore' }).status === 0;

describe('Fernet, byte for byte as Python writes it', () => {
  test('the same key, time, IV and plaintext give the same token; the Python token opens', () => {
    const k = new FernetKey(KEY);
    const plain = Buffer.from(JSON.stringify(PYTHON_VALUE).replace(/,/g, ', ').replace(/:/g, ': '));
    assert.equal(k.encrypt(plain, 1_700_000_000_000, IV), PYTHON_TOKEN);
    assert.deepEqual(JSON.parse(k.decrypt(PYTHON_TOKEN)!.toString()), PYTHON_VALUE);
    assert.deepEqual(new CryptKeeper([KEY]).decrypt(PYTHON_TOKEN), PYTHON_VALUE);
  });

  test('Python decrypts what tshub encrypts', { skip: !python && 'python3-cryptography is not installed' }, () => {
    const token = new CryptKeeper([KEY]).encrypt({ refresh_token: 'r', list: [1, 'x'] });
    const script =
      'import sys, base64, json; from cryptography.fernet import Fernet;' +
      'print(json.dumps(json.loads(Fernet(base64.urlsafe_b64encode(bytes(range(32)))).decrypt(sys.argv[1].encode()))))';
    const out = spawnSync(PYTHON, ['-c', script, token], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { refresh_token: 'r', list: [1, 'x'] });
  });

  test('an altered byte anywhere, a truncated token or another version is refused', () => {
    const k = new FernetKey(KEY);
    const raw = Buffer.from(PYTHON_TOKEN, 'base64url');
    for (const at of [0, 5, 20, 40, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at]! ^= 1;
      assert.equal(k.decrypt(bad.toString('base64url')), null, `byte ${at}`);
    }
    assert.equal(k.decrypt(PYTHON_TOKEN.slice(0, 60)), null);
    assert.equal(k.decrypt('not base64!'), null);
    assert.equal(k.decrypt(''), null);
  });
});

describe('CryptKeeper: JUPYTERHUB_CRYPT_KEY', () => {
  test('keys are hex or base64 (either alphabet), 32 bytes; anything else is refused', () => {
    assert.deepEqual(parseKey(KEY.toString('hex')), KEY);
    assert.deepEqual(parseKey(KEY.toString('base64')), KEY);
    assert.deepEqual(parseKey(KEY.toString('base64url')), KEY);
    for (const bad of ['abcd', 'x'.repeat(64), Buffer.alloc(16).toString('hex'), 'ä'.repeat(44)])
      assert.throws(() => parseKey(bad), /Encryption keys must be 32 bytes, hex or base64-encoded/);
  });

  test('no key: nothing encrypts or decrypts, and the message names the variable', () => {
    const none = CryptKeeper.fromEnv({ JUPYTERHUB_CRYPT_KEY: ' ; ' });
    assert.equal(none.keyCount, 0);
    assert.throws(() => none.encrypt({}), /Encryption keys must be specified in JUPYTERHUB_CRYPT_KEY env/);
    assert.throws(() => none.decrypt(PYTHON_TOKEN), EncryptionUnavailable);
  });

  test('a wrong key cannot read; rotation: the new key encrypts, the old one still decrypts', () => {
    const old = CryptKeeper.fromEnv({ JUPYTERHUB_CRYPT_KEY: KEY.toString('hex') });
    const written = old.encrypt({ a: 1 });
    assert.throws(() => new CryptKeeper([OTHER]).decrypt(written), EncryptionUnavailable);
    const rotated = CryptKeeper.fromEnv({ JUPYTERHUB_CRYPT_KEY: `${OTHER.toString('base64')};${KEY.toString('hex')}` });
    assert.equal(rotated.keyCount, 2);
    assert.deepEqual(rotated.decrypt(written), { a: 1 });
    const rewritten = rotated.encrypt({ a: 1 });
    assert.deepEqual(new CryptKeeper([OTHER]).decrypt(rewritten), { a: 1 });
    assert.throws(() => old.decrypt(rewritten), EncryptionUnavailable);
  });

  test('every token is fresh (random IV) and never holds the plaintext', () => {
    const k = new CryptKeeper([KEY]);
    const [a, b] = [k.encrypt({ secret: 'hunter2' }), k.encrypt({ secret: 'hunter2' })];
    assert.notEqual(a, b);
    assert.doesNotMatch(Buffer.from(a, 'base64url').toString('latin1'), /hunter2/);
  });
});
