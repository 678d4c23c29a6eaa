import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * OWASP's device cookie ("Slow Down Online Guessing Attacks with Device Cookies"): proof that
 * this browser once signed in as this user. `v1.<user id>.<random nonce>.<HMAC-SHA256>`, keyed
 * with a secret derived from KEY_ENCRYPTION_KEY, so it cannot be forged or moved to another user.
 */
export interface DeviceClaim {
  userId: string;
  /** Identifies this cookie: its own failures are counted under it. */
  nonce: string;
}

const VERSION = 'v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NONCE = /^[A-Za-z0-9_-]{22}$/;
const TAG = /^[A-Za-z0-9_-]{43}$/;

function tag(key: Buffer, userId: string, nonce: string): string {
  return createHmac('sha256', key).update(`${VERSION}.${userId}.${nonce}`).digest('base64url');
}

export function issueDeviceToken(key: Buffer, userId: string): string {
  const nonce = randomBytes(16).toString('base64url');
  return `${VERSION}.${userId}.${nonce}.${tag(key, userId, nonce)}`;
}

/** The claim of a genuine device token; undefined for anything malformed, forged or altered. */
export function readDeviceToken(key: Buffer, value: string | undefined): DeviceClaim | undefined {
  if (!value || value.length > 120) return undefined;
  const [version, userId, nonce, presented, ...rest] = value.split('.');
  if (version !== VERSION || rest.length || !userId || !nonce || !presented) return undefined;
  if (!UUID.test(userId) || !NONCE.test(nonce) || !TAG.test(presented)) return undefined;
  const expected = tag(key, userId, nonce);
  return timingSafeEqual(Buffer.from(expected), Buffer.from(presented)) ? { userId, nonce } : undefined;
}
