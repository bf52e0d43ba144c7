import { FernetKey } from './fernet.ts';

/** The variable JupyterHub reads its auth_state keys from; tshub reads the same one. */
export const CRYPT_KEY_ENV = 'JUPYTERHUB_CRYPT_KEY';

/** Why auth_state cannot be encrypted or decrypted: no key, or a key that is not one. Upstream's messages. */
export class EncryptionUnavailable extends Error {
  override name = 'EncryptionUnavailable';
}

const HEX_KEY = /^[0-9a-fA-F]*$/;

/** One key as JupyterHub reads it: hex first (64 digits), else base64 (either alphabet, padding optional). */
export function parseKey(text: string): Buffer {
  const t = text.trim();
  const key =
    HEX_KEY.test(t) && t.length % 2 === 0
      ? Buffer.from(t, 'hex')
      : Buffer.from(t.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  if (key.length !== 32 || (!HEX_KEY.test(t) && !/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)))
    throw new EncryptionUnavailable('Encryption keys must be 32 bytes, hex or base64-encoded.');
  return key;
}

/**
 * JupyterHub's CryptKeeper over MultiFernet: keys from JUPYTERHUB_CRYPT_KEY, `;`-separated; the first
 * encrypts, every one decrypts, so a new key goes first and the old ones stay until rows are rewritten.
 * With no key it still exists, and says why it cannot work when asked to.
 */
export class CryptKeeper {
  readonly #keys: FernetKey[];

  constructor(keys: Buffer[]) {
    this.#keys = keys.map((k) => new FernetKey(k));
  }

  /** Reads the variable; a malformed key throws (the hub must not start with a key it cannot use). */
  static fromEnv(env: Record<string, string | undefined>): CryptKeeper {
    const texts = (env[CRYPT_KEY_ENV] ?? '').split(';').filter((k) => k.trim());
    return new CryptKeeper(texts.map(parseKey));
  }

  get keyCount(): number {
    return this.#keys.length;
  }

  /** Throws, with upstream's message, when there is nothing to encrypt with. */
  checkAvailable(): void {
    if (this.#keys.length === 0)
      throw new EncryptionUnavailable(`Encryption keys must be specified in ${CRYPT_KEY_ENV} env`);
  }

  /** JSON, encrypted with the first key. */
  encrypt(value: unknown): string {
    this.checkAvailable();
    return this.#keys[0]!.encrypt(Buffer.from(JSON.stringify(value)));
  }

  /** The value, trying every key in turn; throws when none opens it or it is not JSON. */
  decrypt(token: string): unknown {
    this.checkAvailable();
    for (const key of this.#keys) {
      const plain = key.decrypt(token);
      if (plain) return JSON.parse(plain.toString('utf8'));
    }
    throw new EncryptionUnavailable('InvalidToken: no key opens it, or it was altered');
  }
}
