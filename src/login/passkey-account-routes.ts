import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import { findActiveSession, type ActiveSession } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import { withTransaction } from '../db/transaction.js';
import { OAuthError } from '../http/oauth-error.js';
import { perMinuteLimiter } from '../http/rate-limits.js';
import { sendHtml } from '../pages/send-html.js';
import { challengeCookie } from '../passkeys/challenge-cookie.js';
import { beginRegistration, completeRegistration, passkeyName } from '../passkeys/registration.js';
import { deletePasskey, listPasskeys, renamePasskey } from '../users/passkey-store.js';
import { findUserById } from '../users/store.js';
import { ACCOUNT_PASSKEYS_PATH, passkeysPage } from './passkey-account-page.js';
import { passkeyBody, passkeyRefused, requireCsrf, sendJson } from './passkey-json.js';
import { passkeyDeps } from './passkey-sign-in.js';
import type { StepContext } from './step.js';
import { formParams, forbiddenPage } from './step-pages.js';

/** Removing a passkey needs a sign-in at most this old: whoever finds a signed-in browser cannot take away the owner's way back in. */
export const FRESH_SIGN_IN_SECONDS = 300;

const NOTICES: Record<string, string> = {
  added: 'Passkey added. You can sign in with it now.',
  renamed: 'Passkey renamed.',
  removed: 'Passkey removed.',
};

async function signedIn(context: StepContext, request: FastifyRequest): Promise<{ session: ActiveSession; user: NonNullable<Awaited<ReturnType<typeof findUserById>>> } | undefined> {
  const now = nowDate(context.deps);
  const session = await findActiveSession(context.deps.db, context.cookies.readSession(request), now, context.settings.sessionLifetimes);
  const user = session && (await findUserById(context.deps.db, session.userId));
  return session && user ? { session, user } : undefined;
}

function isFresh(session: ActiveSession, now: Date): boolean {
  return now.getTime() - session.authTime.getTime() <= FRESH_SIGN_IN_SECONDS * 1000;
}

function backToList(reply: FastifyReply, done: keyof typeof NOTICES | 'sign_in_again'): FastifyReply {
  return reply.redirect(`${ACCOUNT_PASSKEYS_PATH}?done=${done}`, 303);
}

function signInFirst(reply: FastifyReply): FastifyReply {
  return reply.redirect('/account', 303);
}

async function showPasskeys(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const account = await signedIn(context, request);
  if (!account) return signInFirst(reply);
  const done = (request.query as Record<string, unknown>).done;
  const body = passkeysPage({
    username: account.user.username,
    csrfToken: context.cookies.csrfToken(request, reply),
    passkeys: await listPasskeys(context.deps.db, account.user.id),
    notice: typeof done === 'string' ? NOTICES[done] : undefined,
    error: done === 'sign_in_again' ? 'To remove a passkey, sign in again first (your sign-in is more than 5 minutes old).' : undefined,
  });
  return sendHtml(reply, 200, body, undefined, { scripts: true });
}

async function registrationOptions(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const body = passkeyBody(request);
  requireCsrf(context.cookies, request, body);
  const account = await signedIn(context, request);
  if (!account) throw new OAuthError('access_denied', 'Your session has ended. Sign in again.', 401);
  const cookieValue = challengeCookie(context.settings.issuer).issue(reply);
  const options = await beginRegistration(passkeyDeps(context), { cookieValue, user: account.user, now: nowDate(context.deps) });
  return sendJson(reply, { options });
}

async function register(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const body = passkeyBody(request);
  requireCsrf(context.cookies, request, body);
  const account = await signedIn(context, request);
  if (!account) throw new OAuthError('access_denied', 'Your session has ended. Sign in again.', 401);
  const challenges = challengeCookie(context.settings.issuer);
  const cookieValue = challenges.read(request);
  challenges.clear(reply);
  const result = await completeRegistration(passkeyDeps(context), request.log, {
    cookieValue,
    userId: account.user.id,
    response: body.response,
    name: body.name,
    ip: request.ip,
    now: nowDate(context.deps),
  });
  if (!result.ok) throw passkeyRefused(result.reason);
  return sendJson(reply, { redirect: `${ACCOUNT_PASSKEYS_PATH}?done=added` });
}

async function rename(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const form = formParams(request);
  if (!context.cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const account = await signedIn(context, request);
  if (!account) return signInFirst(reply);
  const id = (request.params as { id: string }).id;
  await renamePasskey(context.deps.db, account.user.id, id, passkeyName(form.name, nowDate(context.deps)));
  return backToList(reply, 'renamed');
}

async function remove(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const form = formParams(request);
  if (!context.cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const account = await signedIn(context, request);
  if (!account) return signInFirst(reply);
  const now = nowDate(context.deps);
  if (!isFresh(account.session, now)) return backToList(reply, 'sign_in_again');
  const id = (request.params as { id: string }).id;
  await withTransaction(context.deps.db, async (trx) => {
    const removed = await deletePasskey(trx, account.user.id, id);
    if (removed) await recordAudit(trx, request.log, { type: 'passkey_removed', userId: account.user.id, ip: request.ip, details: { passkeyId: removed.id, by: 'user' } });
  });
  return backToList(reply, 'removed');
}

/** /account/passkeys: list, add (WebAuthn registration), rename and remove the signed-in user's passkeys. */
export function registerPasskeyAccountRoutes(app: FastifyInstance, context: StepContext): void {
  const limit = perMinuteLimiter(app, 'passkey-account-ip', context.settings.rateLimits.loginPerMinute, (request) => request.ip);
  app.get(ACCOUNT_PASSKEYS_PATH, (request, reply) => showPasskeys(context, request, reply));
  app.post(`${ACCOUNT_PASSKEYS_PATH}/options`, { preHandler: limit }, (request, reply) => registrationOptions(context, request, reply));
  app.post(ACCOUNT_PASSKEYS_PATH, { preHandler: limit }, (request, reply) => register(context, request, reply));
  app.post(`${ACCOUNT_PASSKEYS_PATH}/:id/rename`, (request, reply) => rename(context, request, reply));
  app.post(`${ACCOUNT_PASSKEYS_PATH}/:id/remove`, (request, reply) => remove(context, request, reply));
}

