import { hkdfSync } from 'node:crypto';

/**
 * Purposes for which Latchkey derives a server-side secret from KEY_ENCRYPTION_KEY. Each label
 * yields an independent key (HKDF-SHA256), so one purpose's key says nothing about another's.
 */
export type DerivedSecretPurpose = 'refresh-successor' | 'device-cookie' | 'dpop-nonce';

export function deriveSecret(keyEncryptionKey: string, purpose: DerivedSecretPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', keyEncryptionKey, 'latchkey', `latchkey ${purpose} v1`, 32));
}
