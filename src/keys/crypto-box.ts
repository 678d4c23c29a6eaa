import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Raised when a stored private key cannot be opened: almost always the wrong KEY_ENCRYPTION_KEY. */
export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
  constructor(kid: string) {
    super(`cannot decrypt signing keys: KEY_ENCRYPTION_KEY is not the key they were encrypted with (key ${kid})`);
  }
}

const FORMAT = 'v1';
const HKDF_INFO = 'latchkey signing-key encryption v1';
const HKDF_SALT = 'latchkey';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM under a key derived from KEY_ENCRYPTION_KEY (HKDF-SHA256). The kid is the
 * additional authenticated data, so a ciphertext moved onto another key's row does not open.
 */
export class KeyBox {
  private readonly key: Buffer;

  /** `purpose` selects an independent key (HKDF info) for another kind of secret; signing keys use the default. */
  constructor(keyEncryptionKey: string, purpose: string = HKDF_INFO) {
    this.key = Buffer.from(hkdfSync('sha256', keyEncryptionKey, HKDF_SALT, purpose, 32));
  }

  seal(plaintext: string, kid: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** Throws KeyDecryptionError when the box was sealed under another key, for another kid, or altered. */
  open(sealed: string, kid: string): string {
    const [format, iv, tag, ciphertext, ...extra] = sealed.split('.');
    if (format !== FORMAT || iv === undefined || tag === undefined || ciphertext === undefined || extra.length) {
      throw new KeyDecryptionError(kid);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new KeyDecryptionError(kid);
    }
  }
}
