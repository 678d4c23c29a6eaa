import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets are 256 random bits, prefixed so leak scanners can spot them. Being
 * server-generated and high-entropy, a SHA-256 hash protects them at rest; a slow hash would
 * only cost throughput on the token endpoint.
 */
export const CLIENT_SECRET_PREFIX = 'lk_cs_';

export function generateClientSecret(): string {
  return CLIENT_SECRET_PREFIX + randomBytes(32).toString('base64url');
}

export function generateClientId(): string {
  return randomBytes(16).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function clientSecretMatches(presented: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const presentedHash = Buffer.from(sha256Hex(presented), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return expected.length === presentedHash.length && timingSafeEqual(presentedHash, expected);
}
