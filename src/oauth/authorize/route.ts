import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { BrowserCookies } from '../../browser/cookies.js';
import { findActiveSession, type SessionLifetimes } from '../../browser/session-store.js';
import { nowDate } from '../../clock.js';
import { OAuthError } from '../../http/oauth-error.js';
import { readParams, type Params } from '../../http/params.js';
import { sendErrorPage } from '../../pages/error-page.js';
import type { OAuthDeps } from '../deps.js';
import { codeRedirect, errorRedirect } from './code-redirect.js';
import { finalStepFor, signInClient } from './final-steps.js';
import { continueSignIn, signInState } from './flow.js';
import type { Prompt } from './prompt.js';
import { deletePendingRequest, findPendingRequest } from './request-store.js';
import { takePushedRequest } from '../par/store.js';
import type { Client } from '../../clients/store.js';
import { resolveRedirectUri, UntrustedRedirectError, validateAuthorizationRequest } from './validate.js';

class UnreadableRequestError extends Error {}

/** What the sign-in loop runs with; built once where the sign-in steps are registered (login/routes.ts). */
export interface SignInContext {
  deps: OAuthDeps;
  cookies: BrowserCookies;
  /** The prompts in the order they are asked for (login/steps.ts). */
  prompts: readonly Prompt[];
  sessionLifetimes: SessionLifetimes;
  /** REQUIRE_PAR: every client must push its requests to /par first (RFC 9126 5). */
  requirePar: boolean;
}

function sessionOf(context: SignInContext, request: FastifyRequest, now: Date) {
  return findActiveSession(context.deps.db, context.cookies.readSession(request), now, context.sessionLifetimes);
}

/** The log's detail for every unusable request_uri (invalid_request_uri, RFC 9101 6.2); the person gets the 'expired' page: without the pushed request there is no trusted redirect URI. */
const UNUSABLE_REQUEST_URI =
  'invalid_request_uri: this pushed authorization request is unknown, has expired, was already used, or was pushed by another application.';

/** RFC 9126 5 and 6: the server or the client's registration demands pushed requests. */
function parRequired(context: SignInContext, client: Client): boolean {
  return context.requirePar || client.requirePushedAuthorizationRequests;
}

/**
 * GET/POST /authorize: a pushed request (request_uri) taken first, once, by its own client; then
 * client and redirect URI (an HTML page when either is wrong, never a redirect), then everything
 * else (errors redirected to the client with state: a client that must push and did not is one),
 * then the loop.
 */
async function authorize(context: SignInContext, source: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { deps } = context;
  let params: Params;
  try {
    params = readParams(source, (message) => new UnreadableRequestError(message));
  } catch (error) {
    // Without trustworthy parameters we cannot know the redirect URI is safe: show a page.
    return sendErrorPage(reply, 400, 'badRequest', { detail: (error as Error).message });
  }
  const client = params.client_id === undefined ? undefined : await deps.clients.find(params.client_id);
  const pushed = params.request_uri !== undefined;
  if (pushed) {
    const taken = client && (await takePushedRequest(deps.db, params.request_uri!, client.clientId, nowDate(deps)));
    if (!taken) return sendErrorPage(reply, 400, 'expired', { detail: UNUSABLE_REQUEST_URI });
    // RFC 9126 4: the pushed parameters are the request; the query's others are ignored (client_id matched).
    params = taken;
  }
  let redirectUri: string;
  try {
    redirectUri = resolveRedirectUri(params, client);
  } catch (error) {
    if (error instanceof UntrustedRedirectError) return sendErrorPage(reply, 400, error.page, { detail: `${error.message} (client_id ${JSON.stringify(params.client_id ?? null)})` });
    throw error;
  }
  let valid;
  try {
    if (!pushed && parRequired(context, client!)) throw new OAuthError('invalid_request', 'this client must push its authorization request to the pushed authorization request endpoint (/par) first');
    valid = validateAuthorizationRequest(params, client!, redirectUri, deps.config.ISSUER);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return reply.redirect(errorRedirect(deps, { redirectUri, state: params.state }, error.code, error.description), 302);
  }
  const now = nowDate(deps);
  const session = await sessionOf(context, request, now);
  return continueSignIn(deps, context.prompts, codeRedirect, signInState(deps, { kind: codeRedirect.kind, request: valid, client: client!, session, now }), reply);
}

/**
 * Continues a parked sign-in of any kind, after a step's page (GET /authorize/resume, or in-process
 * when the page has just completed its prompt: `completedNow`).
 */
export async function resumeSignIn(
  context: SignInContext,
  requestId: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { completedNow?: string } = {},
): Promise<FastifyReply> {
  const { deps } = context;
  const now = nowDate(deps);
  const pending = await findPendingRequest(deps.db, requestId, now);
  const final = pending && finalStepFor(pending.kind);
  if (!pending || !final) return sendErrorPage(reply, 400, 'expired', { detail: 'sign-in request expired or unknown' });
  const client = await signInClient(deps, final, pending.request.clientId);
  if (!client) return sendErrorPage(reply, 400, 'unknownApplication', { detail: `client ${pending.request.clientId} no longer registered` });
  const rechecked = final.recheck(pending.request, client);
  if (!rechecked.ok) {
    // A parked request its shrunk client no longer allows ends here, for good.
    await deletePendingRequest(deps.db, pending.id);
    return final.refuse(deps, pending.request, rechecked, reply, 302);
  }
  const session = await sessionOf(context, request, now);
  const state = signInState(deps, {
    kind: pending.kind,
    request: rechecked.request,
    client,
    session,
    now,
    pending: { id: pending.id, createdAt: pending.createdAt, loginSessionId: pending.loginSessionId },
    completedNow: options.completedNow,
  });
  return continueSignIn(deps, context.prompts, final, state, reply);
}

export function registerAuthorizeRoutes(app: FastifyInstance, context: SignInContext, options: { preHandler: preHandlerHookHandler[] }): void {
  app.get('/authorize', { preHandler: options.preHandler }, (request, reply) => authorize(context, request.query, request, reply));
  app.post('/authorize', { preHandler: options.preHandler }, (request, reply) => authorize(context, request.body, request, reply));
  app.get('/authorize/resume', (request, reply) => resumeSignIn(context, (request.query as Record<string, unknown>).request_id, request, reply));
}
