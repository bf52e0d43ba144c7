import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Fernet (https://github.com/fernet/spec), as Python's `cryptography` writes it and JupyterHub's
// CryptKeeper stores auth_state: version 0x80, 64-bit big-endian seconds, 16-byte IV, AES-128-CBC
// (PKCS#7) ciphertext, then HMAC-SHA256 of all that, the whole base64url-encoded with padding.
// Keeping the upstream format lets a hub's database move between JupyterHub and tshub with its key.

const VERSION = 0x80;
const HEADER = 1 + 8 + 16;
const MAC = 32;

/** A 32-byte Fernet key: the first half signs, the second encrypts. */
export class FernetKey {
  readonly #signing: Buffer;
  readonly #encryption: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('Encryption keys must be 32 bytes, hex or base64-encoded.');
    this.#signing = key.subarray(0, 16);
    this.#encryption = key.subarray(16);
  }

  /** `now` and `iv` are fixed only by tests comparing against a known token. */
  encrypt(plain: Buffer, now = Date.now(), iv = randomBytes(16)): string {
    const cipher = createCipheriv('aes-128-cbc', this.#encryption, iv);
    const body = Buffer.concat([Buffer.from([VERSION]), Buffer.alloc(8), iv, cipher.update(plain), cipher.final()]);
    body.writeBigUInt64BE(BigInt(Math.floor(now / 1000)), 1);
    const mac = createHmac('sha256', this.#signing).update(body).digest();
    // Padded, as Python's urlsafe_b64encode writes it.
    return Buffer.concat([body, mac]).toString('base64').replaceAll('+', '-').replaceAll('/', '_');
  }

  /** The plaintext, or null when the token is not one of this key's (malformed, altered, another key). */
  decrypt(token: string): Buffer | null {
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) return null;
    const raw = Buffer.from(token, 'base64url');
    const ctLength = raw.length - HEADER - MAC;
    if (raw[0] !== VERSION || ctLength <= 0 || ctLength % 16 !== 0) return null;
    const body = raw.subarray(0, raw.length - MAC);
    const expected = createHmac('sha256', this.#signing).update(body).digest();
    if (!timingSafeEqual(expected, raw.subarray(raw.length - MAC))) return null;
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.#encryption, raw.subarray(9, HEADER));
      return Buffer.concat([decipher.update(raw.subarray(HEADER, raw.length - MAC)), decipher.final()]);
    } catch {
      // Bad padding behind a valid MAC: only a writer with the key could have made it; refuse it all the same.
      return null;
    }
  }
}
