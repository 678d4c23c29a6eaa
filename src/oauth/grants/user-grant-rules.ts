import type { Client } from '../../clients/store.js';
import { parseScope } from '../scopes.js';
import { userGrantableScopes } from '../../clients/credentials.js';

/**
 * What every grant that turns a user's approval into tokens (an authorization code, a device code)
 * decides alike, as the client is at the moment of issuance.
 */

/** The approved scopes the client still has (a scope removed since the approval is dropped). */
export function scopesStillAllowed(scope: string, client: Pick<Client, 'scopes'>): string[] {
  const allowed = new Set(userGrantableScopes(client));
  return parseScope(scope).filter((s) => allowed.has(s));
}

/** A refresh token comes with offline_access, or always for a client created with --always-refresh. */
export function wantsRefreshToken(client: Pick<Client, 'grantTypes' | 'alwaysIssueRefresh'>, scopes: string[]): boolean {
  if (!client.grantTypes.includes('refresh_token')) return false;
  return scopes.includes('offline_access') || client.alwaysIssueRefresh;
}
