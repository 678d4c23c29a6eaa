import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { OAuthError } from '../http/oauth-error.js';
import type { Params } from '../http/params.js';
import { clientSecretMatches } from './secret.js';
import { findClient, type Client } from './store.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethod;
}

/** RFC 6749 5.2: failed client authentication is 401, with a challenge when Basic was tried. */
function invalidClient(usedBasic: boolean): OAuthError {
  return new OAuthError('invalid_client', 'client authentication failed', 401, usedBasic ? { 'www-authenticate': 'Basic realm="latchkey", charset="UTF-8"' } : {});
}

/** The current secret, or the previous one while its rotation overlap lasts. */
function secretAccepted(client: Client, presented: string): boolean {
  if (clientSecretMatches(presented, client.secretHash)) return true;
  // eslint-disable-next-line no-restricted-syntax -- TODO(issue 11): clock
  return client.previousSecretExpiresAt !== null && client.previousSecretExpiresAt.getTime() > Date.now() && clientSecretMatches(presented, client.previousSecretHash);
}

/** RFC 6749 2.3.1: id and secret are form-urlencoded before base64. */
function parseBasic(header: string): { clientId: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]{1,2000})$/i.exec(header.trim());
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}

/**
 * Authenticates the caller of /token, /revoke or /introspect: client_secret_basic,
 * client_secret_post, or none (public clients, which prove possession with PKCE instead).
 * Costs one indexed lookup and one SHA-256 compare.
 */
export async function authenticateClient(db: Kysely<Database>, authorization: string | undefined, params: Params): Promise<AuthenticatedClient> {
  const usedBasic = authorization !== undefined && /^basic /i.test(authorization.trim());
  if (authorization !== undefined && !usedBasic) throw invalidClient(false);
  if (usedBasic) {
    const credentials = parseBasic(authorization);
    if (!credentials) throw invalidClient(true);
    if (params.client_secret !== undefined) throw new OAuthError('invalid_request', 'use one client authentication method, not several');
    if (params.client_id !== undefined && params.client_id !== credentials.clientId) throw invalidClient(true);
    const client = await findClient(db, credentials.clientId);
    if (!client || client.type !== 'confidential' || !secretAccepted(client, credentials.secret)) throw invalidClient(true);
    return { client, method: 'client_secret_basic' };
  }
  if (params.client_id === undefined) throw invalidClient(false);
  const client = await findClient(db, params.client_id);
  if (!client) throw invalidClient(false);
  if (params.client_secret !== undefined) {
    if (client.type !== 'confidential' || !secretAccepted(client, params.client_secret)) throw invalidClient(false);
    return { client, method: 'client_secret_post' };
  }
  if (client.type !== 'public') throw invalidClient(false);
  return { client, method: 'none' };
}
