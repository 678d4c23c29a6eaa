import { describe, expect, it } from 'vitest';
import { KeyBox, KeyDecryptionError } from '../../src/keys/crypto-box.js';

const KEK = 'a'.repeat(32) + '-test-key-encryption-key';
const OTHER_KEK = 'b'.repeat(32) + '-test-key-encryption-key';
const SECRET = JSON.stringify({ kty: 'EC', d: 'private-scalar-value' });

describe('KeyBox (AES-256-GCM under KEY_ENCRYPTION_KEY)', () => {
  it('opens what it sealed, and the sealed text shows nothing of the plaintext', () => {
    const box = new KeyBox(KEK);
    const sealed = box.seal(SECRET, 'kid-1');
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(sealed).not.toContain('private-scalar-value');
    expect(Buffer.from(sealed.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('private');
    expect(box.open(sealed, 'kid-1')).toBe(SECRET);
  });

  it('uses a fresh IV each time', () => {
    const box = new KeyBox(KEK);
    expect(box.seal(SECRET, 'kid-1')).not.toBe(box.seal(SECRET, 'kid-1'));
  });

  it('refuses another KEY_ENCRYPTION_KEY with a message naming the setting', () => {
    const sealed = new KeyBox(KEK).seal(SECRET, 'kid-1');
    const attempt = () => new KeyBox(OTHER_KEK).open(sealed, 'kid-1');
    expect(attempt).toThrow(KeyDecryptionError);
    expect(attempt).toThrow('cannot decrypt signing keys: KEY_ENCRYPTION_KEY is not the key they were encrypted with (key kid-1)');
  });

  it('refuses a box moved to another kid (the kid is authenticated)', () => {
    const box = new KeyBox(KEK);
    expect(() => box.open(box.seal(SECRET, 'kid-1'), 'kid-2')).toThrow(KeyDecryptionError);
  });

  it('refuses altered or malformed boxes', () => {
    const box = new KeyBox(KEK);
    const [format, iv, tag, ciphertext] = box.seal(SECRET, 'kid-1').split('.') as [string, string, string, string];
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0]! ^= 1;
    for (const bad of [
      [format, iv, tag, flipped.toString('base64url')].join('.'),
      [format, iv, tag].join('.'),
      ['v2', iv, tag, ciphertext].join('.'),
      SECRET,
    ]) {
      expect(() => box.open(bad, 'kid-1')).toThrow(KeyDecryptionError);
    }
  });
});
