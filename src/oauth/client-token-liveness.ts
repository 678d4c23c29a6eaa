import type { JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import { clientCredentialsScopes, isClientCredentialsToken, predatesCredentials } from '../clients/credentials.js';
import { findClient } from '../clients/store.js';
import type { Database } from '../db/types.js';
import { isSubset, parseScope } from './scopes.js';

/**
 * A client_credentials token speaks for its client alone, so it is only as alive as the client:
 * false once the client is deleted, its credentials changed after the token's iat, or it no
 * longer holds every scope the token carries. Tokens with a user behind them are judged by their
 * refresh family instead (true here).
 */
export async function clientTokenStillBacked(db: Kysely<Database>, payload: JWTPayload): Promise<boolean> {
  if (!isClientCredentialsToken(payload)) return true;
  const client = await findClient(db, String(payload.client_id));
  if (!client || predatesCredentials(Number(payload.iat), client)) return false;
  return isSubset(parseScope(typeof payload.scope === 'string' ? payload.scope : ''), clientCredentialsScopes(client));
}
