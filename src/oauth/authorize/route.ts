import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { findClient } from '../../clients/store.js';
import { OAuthError } from '../../http/oauth-error.js';
import { readParams, type Params } from '../../http/params.js';
import type { BrowserCookies } from '../../browser/cookies.js';
import { errorPage } from '../../pages/error-page.js';
import { sendHtml } from '../../pages/send-html.js';
import { findActiveSession, type SessionLifetimes } from '../../browser/session-store.js';
import { nowDate, type OAuthDeps } from '../deps.js';
import { errorRedirect, nextStep } from './flow.js';
import { deletePendingRequest, findPendingRequest, type PendingRequest } from './request-store.js';
import { recheckParkedRequest, type RecheckedRequest } from './recheck.js';
import { resolveRedirectUri, UntrustedRedirectError, validateAuthorizationRequest } from './validate.js';

class UnreadableRequestError extends Error {}

export function sessionLifetimes(deps: OAuthDeps): SessionLifetimes {
  return { idleSeconds: deps.config.SESSION_IDLE_TTL, absoluteSeconds: deps.config.SESSION_ABSOLUTE_TTL };
}

/**
 * GET/POST /authorize: client and redirect URI first (an HTML page when either is wrong, never a
 * redirect), then everything else (errors redirected to the client with state), then the session.
 */
async function authorize(deps: OAuthDeps, cookies: BrowserCookies, source: unknown, request: FastifyRequest, reply: FastifyReply) {
  let params: Params;
  try {
    params = readParams(source, (message) => new UnreadableRequestError(message));
  } catch (error) {
    // Without trustworthy parameters we cannot know the redirect URI is safe: show a page.
    return sendHtml(reply, 400, errorPage('Invalid request', (error as Error).message));
  }
  const client = params.client_id === undefined ? undefined : await findClient(deps.db, params.client_id);
  let redirectUri: string;
  try {
    redirectUri = resolveRedirectUri(params, client);
  } catch (error) {
    if (error instanceof UntrustedRedirectError) return sendHtml(reply, 400, errorPage('Invalid request', error.message));
    throw error;
  }
  let valid;
  try {
    valid = validateAuthorizationRequest(params, client!, redirectUri, deps.config.ISSUER);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return reply.redirect(errorRedirect(deps, { redirectUri, state: params.state }, error.code, error.description), 302);
  }
  const session = await findActiveSession(deps.db, cookies.readSession(request), nowDate(deps), sessionLifetimes(deps));
  return nextStep(deps, { request: valid, client: client!, session }, reply);
}

/** Continues a parked request after the login or consent page. */
export async function resumeAuthorization(
  deps: OAuthDeps,
  cookies: BrowserCookies,
  requestId: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { consentedNow?: boolean } = {},
) {
  const now = nowDate(deps);
  const pending = await findPendingRequest(deps.db, requestId, now);
  if (!pending) return sendHtml(reply, 400, errorPage('Sign-in expired', 'This sign-in request has expired or is unknown.'));
  const client = await findClient(deps.db, pending.request.clientId);
  if (!client) return sendHtml(reply, 400, errorPage('Invalid request', 'The application is no longer registered.'));
  const rechecked = recheckParkedRequest(pending.request, client);
  if (!rechecked.ok) return refuseParkedRequest(deps, pending, rechecked, reply);
  const session = await findActiveSession(deps.db, cookies.readSession(request), now, sessionLifetimes(deps));
  return nextStep(deps, { request: rechecked.request, client, session, pending: { id: pending.id, createdAt: pending.createdAt, loginSessionId: pending.loginSessionId }, consentedNow: options.consentedNow }, reply);
}

/** A parked request its shrunk client no longer allows ends here, for good. */
async function refuseParkedRequest(deps: OAuthDeps, pending: PendingRequest, refusal: Extract<RecheckedRequest, { ok: false }>, reply: FastifyReply) {
  await deletePendingRequest(deps.db, pending.id);
  if (!refusal.redirectable) return sendHtml(reply, 400, errorPage('Invalid request', refusal.message));
  return reply.redirect(errorRedirect(deps, pending.request, refusal.error, refusal.description), 302);
}

export function registerAuthorizeRoutes(app: FastifyInstance, deps: OAuthDeps, cookies: BrowserCookies, options: { preHandler: preHandlerHookHandler[] }): void {
  app.get('/authorize', { preHandler: options.preHandler }, (request, reply) => authorize(deps, cookies, request.query, request, reply));
  app.post('/authorize', { preHandler: options.preHandler }, (request, reply) => authorize(deps, cookies, request.body, request, reply));
  app.get('/authorize/resume', (request, reply) =>
    resumeAuthorization(deps, cookies, (request.query as Record<string, unknown>).request_id, request, reply),
  );
}
