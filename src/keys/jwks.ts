import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { toPublicJwk } from './generate.js';

/** The JWKS response, serialised once per ring change so serving it costs nothing. */
export interface JwksDocument {
  body: string;
  etag: string;
}

export function buildJwks(publicJwks: readonly JWK[]): JwksDocument {
  const body = JSON.stringify({ keys: publicJwks.map(toPublicJwk) });
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

/** RFC 9110 If-None-Match: `*`, or a comma-separated list compared weakly (W/ ignored). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch === etag) return true; // what a cache sends back, without the split below
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((candidate) => candidate.trim() === '*' || bare(candidate) === bare(etag));
}
