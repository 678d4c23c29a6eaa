import { InvalidTokenError } from './invalid-token.js';

/**
 * Longer than any token Latchkey signs (an ID token with user claims stays under a few KiB) and
 * no longer than a request header may be, so a hostile token costs at most one bounded scan.
 */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** Three segments in the base64url alphabet, no padding (RFC 7515 7.1, RFC 7515 2). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export interface CompactJws {
  /** The protected header, a JSON object. */
  header: Record<string, unknown>;
  /** ASCII(BASE64URL(header) . BASE64URL(payload)): what the signature covers. */
  signingInput: Buffer;
  payload: string;
  signature: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Splits a compact JWS and parses its header. Throws InvalidTokenError('malformed'). */
export function splitCompactJws(token: unknown): CompactJws {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw new InvalidTokenError('malformed');
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  return {
    header: decodeJsonObject(token.slice(0, first)),
    signingInput: Buffer.from(token.slice(0, second), 'latin1'),
    payload: token.slice(first + 1, second),
    signature: token.slice(second + 1),
  };
}

/**
 * Bytes of a base64url segment already checked against the alphabet. A length of 4n+1 encodes no
 * whole byte sequence: Buffer would drop the stray character, jose (atob) refuses it, and so do we.
 */
export function decodeSegment(segment: string): Buffer {
  if (segment.length % 4 === 1) throw new InvalidTokenError('malformed');
  return Buffer.from(segment, 'base64url');
}

/** A base64url segment holding a UTF-8 JSON object (header or claims set), as jose reads one. */
export function decodeJsonObject(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(decodeSegment(segment)));
  } catch {
    throw new InvalidTokenError('malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidTokenError('malformed');
  return value as Record<string, unknown>;
}
