import type { Client } from '../clients/store.js';
import { OAuthError } from '../http/oauth-error.js';

/**
 * The audiences the client may still have tokens for: the issuer, its default audience and its
 * registered resources. A family or approval whose audience the client gave up gets no more tokens.
 */
export function audiencesStillAllowed(client: Pick<Client, 'defaultAudience' | 'resources'>, issuer: string): string[] {
  return [issuer, ...(client.defaultAudience ? [client.defaultAudience] : []), ...client.resources];
}

/**
 * An access token's audience: the RFC 8707 resource the client asked for (it must be registered
 * for the client), else the client's default audience, else the issuer.
 */
export function resolveAudience(client: Client, issuer: string, resource: string | undefined): string {
  if (resource === undefined) return client.defaultAudience ?? issuer;
  if (!client.resources.includes(resource)) throw new OAuthError('invalid_target', 'the resource is not registered for this client');
  return resource;
}
