import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import { authenticateClient } from '../clients/authenticate.js';
import { authenticatedCaller, formParams } from './client-request.js';
import { requireFormBody } from '../http/form-body.js';
import { corsForNamedClient, registerPreflights, requireAllowedOrigin, varyOnOrigin, type RegisteredOrigins } from './cors.js';
import type { OAuthDeps } from './deps.js';
import { nowDate } from '../clock.js';
import { registerDeviceAuthorizationRoute } from './device/authorization-endpoint.js';
import type { DeviceSettings } from './device/settings.js';
import { registerIntrospectRoute } from './introspect.js';
import { PAR_PATH, registerParRoute } from './par/endpoint.js';
import { registerRevokeRoute } from './revoke.js';
import { registerTokenRoute } from './token/route.js';
import type { TokenEndpointSettings } from './token/settings.js';


export interface ClientEndpointsOptions {
  deps: OAuthDeps;
  settings: TokenEndpointSettings;
  /** The device flow's settings (RFC 8628), for /device_authorization. */
  device: DeviceSettings;
  /** Browser origins some client accepts (CORS preflights, which name no client). */
  origins: RegisteredOrigins;
  /** The per-IP limit of /token, /revoke, /par and /device_authorization; empty when off. */
  tokenLimiters: onRequestHookHandler[];
}

/** Endpoints SPAs call from the browser (CORS with credentials); /introspect is for servers. */
const BROWSER_PATHS = ['/token', '/revoke', PAR_PATH] as const;

// The hooks that do no I/O take Fastify's `done` instead of being async: an async hook costs a
// promise and a microtask hop per request, and /token runs several (ARCHITECTURE.md, token endpoints).
// A synchronous throw before `done` is answered like a rejection.

/** RFC 6749 5.1, RFC 7009 2, RFC 7662 2.2: nothing these endpoints answer may be cached. */
function noStore(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  done();
}

function readForm(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  request.form = requireFormBody(request);
  done();
}

/** A browser request must come from one of the client's own origins (SPA cookie mode depends on it). */
function requireClientOrigin(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  requireAllowedOrigin(request, authenticatedCaller(request).client);
  done();
}

/**
 * /token, /revoke and /introspect share their preamble, written once here: every response is
 * no-store, the body must be a form, and the client authenticates with its registered method
 * (request.client) before a route runs. Hook order per request: onRequest (no-store, then the
 * route's CORS headers and rate limit) -> preValidation (form, then the route's own checks that
 * need no client, e.g. grant_type) -> preHandler (authenticate, then the route's checks that need
 * the client) -> handler.
 */
async function authenticatedEndpoints(scope: FastifyInstance, { deps, settings, device, tokenLimiters }: ClientEndpointsOptions): Promise<void> {
  scope.decorateRequest('client', null);
  scope.decorateRequest('form', null);
  scope.decorateRequest('dpopJkt', null);
  scope.addHook('onRequest', noStore);
  scope.addHook('preValidation', readForm);
  scope.addHook('preHandler', async (request) => {
    request.client = await authenticateClient(
      deps.clients,
      { authorization: request.headers.authorization, params: formParams(request) },
      { now: nowDate(deps), endpointUrl: `${deps.config.ISSUER}${request.routeOptions.url}`, assertions: deps.clientAssertions },
    );
  });

  const browserEndpoint = { onRequest: [varyOnOrigin, ...tokenLimiters], preValidation: [corsForNamedClient(deps.clients)], preHandler: [requireClientOrigin] };
  registerTokenRoute(scope, deps, settings, browserEndpoint);
  registerRevokeRoute(scope, deps, settings, browserEndpoint);
  registerIntrospectRoute(scope, deps, settings);
  registerParRoute(scope, deps, browserEndpoint);
  registerDeviceAuthorizationRoute(scope, deps, device, { onRequest: tokenLimiters });
}

/** The client-authenticated endpoints, with the CORS preflights of the browser ones beside them (no body, no client). */
export const clientEndpoints: FastifyPluginAsync<ClientEndpointsOptions> = async (scope, options) => {
  await scope.register(async (preflights) => registerPreflights(preflights, BROWSER_PATHS, options.origins));
  await scope.register(async (endpoints) => authenticatedEndpoints(endpoints, options));
};
