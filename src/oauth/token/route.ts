import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler, preHandlerHookHandler, preValidationHookHandler } from 'fastify';
import type { AuthenticatedClient } from '../../clients/authenticate.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { Params } from '../../http/params.js';
import { authenticatedCaller, formParams } from '../client-request.js';
import type { OAuthDeps } from '../deps.js';
import type { Grant } from '../grants/grant.js';
import { grantFor } from '../grants/registry.js';
import { setRefreshCookie } from './refresh-cookie.js';
import { requireValidDpopProof } from './dpop-binding.js';
import type { TokenResponse } from './response.js';
import type { TokenEndpointSettings } from './settings.js';

export interface TokenRouteHooks {
  onRequest: onRequestHookHandler[];
  /** After the form is read, before the client authenticates (CORS for the client the request names). */
  preValidation: preValidationHookHandler[];
  preHandler: preHandlerHookHandler[];
}

/** SPA cookie mode: the refresh token goes into the HttpOnly cookie and out of the body. */
function deliverRefreshToken(settings: TokenEndpointSettings, caller: AuthenticatedClient, response: TokenResponse, reply: FastifyReply): TokenResponse {
  if (!caller.client.refreshCookie || response.refresh_token === undefined) return response;
  setRefreshCookie(reply, settings.issuer, caller.client, response.refresh_token, response.refresh_expires_in ?? settings.refreshAbsoluteTtl);
  const { refresh_token: _sent, ...rest } = response;
  return rest;
}

function requestedGrant(request: FastifyRequest): Grant {
  const grantType = formParams(request).grant_type;
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
  const grant = grantFor(grantType);
  if (!grant) throw new OAuthError('unsupported_grant_type', 'this grant type is not supported');
  return grant;
}

/** Checked before the client authenticates, as before the refactor: an unknown grant is 400 whoever asks. */
function requireSupportedGrantType(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  requestedGrant(request);
  done();
}

function requireClientAllowedGrant(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (!authenticatedCaller(request).client.grantTypes.includes(requestedGrant(request).type)) {
    throw new OAuthError('unauthorized_client', 'this client may not use this grant type');
  }
  done();
}

/** The grant sees only the parameters it declared. */
function declaredParams(params: Params, grant: Grant): Params {
  return Object.fromEntries(grant.parameters.filter((name) => params[name] !== undefined).map((name) => [name, params[name]]));
}

/**
 * POST /token (RFC 6749 3.2), inside the client-authenticated plugin (the body is a form and the
 * client authenticated by then): grant type supported -> client allowed it -> origin -> run the
 * registered grant -> respond.
 */
export function registerTokenRoute(app: FastifyInstance, deps: OAuthDeps, settings: TokenEndpointSettings, hooks: TokenRouteHooks): void {
  app.post(
    '/token',
    { onRequest: hooks.onRequest, preValidation: [...hooks.preValidation, requireSupportedGrantType], preHandler: [requireClientAllowedGrant, ...hooks.preHandler, requireValidDpopProof(deps)] },
    async (request, reply) => {
      const grant = requestedGrant(request);
      const caller = authenticatedCaller(request);
      const origin = { ip: request.ip, userAgent: request.headers['user-agent'], log: request.log };
      const response = await grant.handle({ deps, settings, caller, params: declaredParams(formParams(request), grant), origin, request, dpopJkt: request.dpopJkt });
      return reply.send(deliverRefreshToken(settings, caller, response, reply));
    },
  );
}
