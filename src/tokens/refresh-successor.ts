import { createHmac } from 'node:crypto';
import { TOKEN_PREFIX } from '../opaque-token.js';

/**
 * The refresh token that succeeds `presented` in its family: HMAC-SHA256 under a server-side key
 * (derived from KEY_ENCRYPTION_KEY), so the same consumed token always yields the same successor.
 * That makes a grace-window replay idempotent (RFC 9700 4.14.2: the family never forks) while only
 * hashes are stored. Without the key nobody can compute a successor, not even from the presented
 * token: the input is a 256-bit secret and the key never leaves the server.
 */
export function successorRefreshToken(key: Buffer, presented: string): string {
  return TOKEN_PREFIX.refreshToken + createHmac('sha256', key).update(presented).digest('base64url');
}
