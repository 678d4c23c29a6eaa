import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient, type AuthenticatedClient } from '../../clients/authenticate.js';
import { OAuthError } from '../../http/oauth-error.js';
import { readParams, type Params } from '../../http/params.js';
import type { OAuthDeps } from '../deps.js';
import { exchangeAuthorizationCode, type RequestOrigin } from './authorization-code.js';
import type { TokenResponse } from './response.js';

export type GrantHandler = (deps: OAuthDeps, caller: AuthenticatedClient, params: Params, origin: RequestOrigin, request: FastifyRequest, reply: FastifyReply) => Promise<TokenResponse>;

/** Grant types /token understands; later features add theirs. */
export const GRANT_HANDLERS: Record<string, GrantHandler> = {
  authorization_code: (deps, caller, params, origin) => exchangeAuthorizationCode(deps, caller, params, origin),
};

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
    const origin = { ip: request.ip, userAgent: request.headers['user-agent'] };
    const response = await GRANT_HANDLERS[grantType]!(deps, caller, params, origin, request, reply);
    return reply.send(response);
  });
}
