import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedClient } from '../clients/authenticate.js';
import { authMethodNamed } from '../clients/auth-methods/registry.js';
import { OAuthError } from '../http/oauth-error.js';
import { TOKEN_PREFIX } from '../opaque-token.js';
import { findRefreshToken } from '../tokens/refresh-store.js';
import { clientTokenStillBacked } from './client-token-liveness.js';
import { authenticatedCaller, formParams } from './client-request.js';
import type { OAuthDeps } from './deps.js';
import { nowDate } from '../clock.js';
import { verifyOwnAccessToken } from './own-token.js';
import { formatScope } from './scopes.js';
import { scopesStillAllowed } from './grants/user-grant-rules.js';
import type { TokenEndpointSettings } from './token/settings.js';

const INACTIVE = { active: false } as const;

async function introspectRefreshToken(deps: OAuthDeps, settings: TokenEndpointSettings, caller: AuthenticatedClient, token: string) {
  const found = await findRefreshToken(deps.db, token, nowDate(deps));
  // Only the client a refresh token belongs to may learn anything about it.
  if (!found || !found.active || found.clientId !== caller.client.clientId) return INACTIVE;
  // As /token would judge it now (caller.client is the owner's current row): a client that lost
  // the refresh grant, or every scope of the family, holds a token that refreshes no more.
  const scopes = scopesStillAllowed(found.scope, caller.client);
  if (scopes.length === 0 || !caller.client.grantTypes.includes('refresh_token')) return INACTIVE;
  return {
    active: true,
    token_type: 'refresh_token',
    client_id: found.clientId,
    sub: found.userId ?? found.clientId,
    scope: formatScope(scopes),
    iat: Math.floor(found.issuedAt.getTime() / 1000),
    exp: Math.floor(found.expiresAt.getTime() / 1000),
    iss: settings.issuer,
  };
}

async function introspectAccessToken(deps: OAuthDeps, token: string) {
  const payload = await verifyOwnAccessToken(deps.tokens, token);
  if (!payload) return INACTIVE;
  const [revoked, backed] = await Promise.all([deps.revokedJtis.isRevoked(String(payload.jti)), clientTokenStillBacked(deps.db, payload)]);
  if (revoked || !backed) return INACTIVE;
  return {
    active: true,
    // RFC 9449 6.2: a bound token's key, for resource servers that introspect.
    token_type: payload.cnf === undefined ? 'Bearer' : 'DPoP',
    ...(payload.cnf !== undefined ? { cnf: payload.cnf } : {}),
    sub: payload.sub,
    client_id: payload.client_id,
    scope: payload.scope,
    exp: payload.exp,
    iat: payload.iat,
    iss: payload.iss,
    aud: payload.aud,
    jti: payload.jti,
    ...(payload.auth_time !== undefined ? { auth_time: payload.auth_time } : {}),
    ...(payload.sid !== undefined ? { sid: payload.sid } : {}),
  };
}

/**
 * RFC 7662. Callers are confidential clients authenticated with their secret. Anything not a
 * live Latchkey token (expired, malformed, wrongly signed, revoked, foreign issuer) is
 * {"active": false}, with no reason given.
 */
async function introspect(deps: OAuthDeps, settings: TokenEndpointSettings, request: FastifyRequest, reply: FastifyReply) {
  const params = formParams(request);
  const caller = authenticatedCaller(request);
  if (authMethodNamed(caller.method).clientType !== 'confidential') throw new OAuthError('invalid_client', 'introspection needs a confidential client', 401);
  if (params.token === undefined) throw new OAuthError('invalid_request', 'token is required');
  const result = params.token.startsWith(TOKEN_PREFIX.refreshToken)
    ? await introspectRefreshToken(deps, settings, caller, params.token)
    : await introspectAccessToken(deps, params.token);
  return reply.send(result);
}

/** POST /introspect, inside the client-authenticated plugin (src/oauth/client-endpoints.ts); no CORS, no rate limit of its own. */
export function registerIntrospectRoute(app: FastifyInstance, deps: OAuthDeps, settings: TokenEndpointSettings): void {
  app.post('/introspect', (request, reply) => introspect(deps, settings, request, reply));
}
