import type { KeyBox } from '../keys/crypto-box.js';

/**
 * A TOTP secret at rest: AES-256-GCM under KEY_ENCRYPTION_KEY (keys/crypto-box.ts), with the user
 * id as additional data, so a sealed secret copied onto another user's row does not open.
 */
export function sealTotpSecret(box: KeyBox, userId: string, secretBase32: string): string {
  return box.seal(secretBase32, `totp:${userId}`);
}

/** Throws (KeyDecryptionError) when the secret was sealed under another key or for another user. */
export function openTotpSecret(box: KeyBox, userId: string, sealed: string): string {
  return box.open(sealed, `totp:${userId}`);
}
