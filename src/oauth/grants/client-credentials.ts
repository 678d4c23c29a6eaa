import { clientCredentialsScopes } from '../../clients/credentials.js';
import { OAuthError } from '../../http/oauth-error.js';
import { mintAccessTokenOffLoop, newJti } from '../../tokens/access-token.js';
import { resolveAudience } from '../audience.js';
import { isSubset, parseScope } from '../scopes.js';
import type { Grant, GrantContext } from './grant.js';
import type { TokenResponse } from '../token/response.js';

/**
 * RFC 6749 4.4, the hottest path: the client was authenticated from the client cache (or one
 * indexed lookup) and one SHA-256 compare; what is left is signing and the audit row (a shared,
 * group-committed INSERT), at the same time. No refresh token; sub is the client itself.
 */
async function issueClientToken({ deps, settings, caller, params, origin, dpopJkt }: GrantContext): Promise<TokenResponse> {
  if (caller.client.type !== 'confidential') throw new OAuthError('unauthorized_client', 'client_credentials needs a confidential client');
  const allowed = clientCredentialsScopes(caller.client);
  const requested = params.scope === undefined ? allowed : parseScope(params.scope);
  if (!isSubset(requested, allowed)) throw new OAuthError('invalid_scope', 'the requested scope is not allowed for this client');
  const audience = resolveAudience(caller.client, settings.issuer, params.resource);
  const scope = requested.join(' ');
  const jti = newJti();
  // The signature (on libuv's pool) and the one write on this path (a group-committed INSERT shared
  // with concurrent requests) run side by side: neither needs the other, and in turn they were two
  // waits on other threads per token. The token is answered only once its row has committed, so
  // no token anyone received lacks its event.
  const [access] = await Promise.all([
    mintAccessTokenOffLoop(deps.tokens, {
      subject: caller.client.clientId,
      audience,
      clientId: caller.client.clientId,
      scope: requested,
      jti,
      ...(dpopJkt ? { jkt: dpopJkt } : {}),
    }),
    deps.audit.record(origin.log, {
      type: 'token_issued',
      clientId: caller.client.clientId,
      ip: origin.ip,
      details: { grant: 'client_credentials', jti, scope, audience, ...(dpopJkt ? { dpopJkt } : {}) },
    }),
  ]);
  return { access_token: access.token, token_type: dpopJkt ? 'DPoP' : 'Bearer', expires_in: access.expiresAt - access.issuedAt, scope };
}

export const clientCredentialsGrant: Grant<'client_credentials'> = {
  type: 'client_credentials',
  parameters: ['scope', 'resource'],
  handle: issueClientToken,
};
