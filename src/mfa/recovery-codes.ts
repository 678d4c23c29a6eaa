import { randomInt } from 'node:crypto';
import { sha256Hex } from '../opaque-token.js';

/**
 * One-time recovery codes: 10 per user, each 16 characters of RFC 4648 base32 (80 random bits),
 * shown as xxxx-xxxx-xxxx-xxxx. Stored as plain SHA-256, like every other random credential
 * Latchkey keeps (opaque-token.ts): at 80 bits no stolen hash can be reversed by guessing, so a
 * slow password hash would only cost time, and an unkeyed hash keeps working across a change of
 * KEY_ENCRYPTION_KEY.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const LENGTH = 16;

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

/** The canonical form of a typed code (case, spaces and dashes ignored); undefined when it cannot be one. */
export function normaliseRecoveryCode(value: string): string | undefined {
  const compact = value.toLowerCase().replace(/[\s-]/g, '');
  return new RegExp(`^[${ALPHABET}]{${LENGTH}}$`).test(compact) ? compact : undefined;
}

export function hashRecoveryCode(code: string): string {
  return sha256Hex(`recovery:${normaliseRecoveryCode(code) ?? code}`);
}
