import { grantRules } from './grant-types.js';
import type { ClientMetadata } from './schema.js';

/**
 * Warnings about a client's settings that are allowed but probably a mistake. A client that gets
 * access tokens for APIs but has no default audience and no resource (RFC 8707) gets tokens with
 * aud = the issuer: Latchkey's own endpoints accept them, but an API that verifies its own
 * audience (as it must, RFC 9068 4) refuses them, and one that accepts the issuer's audience
 * accepts every other app's tokens too.
 */
export function clientWarnings(client: Pick<ClientMetadata, 'admin' | 'grantTypes' | 'defaultAudience' | 'resources'>): string[] {
  const getsApiTokens = !client.admin && client.grantTypes.some((grant) => grantRules(grant).issuesApiTokens);
  if (!getsApiTokens || client.defaultAudience || client.resources.length > 0) return [];
  return [
    'the client gets access tokens but has no audience: they carry aud = the issuer and work only at Latchkey’s own endpoints (userinfo); ' +
      'register the API it calls with --audience URI or --resource URI (admin API: default_audience, resources)',
  ];
}
