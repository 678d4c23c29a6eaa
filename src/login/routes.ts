import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { recordAudit } from '../audit/record.js';
import { findClient } from '../clients/store.js';
import { readParams, type Params } from '../http/params.js';
import { errorRedirect } from '../oauth/authorize/flow.js';
import { findPendingRequest, recordLoginForRequest } from '../oauth/authorize/request-store.js';
import { recheckParkedRequest } from '../oauth/authorize/recheck.js';
import { resumeAuthorization, sessionLifetimes } from '../oauth/authorize/route.js';
import { nowDate, type OAuthDeps } from '../oauth/deps.js';
import { describeScope, parseScope } from '../oauth/scopes.js';
import { findUserById } from '../users/store.js';
import { recordConsent } from '../browser/consent-store.js';
import type { BrowserCookies } from '../browser/cookies.js';
import { STYLESHEET, STYLESHEET_PATH } from '../pages/layout.js';
import { attemptLogin } from './login-attempt.js';
import { issueDeviceToken, readDeviceToken } from './device-token.js';
import type { SignInSettings } from './settings.js';
import { errorPage } from '../pages/error-page.js';
import { consentPage, loginPage } from './pages.js';
import { sendHtml } from '../pages/send-html.js';
import { createSession, endSessionByCookie, findActiveSession } from '../browser/session-store.js';

/** The one message for every failed login: it never says which part was wrong. */
export const LOGIN_FAILED_MESSAGE = 'Incorrect username or password.';

function formParams(request: FastifyRequest): Params {
  try {
    return readParams(request.body);
  } catch {
    return {};
  }
}

function expiredPage(reply: FastifyReply) {
  return sendHtml(reply, 400, errorPage('Sign-in expired', 'This sign-in request has expired or is unknown. Start again from the application.'));
}

function forbiddenPage(reply: FastifyReply) {
  return sendHtml(reply, 403, errorPage('Request refused', 'The form could not be verified. Reload the page and try again.'));
}

export interface LoginRouteOptions {
  /** Rate limiters run before the password check (per IP, per username). */
  loginLimiters: preHandlerHookHandler[];
  signIn: SignInSettings;
}

