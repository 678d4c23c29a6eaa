import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque credentials (client secrets, refresh tokens, codes, session cookies): 256 random bits,
 * base64url, behind a prefix that names what they are, so leak scanners can find them. They are
 * stored only as SHA-256 hashes: being random and long, a fast hash protects them fully.
 */
export function newOpaqueToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export const TOKEN_PREFIX = {
  clientSecret: 'lk_cs_',
  refreshToken: 'lk_rt_',
  authorizationCode: 'lk_ac_',
  session: 'lk_ss_',
  /** RFC 8628 device_code: what a device polls /token with. */
  deviceCode: 'lk_dc_',
} as const;
