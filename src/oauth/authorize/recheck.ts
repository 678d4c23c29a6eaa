import type { Client } from '../../clients/store.js';
import { formatScope } from '../scopes.js';
import type { Rechecked } from './final-step.js';
import { redirectUriRegistered, type ValidAuthorizationRequest } from './validate.js';
import { scopesStillAllowed } from '../grants/user-grant-rules.js';

/**
 * A parked request measured against its client as it is now. Not redirectable: its redirect URI
 * is no longer trusted (a page, never a redirect to it); redirectable: the error goes back to the
 * still registered redirect URI (RFC 6749 4.1.2.1).
 */
export type RecheckedRequest = Rechecked<ValidAuthorizationRequest>;

/**
 * A request parked while the user signs in was validated against the client as it was then.
 * Shrinking a client (a redirect URI or a scope removed) reaches such requests: the redirect URI
 * must still be registered, the client must still use the code flow, and the scope keeps only
 * what the client still has (the user is never asked for, and the code never carries, a scope
 * the client lost). Nothing left to ask for is invalid_scope.
 */
export function recheckParkedRequest(request: ValidAuthorizationRequest, client: Client): RecheckedRequest {
  if (!redirectUriRegistered(client, request.redirectUri)) {
    return { ok: false, redirectable: false, page: 'untrustedReturn', detail: 'the redirect_uri is no longer registered for the client' };
  }
  if (!client.grantTypes.includes('authorization_code')) {
    return { ok: false, redirectable: true, error: 'unauthorized_client', description: 'this client may no longer use the authorization code flow' };
  }
  const remaining = scopesStillAllowed(request.scope, client);
  if (remaining.length === 0) return { ok: false, redirectable: true, error: 'invalid_scope', description: 'the requested scope is no longer allowed for this client' };
  return { ok: true, request: { ...request, scope: formatScope(remaining) } };
}
