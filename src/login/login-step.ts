import type { FastifyReply, FastifyRequest } from 'fastify';
import { nowDate } from '../clock.js';
import { AMR } from '../users/assurance.js';
import { finalStepFor, signInClient } from '../oauth/authorize/final-steps.js';
import type { Check, SignInState } from '../oauth/authorize/prompt.js';
import { findPendingRequest, type PendingRequest } from '../oauth/authorize/request-store.js';
import { sendHtml } from '../pages/send-html.js';
import { pageUi } from '../pages/ui.js';
import { workSignal } from '../http/draining.js';
import { reservePasswordWork } from '../http/password-work.js';
import { issueDeviceToken, readDeviceToken } from './device-token.js';
import { establishSession } from './establish-session.js';
import { attemptLoginOn, loginKey } from './login-attempt.js';
import { readLoginInputs } from './login-inputs-store.js';
import { loginPage } from './pages.js';
import type { SignInStep, StepContext } from './step.js';
import { backToTheLoop, expiredPage, formParams, forbiddenPage } from './step-pages.js';

/**
 * A login made for this very request satisfies prompt=login and any max_age (OIDC Core 3.1.2.1):
 * asking again would loop for ever with max_age=0. It is bound to the session, not to a
 * timestamp, so a login for another request (or clocks that differ between instances) cannot
 * stand in for it.
 */
function loggedInForThisRequest({ session, pending }: SignInState): boolean {
  return session !== undefined && pending?.loginSessionId === session.id;
}

const loginRequired = { error: 'login_required', description: 'the user must log in' };

export const LOGIN_CHECKS: readonly Check[] = [
  { reason: 'no_session', ...loginRequired, applies: ({ session }) => session === undefined },
  { reason: 'login_prompt', ...loginRequired, applies: (state) => state.request.prompt === 'login' && !loggedInForThisRequest(state) },
  {
    reason: 'max_age',
    ...loginRequired,
    applies: (state) =>
      state.request.maxAge !== undefined &&
      !loggedInForThisRequest(state) &&
      state.now.getTime() - state.session!.authTime.getTime() > state.request.maxAge * 1000,
  },
];

async function renderLogin(context: StepContext, request: FastifyRequest, reply: FastifyReply, requestId: unknown) {
  const pending = await findPendingRequest(context.deps.db, requestId, nowDate(context.deps));
  return pending ? renderLoginFor(context, request, reply, pending) : expiredPage(reply);
}

async function renderLoginFor(context: StepContext, request: FastifyRequest, reply: FastifyReply, pending: PendingRequest, extra: { username?: string; failed?: boolean } = {}) {
  const { deps, cookies } = context;
  const final = finalStepFor(pending.kind);
  if (!final) return expiredPage(reply);
  const client = await signInClient(deps, final, pending.request.clientId);
  if (!client) return expiredPage(reply);
  const body = loginPage(pageUi(request), {
    requestId: pending.id,
    csrfToken: cookies.csrfToken(request, reply),
    clientName: client.name,
    username: extra.username ?? pending.request.loginHint,
    failed: extra.failed,
  });
  return sendHtml(reply, 200, body, final.formActionTarget(pending.request), { scripts: true });
}

/** POST /login: the password, then a session, then back to the loop for whatever comes next. */
async function submitPassword(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const { deps, cookies, settings } = context;
  const form = formParams(request);
  if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const now = nowDate(deps);
  const username = (form.username ?? '').trim().slice(0, 256);
  const password = (form.password ?? '').slice(0, 1024);
  const device = readDeviceToken(settings.deviceCookieKey, cookies.readDevice(request));
  const key = loginKey(username);
  const { pending, candidate } = await readLoginInputs(deps.db, form.request_id, now, key, device?.nonce ?? '');
  if (!pending) return expiredPage(reply);
  const attempt = { username, password, device, now, signal: workSignal(reply), admitLater: true };
  const outcome = await attemptLoginOn(deps.db, key, candidate, attempt, settings.lockout);
  // The account's admission is checked in the statement that starts the session: a lock set by a
  // burst of wrong passwords while this one was being verified still refuses it there.
  const session = outcome.ok ? await establishSession(context, request, reply, pending, { id: outcome.user.id, amr: [AMR.password] }, now, outcome.admission) : undefined;
  if (!session) {
    // The reason stays internal (the page says the same for all). An unknown username is not
    // recorded at all: it is often a password typed into the wrong field.
    await deps.audit.record(request.log, {
      type: 'login_failed',
      userId: outcome.ok ? outcome.user.id : outcome.reason === 'unknown_user' ? null : outcome.userId,
      clientId: pending.request.clientId,
      ip: request.ip,
      details: { reason: outcome.ok ? 'locked' : outcome.reason },
    });
    return renderLoginFor(context, request, reply, pending, { username, failed: true });
  }
  // A fresh nonce on every sign-in: this browser is now known for this user (device-token.ts).
  cookies.setDevice(reply, issueDeviceToken(settings.deviceCookieKey, session.userId));
  return backToTheLoop(reply, pending.id);
}

/** The first factor: username and password (GET/POST /login). */
export const loginStep: SignInStep = {
  name: 'login',
  path: '/login',
  checks: LOGIN_CHECKS,
  registerPage(app, context) {
    app.get('/login', (request, reply) => renderLogin(context, request, reply, (request.query as Record<string, unknown>).request_id));
    app.post('/login', { preHandler: [reservePasswordWork, ...context.secretFormLimiters] }, (request, reply) => submitPassword(context, request, reply));
  },
};
