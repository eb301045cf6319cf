import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Seals remote registry credentials before they are stored, and opens them when a copy needs
 * them. Sealed values are opaque strings safe to keep in a table item.
 */
export interface SecretBox {
  seal(plaintext: string): Promise<string>;
  /** The plaintext; throws when the value was sealed with another key or was altered. */
  open(sealed: string): Promise<string>;
}

const version = 'aesgcm1';

/**
 * AES-256-GCM with a 32-byte key and a fresh 96-bit nonce per value; the authentication tag makes
 * any change to a stored value (or a wrong key) fail loudly instead of yielding garbage. Sealed
 * form: `aesgcm1:<nonce b64url>:<ciphertext+tag b64url>`.
 */
export class AesGcmSecretBox implements SecretBox {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.byteLength !== 32) throw new Error('the credential key must be 32 bytes (base64 of 32 random bytes)');
    this.key = Buffer.from(key);
  }

  /**
   * A box from a configured key: base64 of 32 bytes is the key itself; any other string of 32 or
   * more characters (a password Secrets Manager generated) is hashed into one with SHA-256.
   */
  static fromSecret(value: string): AesGcmSecretBox {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.byteLength === 32 && decoded.toString('base64') === value) return new AesGcmSecretBox(decoded);
    if (value.length < 32) throw new Error('the credential key must be base64 of 32 bytes, or a secret of 32 or more characters');
    return new AesGcmSecretBox(createHash('sha256').update(value, 'utf8').digest());
  }

  async seal(plaintext: string): Promise<string> {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${version}:${nonce.toString('base64url')}:${sealed.toString('base64url')}`;
  }

  async open(sealed: string): Promise<string> {
    const [tag, nonce, body] = sealed.split(':');
    if (tag !== version || !nonce || !body) throw new Error('not a sealed credential');
    const bytes = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('a stored credential cannot be opened: it was sealed with another key or altered');
    }
  }
}
