import { randomBytes } from 'node:crypto';
import { jsonb } from '../../db/json.js';
import type { Queryable } from '../../db/queryable.js';
import type { Params } from '../../http/params.js';
import { sha256Hex } from '../../opaque-token.js';

/** RFC 9126 2.2: the request_uri is this URN followed by 256 random bits (base64url). */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:([A-Za-z0-9_-]{43})$/;

/** Stores a pushed request for `lifetimeSeconds`; returns its request_uri (only its hash is kept). */
export async function savePushedRequest(q: Queryable, clientId: string, params: Params, now: Date, lifetimeSeconds: number): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  await q
    .insertInto('pushed_authorization_requests')
    .values({
      request_uri_hash: sha256Hex(secret),
      client_id: clientId,
      params: jsonb(params),
      created_at: now,
      expires_at: new Date(now.getTime() + lifetimeSeconds * 1000),
    })
    .execute();
  return `${REQUEST_URI_PREFIX}${secret}`;
}

/**
 * Takes the pushed request a request_uri names, once, and only for the client that pushed it:
 * one DELETE … RETURNING, so of two concurrent uses exactly one gets the parameters (the row
 * lock serialises them; the second finds no row). A use by another client, or after expiry,
 * finds nothing and removes nothing.
 */
export async function takePushedRequest(q: Queryable, requestUri: string, clientId: string, now: Date): Promise<Params | undefined> {
  const secret = REQUEST_URI.exec(requestUri)?.[1];
  if (!secret) return undefined;
  const row = await q
    .deleteFrom('pushed_authorization_requests')
    .where('request_uri_hash', '=', sha256Hex(secret))
    .where('client_id', '=', clientId)
    .where('expires_at', '>', now)
    .returning('params')
    .executeTakeFirst();
  return row?.params;
}
