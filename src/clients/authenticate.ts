import { OAuthError } from '../http/oauth-error.js';
import type { PresentedCredentials, VerificationContext } from './auth-methods/method.js';
import { invalidClient } from './auth-methods/refusal.js';
import { AUTH_METHODS, authMethodNamed, type AuthMethodName } from './auth-methods/registry.js';
import type { ClientLookup } from './cache.js';
import type { Client } from './store.js';

export interface AuthenticatedClient {
  client: Client;
  method: AuthMethodName;
}

/**
 * Which method the request uses. RFC 6749 2.3: a client uses one method per request; an
 * Authorization header that no method reads (e.g. a bearer token) is not client authentication.
 */
export function selectAuthMethod(presented: PresentedCredentials) {
  const used = AUTH_METHODS.filter((method) => method.detect(presented));
  if (used.length > 1) throw new OAuthError('invalid_request', 'use one client authentication method, not several');
  const method = used[0];
  if (!method || (presented.authorization !== undefined && !method.usesAuthorizationHeader)) throw invalidClient(false);
  return method;
}

/**
 * Authenticates the caller of /token, /revoke or /introspect with the method the client
 * registered (token_endpoint_auth_method), and only that one, as node-oidc-provider and Hydra
 * do: a client registered for client_secret_basic that sends its secret in the body is refused
 * with a description naming its method (client ids are not secrets). Costs a client lookup (a
 * cache hit, else one indexed read: clients/cache.ts) and one SHA-256 compare; private_key_jwt
 * one signature verification and one INSERT (its jti).
 */
export async function authenticateClient(clients: ClientLookup, presented: PresentedCredentials, context: VerificationContext): Promise<AuthenticatedClient> {
  const method = selectAuthMethod(presented);
  const challenge = method.usesAuthorizationHeader;
  const clientId = method.clientId(presented);
  if (clientId === undefined) throw invalidClient(challenge);
  const client = await clients.find(clientId);
  if (!client) throw invalidClient(challenge);
  if (client.tokenEndpointAuthMethod !== method.name) {
    throw invalidClient(challenge, `this client authenticates with ${client.tokenEndpointAuthMethod} (its registered token_endpoint_auth_method), not ${method.name}`);
  }
  // The registration decides the method; the client type must agree with it all the same.
  if (authMethodNamed(method.name).clientType !== client.type || !(await method.verify(client, presented, context))) throw invalidClient(challenge);
  return { client, method: method.name };
}

/**
 * The client a request names (client_id in the body or the Basic header), before and whether or
 * not it authenticates: what CORS on /token and /revoke is answered for (oauth/cors.ts).
 */
export function namedClientId(presented: PresentedCredentials): string | undefined {
  try {
    return selectAuthMethod(presented).clientId(presented);
  } catch {
    return undefined;
  }
}
