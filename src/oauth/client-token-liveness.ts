import type { JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import { clientCredentialsScopes, isClientCredentialsToken, predatesCredentials } from '../clients/credentials.js';
import { findClient, type Client } from '../clients/store.js';
import type { Database } from '../db/types.js';
import { isSubset, parseScope } from './scopes.js';
import { audiencesStillAllowed } from './audience.js';

/**
 * The client a client_credentials token speaks for, if that client still stands behind it: not
 * deleted, and its credentials not changed since the token's iat. Read from the database on every
 * call (admin access and introspection must see a change at once).
 */
export async function liveCredentialsClient(db: Kysely<Database>, payload: JWTPayload): Promise<Client | undefined> {
  const client = await findClient(db, String(payload.client_id));
  return client && !predatesCredentials(Number(payload.iat), client) ? client : undefined;
}

/**
 * A client_credentials token is only as alive as its client: false once the client is gone, its
 * credentials changed, or it no longer holds every scope or audience the token carries. Tokens with a user
 * behind them are judged by their refresh family instead (true here).
 */
export async function clientTokenStillBacked(db: Kysely<Database>, payload: JWTPayload): Promise<boolean> {
  if (!isClientCredentialsToken(payload)) return true;
  const client = await liveCredentialsClient(db, payload);
  if (!client) return false;
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  // payload.iss is the issuer: verifyOwnAccessToken checked it.
  if (!isSubset(audiences, audiencesStillAllowed(client, String(payload.iss)))) return false;
  return isSubset(parseScope(typeof payload.scope === 'string' ? payload.scope : ''), clientCredentialsScopes(client));
}
