import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { nowDate } from '../clock.js';
import { withTransaction } from '../db/transaction.js';
import { OAuthError } from '../http/oauth-error.js';
import { perMinuteLimiter } from '../http/rate-limits.js';
import { findPendingRequest } from '../oauth/authorize/request-store.js';
import { beginPasskeySignIn, passkeyAmr, verifyPasskeySignIn } from '../passkeys/assertion.js';
import { challengeCookie } from '../passkeys/challenge-cookie.js';
import { AMR } from '../users/assurance.js';
import { issueDeviceToken } from './device-token.js';
import { establishSession } from './establish-session.js';
import { PASSKEY_SECOND_FACTOR_OPTIONS_PATH, PASSKEY_SECOND_FACTOR_PATH, PASSKEY_SIGN_IN_OPTIONS_PATH, PASSKEY_SIGN_IN_PATH } from './passkey-pages.js';
import { completeSecondFactor, secondFactorContext } from './second-factor-step.js';
import { passkeyBody, passkeyRefused, passkeyText, requireCsrf, sendJson } from './passkey-json.js';
import type { StepContext } from './step.js';

/**
 * A passkey as the first step, passwordless (the login page's button and the username field's
 * autofill): the passkey is user-verified, so it is two factors in itself (amr hwk|swk + mfa).
 * POST /login/passkey/options starts the ceremony for the parked request; POST /login/passkey
 * verifies the assertion, starts the session and hands the browser back to the loop.
 */
async function pendingFor(context: StepContext, request: FastifyRequest, requestId: unknown, now: Date) {
  const pending = await findPendingRequest(context.deps.db, requestId, now);
  if (!pending) throw new OAuthError('invalid_request', passkeyText(request, 'requestUnknown'));
  return pending;
}

async function options(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const body = passkeyBody(request);
  requireCsrf(context.cookies, request, body);
  const now = nowDate(context.deps);
  await pendingFor(context, request, body.request_id, now);
  const cookieValue = challengeCookie(context.settings.issuer).issue(reply);
  const options = await beginPasskeySignIn(passkeyDeps(context), { cookieValue, purpose: 'sign_in', userId: null, now });
  return sendJson(reply, { options });
}

async function signIn(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const { cookies, settings } = context;
  const body = passkeyBody(request);
  requireCsrf(cookies, request, body);
  const now = nowDate(context.deps);
  const pending = await pendingFor(context, request, body.request_id, now);
  const challenges = challengeCookie(settings.issuer);
  const cookieValue = challenges.read(request);
  challenges.clear(reply);
  const result = await verifyPasskeySignIn(passkeyDeps(context), request.log, {
    cookieValue,
    purpose: 'sign_in',
    response: body.response,
    clientId: pending.request.clientId,
    ip: request.ip,
    now,
  });
  if (!result.ok) throw passkeyRefused(request, result.reason);
  // A user-verified passkey is two factors in itself (RFC 8176: hwk or swk, and mfa): level 2.
  await establishSession(context, request, reply, pending, { id: result.userId, amr: [passkeyAmr(result.passkey), AMR.multiFactor] }, now);
  cookies.setDevice(reply, issueDeviceToken(settings.deviceCookieKey, result.userId));
  return sendJson(reply, { redirect: `/authorize/resume?request_id=${pending.id}` });
}

export function passkeyDeps(context: StepContext) {
  return { db: context.deps.db, audit: context.deps.audit, rp: context.settings.rp };
}

export function registerPasskeySignInRoutes(app: FastifyInstance, context: StepContext): void {
  // Each options call writes a challenge row: bound them per IP like the login form.
  const limit = perMinuteLimiter(app, 'passkey-ip', context.settings.rateLimits.loginPerMinute, (request) => request.ip);
  app.post(PASSKEY_SIGN_IN_OPTIONS_PATH, { preHandler: limit }, (request, reply) => options(context, request, reply));
  app.post(PASSKEY_SIGN_IN_PATH, { preHandler: limit }, (request, reply) => signIn(context, request, reply));
}

/** The sign-in this second factor is for: ready (a session below level 2 with a passkey), else a 400 the page shows. */
async function readySecondFactor(context: StepContext, request: FastifyRequest, requestId: unknown) {
  const found = await secondFactorContext(context, request, requestId);
  if (found.status !== 'ready' || !found.kinds.includes('passkey')) {
    throw new OAuthError('invalid_request', passkeyText(request, 'movedOn'));
  }
  return found;
}

async function secondFactorOptions(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const body = passkeyBody(request);
  requireCsrf(context.cookies, request, body);
  const { session } = await readySecondFactor(context, request, body.request_id);
  const cookieValue = challengeCookie(context.settings.issuer).issue(reply);
  const options = await beginPasskeySignIn(passkeyDeps(context), { cookieValue, purpose: 'second_factor', userId: session.userId, now: nowDate(context.deps) });
  return sendJson(reply, { options });
}

/**
 * A passkey after the password: the challenge names the user who gave the password, so only
 * that user's passkey passes (verifyPasskeySignIn refuses another account's as wrong_user); the
 * session then gains hwk|swk (and so mfa) through the second-factor step's completeSecondFactor.
 */
async function secondFactor(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const body = passkeyBody(request);
  requireCsrf(context.cookies, request, body);
  const { session, pending } = await readySecondFactor(context, request, body.request_id);
  const challenges = challengeCookie(context.settings.issuer);
  const cookieValue = challenges.read(request);
  challenges.clear(reply);
  const result = await verifyPasskeySignIn(passkeyDeps(context), request.log, {
    cookieValue,
    purpose: 'second_factor',
    response: body.response,
    clientId: pending.request.clientId,
    ip: request.ip,
    now: nowDate(context.deps),
  });
  if (!result.ok) throw passkeyRefused(request, result.reason);
  if (result.userId !== session.userId) throw passkeyRefused(request, 'wrong_user');
  const completed = await withTransaction(context.deps.db, (trx) =>
    completeSecondFactor(context, trx, request, reply, { session, clientId: pending.request.clientId, amr: [passkeyAmr(result.passkey)], method: 'passkey' }),
  );
  if (!completed) throw new OAuthError('invalid_request', passkeyText(request, 'sessionEnded'));
  return sendJson(reply, { redirect: `/authorize/resume?request_id=${pending.id}` });
}

export function registerPasskeySecondFactorRoutes(app: FastifyInstance, context: StepContext): void {
  const limit = perMinuteLimiter(app, 'passkey-second-factor-ip', context.settings.rateLimits.loginPerMinute, (request) => request.ip);
  app.post(PASSKEY_SECOND_FACTOR_OPTIONS_PATH, { preHandler: limit }, (request, reply) => secondFactorOptions(context, request, reply));
  app.post(PASSKEY_SECOND_FACTOR_PATH, { preHandler: limit }, (request, reply) => secondFactor(context, request, reply));
}
