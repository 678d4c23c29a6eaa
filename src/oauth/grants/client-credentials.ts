import { recordAudit } from '../../audit/record.js';
import type { AuthenticatedClient } from '../../clients/authenticate.js';
import { clientCredentialsScopes } from '../../clients/credentials.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { Params } from '../../http/params.js';
import { mintAccessToken } from '../../tokens/access-token.js';
import { resolveAudience } from '../audience.js';
import type { OAuthDeps } from '../deps.js';
import { isSubset, parseScope } from '../scopes.js';
import type { RequestOrigin } from './authorization-code.js';
import type { TokenResponse } from './response.js';

/**
 * RFC 6749 4.4, the hottest path: the client was authenticated with one indexed lookup and one
 * SHA-256 compare; what is left is signing and one audit INSERT. No refresh token; sub is the
 * client itself.
 */
export async function clientCredentialsGrant(deps: OAuthDeps, caller: AuthenticatedClient, params: Params, origin: RequestOrigin = {}): Promise<TokenResponse> {
  if (caller.client.type !== 'confidential') throw new OAuthError('unauthorized_client', 'client_credentials needs a confidential client');
  const allowed = clientCredentialsScopes(caller.client);
  const requested = params.scope === undefined ? allowed : parseScope(params.scope);
  if (!isSubset(requested, allowed)) throw new OAuthError('invalid_scope', 'the requested scope is not allowed for this client');
  const audience = resolveAudience(caller.client, deps.config.ISSUER, params.resource);
  const access = mintAccessToken(deps.tokens, {
    subject: caller.client.clientId,
    audience,
    clientId: caller.client.clientId,
    scope: requested,
  });
  const scope = requested.join(' ');
  // The one write on this path: a single INSERT, outside any transaction.
  await recordAudit(deps.db, origin.log, {
    type: 'token_issued',
    clientId: caller.client.clientId,
    ip: origin.ip,
    details: { grant: 'client_credentials', jti: access.jti, scope, audience },
  });
  return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresAt - access.issuedAt, scope };
}
