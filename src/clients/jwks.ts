import { isLoopbackHost } from '../config.js';
import type { JsonWebKeySetValue } from '../db/types.js';

/** A client's key set, stored or fetched, is at most this large (JSON text). */
export const MAX_JWKS_BYTES = 64 * 1024;
/** And has at most this many keys (a key roll-over needs two or three). */
export const MAX_JWKS_KEYS = 20;

/** Key types whose public form can verify an asymmetric signature (RFC 7518 6, RFC 8037). */
const ASYMMETRIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);
/** Members only a private (or symmetric) JWK has (RFC 7518 6.2.2, 6.3.2, 6.4.1; RFC 8037 2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Why a JWK Set is refused as a client's keys, or undefined when it has the right shape: an
 * object with `keys`, 1 to MAX_JWKS_KEYS public asymmetric keys, at most MAX_JWKS_BYTES. Whether
 * each key imports is decided when an assertion is verified (jose); a key that does not cannot
 * verify anything.
 */
export function jwksProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a JWK Set: an object with a "keys" array';
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return 'must be a JWK Set: an object with a "keys" array';
  if (keys.length === 0) return 'must hold at least one key';
  if (keys.length > MAX_JWKS_KEYS) return `must hold at most ${MAX_JWKS_KEYS} keys`;
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_JWKS_BYTES) return `must be at most ${MAX_JWKS_BYTES} bytes`;
  for (const [index, key] of keys.entries()) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) return `key ${index} must be a JWK object`;
    const jwk = key as Record<string, unknown>;
    if (typeof jwk.kty !== 'string' || !ASYMMETRIC_KEY_TYPES.has(jwk.kty)) return `key ${index} must be an RSA, EC or OKP public key (kty)`;
    const secret = PRIVATE_MEMBERS.find((member) => member in jwk);
    if (secret) return `key ${index} has the private member "${secret}": register public keys only`;
    if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return `key ${index}: kid must be a string`;
  }
  return undefined;
}

/** The set as Latchkey keeps it (only `keys`; other members are dropped). */
export function normalizedJwks(value: unknown): JsonWebKeySetValue {
  return { keys: (value as JsonWebKeySetValue).keys };
}

/**
 * Why a jwks_uri is refused at registration, or undefined: https, or http for a loopback host
 * (development and tests; src/clients/remote-jwks.ts refuses http whenever NODE_ENV=production).
 * No credentials, no fragment.
 */
export function jwksUriProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute https URL';
  }
  if (raw.length > 2000) return 'must be at most 2000 characters';
  if (url.hash || raw.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must use https (http only for localhost, 127.0.0.1 or [::1], outside production)';
}
