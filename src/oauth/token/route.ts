import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient, type AuthenticatedClient } from '../../clients/authenticate.js';
import { OAuthError } from '../../http/oauth-error.js';
import { readParams, type Params } from '../../http/params.js';
import type { OAuthDeps } from '../deps.js';
import { exchangeAuthorizationCode, type RequestOrigin } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { refreshTokenGrant } from './refresh-token.js';
import { setRefreshCookie } from './refresh-cookie.js';
import { requireAllowedOrigin } from '../cors.js';
import type { TokenResponse } from './response.js';

export type GrantHandler = (deps: OAuthDeps, caller: AuthenticatedClient, params: Params, origin: RequestOrigin, request: FastifyRequest, reply: FastifyReply) => Promise<TokenResponse>;

/** Grant types /token understands; later features add theirs. */
export const GRANT_HANDLERS: Record<string, GrantHandler> = {
  authorization_code: (deps, caller, params, origin) => exchangeAuthorizationCode(deps, caller, params, origin),
  refresh_token: (deps, caller, params, _origin, request) => refreshTokenGrant(deps, caller, params, request),
  client_credentials: (deps, caller, params, origin) => clientCredentialsGrant(deps, caller, params, origin),
};

/** SPA cookie mode: the refresh token goes into the HttpOnly cookie and out of the body. */
function deliverRefreshToken(deps: OAuthDeps, caller: AuthenticatedClient, response: TokenResponse, reply: FastifyReply): TokenResponse {
  if (!caller.client.refreshCookie || response.refresh_token === undefined) return response;
  setRefreshCookie(reply, deps.config.ISSUER, caller.client, response.refresh_token, response.refresh_expires_in ?? deps.config.REFRESH_ABSOLUTE_TTL);
  const { refresh_token: _sent, ...rest } = response;
  return rest;
}

export function requireFormBody(request: FastifyRequest): Params {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  return readParams(request.body);
}

function requireGrantType(params: Params): string {
  if (params.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
  if (!Object.hasOwn(GRANT_HANDLERS, params.grant_type)) throw new OAuthError('unsupported_grant_type', 'this grant type is not supported');
  return params.grant_type;
}

function requireClientAllowed(caller: AuthenticatedClient, grantType: string): void {
  if (!caller.client.grantTypes.includes(grantType)) throw new OAuthError('unauthorized_client', 'this client may not use this grant type');
}

/** POST /token (RFC 6749 3.2): parse -> authenticate client -> check grant -> run it -> respond. */
export function registerTokenRoute(app: FastifyInstance, deps: OAuthDeps, routeOptions: Record<string, unknown> = {}): void {
  app.post('/token', routeOptions, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const params = requireFormBody(request);
    const grantType = requireGrantType(params);
    const caller = await authenticateClient(deps.db, request.headers.authorization, params);
    requireClientAllowed(caller, grantType);
    requireAllowedOrigin(request, caller.client);
    const origin = { ip: request.ip, userAgent: request.headers['user-agent'], log: request.log };
    const response = await GRANT_HANDLERS[grantType]!(deps, caller, params, origin, request, reply);
    return reply.send(deliverRefreshToken(deps, caller, response, reply));
  });
}
