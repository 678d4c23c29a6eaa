import { randomBytes, timingSafeEqual } from 'node:crypto';
import { newOpaqueToken, sha256Hex, TOKEN_PREFIX } from '../opaque-token.js';

export { sha256Hex };

/** Client secrets are opaque tokens (see opaque-token.ts): a slow hash would only cost throughput. */
export function generateClientSecret(): string {
  return newOpaqueToken(TOKEN_PREFIX.clientSecret);
}

export function generateClientId(): string {
  return randomBytes(16).toString('base64url');
}

export function clientSecretMatches(presented: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const presentedHash = Buffer.from(sha256Hex(presented), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return expected.length === presentedHash.length && timingSafeEqual(presentedHash, expected);
}
