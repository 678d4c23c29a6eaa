import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify';
import type { Client } from '../../clients/store.js';
import { nowDate } from '../../clock.js';
import { OAuthError } from '../../http/oauth-error.js';
import type { Params } from '../../http/params.js';
import { resolveRedirectUri, UntrustedRedirectError, validateAuthorizationRequest } from '../authorize/validate.js';
import { authenticatedCaller, formParams } from '../client-request.js';
import type { OAuthDeps } from '../deps.js';
import { savePushedRequest } from './store.js';

export const PAR_PATH = '/par';
/** RFC 9126 2.2: "expires_in" — a request_uri is good for one minute (and one use). */
export const PUSHED_REQUEST_LIFETIME_SECONDS = 60;

/** Client authentication's own parameters: how the push was authenticated, not part of the authorization request. */
const CLIENT_AUTHENTICATION_PARAMS = new Set(['client_secret', 'client_assertion', 'client_assertion_type']);

/** RFC 9126 2.2. */
export interface PushedAuthorizationResponse {
  request_uri: string;
  expires_in: number;
}

/** The authorization request in the push, without the client's credentials. */
function authorizationParams(form: Params): Params {
  return Object.fromEntries(Object.entries(form).filter(([name]) => !CLIENT_AUTHENTICATION_PARAMS.has(name)));
}

/**
 * RFC 9126 2.1: the pushed request is validated as /authorize would validate it (redirect_uri
 * registered, response_type, PKCE S256, scopes, resource), and refused now with a JSON error
 * (RFC 9126 2.3) rather than later at the browser. Nothing of it is stored if it fails.
 */
function checkPushedRequest(params: Params, client: Client, issuer: string): void {
  // RFC 9126 2.1: request_uri must not be pushed (it would point at another pushed request).
  if (params.request_uri !== undefined) throw new OAuthError('invalid_request', 'request_uri must not be sent to the pushed authorization request endpoint');
  let redirectUri: string;
  try {
    redirectUri = resolveRedirectUri(params, client);
  } catch (error) {
    if (error instanceof UntrustedRedirectError) throw new OAuthError('invalid_request', error.message);
    throw error;
  }
  validateAuthorizationRequest(params, client, redirectUri, issuer);
}

async function pushAuthorizationRequest(deps: OAuthDeps, request: FastifyRequest, reply: FastifyReply) {
  const { client } = authenticatedCaller(request);
  // The authenticated client is the request's client, whatever the body said (authentication already refused a mismatch).
  const params = { ...authorizationParams(formParams(request)), client_id: client.clientId };
  checkPushedRequest(params, client, deps.config.ISSUER);
  const requestUri = await savePushedRequest(deps.db, client.clientId, params, nowDate(deps), PUSHED_REQUEST_LIFETIME_SECONDS);
  const body: PushedAuthorizationResponse = { request_uri: requestUri, expires_in: PUSHED_REQUEST_LIFETIME_SECONDS };
  return reply.code(201).send(body);
}

/**
 * POST /par (RFC 9126), inside the client-authenticated plugin (src/oauth/client-endpoints.ts):
 * by then the answer is no-store, the body a form and the client authenticated with its
 * registered method (every method, `none` included: a public client names itself). Rate-limited
 * like /token; browsers may call it from the client's registered origins (CORS).
 */
export function registerParRoute(app: FastifyInstance, deps: OAuthDeps, hooks: { onRequest: onRequestHookHandler[]; preHandler: preHandlerHookHandler[] }): void {
  app.post(PAR_PATH, hooks, (request, reply) => pushAuthorizationRequest(deps, request, reply));
}