export function registerLoginRoutes(app: FastifyInstance, deps: OAuthDeps, cookies: BrowserCookies, options: LoginRouteOptions): void {
  app.get(STYLESHEET_PATH, (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );

  const renderLogin = async (request: FastifyRequest, reply: FastifyReply, requestId: unknown, status: number, extra: { username?: string; error?: string } = {}) => {
    const pending = await findPendingRequest(deps.db, requestId, nowDate(deps));
    if (!pending) return expiredPage(reply);
    const client = await findClient(deps.db, pending.request.clientId);
    if (!client) return expiredPage(reply);
    const body = loginPage({
      requestId: pending.id,
      csrfToken: cookies.csrfToken(request, reply),
      clientName: client.name,
      username: extra.username ?? pending.request.loginHint,
      error: extra.error,
    });
    return sendHtml(reply, status, body, pending.request.redirectUri);
  };

  app.get('/login', (request, reply) => renderLogin(request, reply, (request.query as Record<string, unknown>).request_id, 200));

  app.post('/login', { preHandler: options.loginLimiters }, async (request, reply) => {
    const form = formParams(request);
    if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
    const now = nowDate(deps);
    const pending = await findPendingRequest(deps.db, form.request_id, now);
    if (!pending) return expiredPage(reply);
    const username = (form.username ?? '').trim().slice(0, 256);
    const password = (form.password ?? '').slice(0, 1024);
    const { signIn } = options;
    const device = readDeviceToken(signIn.deviceCookieKey, cookies.readDevice(request));
    const outcome = await attemptLogin(deps.db, { username, password, device, now }, signIn.lockout);
    if (!outcome.ok) {
      // The reason stays internal (the page says the same for all). An unknown username is not
      // recorded at all: it is often a password typed into the wrong field.
      await recordAudit(deps.db, request.log, {
        type: 'login_failed',
        userId: outcome.reason === 'unknown_user' ? null : outcome.userId,
        clientId: pending.request.clientId,
        ip: request.ip,
        details: { reason: outcome.reason },
      });
      return renderLogin(request, reply, pending.id, 200, { username, error: LOGIN_FAILED_MESSAGE });
    }
    // A fresh session for every login: never reuse an identifier the browser held before.
    await endSessionByCookie(deps.db, cookies.readSession(request), now);
    const { cookieValue, session } = await createSession(deps.db, {
      userId: outcome.user.id,
      now,
      lifetimes: sessionLifetimes(deps),
      ip: request.ip,
      userAgent: request.headers['user-agent'],
    });
    await recordAudit(deps.db, request.log, {
      type: 'login_succeeded',
      userId: outcome.user.id,
      clientId: pending.request.clientId,
      ip: request.ip,
      details: { sessionId: session.id },
    });
    await recordLoginForRequest(deps.db, pending.id, session.id);
    cookies.setSession(reply, cookieValue, deps.config.SESSION_ABSOLUTE_TTL);
    // A fresh nonce on every sign-in: this browser is now known for this user (device-token.ts).
    cookies.setDevice(reply, issueDeviceToken(signIn.deviceCookieKey, outcome.user.id));
    return reply.redirect(`/authorize/resume?request_id=${pending.id}`, 303);
  });

  const consentContext = async (request: FastifyRequest, requestId: unknown) => {
    const now = nowDate(deps);
    const pending = await findPendingRequest(deps.db, requestId, now);
    if (!pending) return undefined;
    const session = await findActiveSession(deps.db, cookies.readSession(request), now, sessionLifetimes(deps));
    const client = await findClient(deps.db, pending.request.clientId);
    if (!session || !client) return undefined;
    // The client may have shrunk since the request was parked: ask only for what it still has;
    // anything worse is refused by resumeAuthorization (never a redirect to a removed URI).
    const rechecked = recheckParkedRequest(pending.request, client);
    if (!rechecked.ok) return { refusedRequestId: pending.id };
    return { pending: { ...pending, request: rechecked.request }, session, client };
  };

  app.get('/consent', async (request, reply) => {
    const context = await consentContext(request, (request.query as Record<string, unknown>).request_id);
    if (!context) return expiredPage(reply);
    if ('refusedRequestId' in context) return resumeAuthorization(deps, cookies, context.refusedRequestId, request, reply);
    const user = await findUserById(deps.db, context.session.userId);
    const body = consentPage({
      requestId: context.pending.id,
      csrfToken: cookies.csrfToken(request, reply),
      clientName: context.client.name,
      username: user?.username ?? '',
      scopes: parseScope(context.pending.request.scope).map((name) => ({ name, description: describeScope(name) })),
    });
    return sendHtml(reply, 200, body, context.pending.request.redirectUri);
  });

  app.post('/consent', async (request, reply) => {
    const form = formParams(request);
    if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
    const context = await consentContext(request, form.request_id);
    if (!context) return expiredPage(reply);
    if ('refusedRequestId' in context) return resumeAuthorization(deps, cookies, context.refusedRequestId, request, reply);
    const { pending, session, client } = context;
    if (form.decision !== 'allow') {
      return reply.redirect(errorRedirect(deps, pending.request, 'access_denied', 'the user denied the request'), 303);
    }
    await recordConsent(deps.db, session.userId, client.clientId, parseScope(pending.request.scope), nowDate(deps));
    await recordAudit(deps.db, request.log, {
      type: 'consent_given',
      userId: session.userId,
      clientId: client.clientId,
      ip: request.ip,
      details: { scope: pending.request.scope },
    });
    return resumeAuthorization(deps, cookies, pending.id, request, reply, { consentedNow: true });
  });
}
