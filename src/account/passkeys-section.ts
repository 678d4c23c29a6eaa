import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import type { ActiveSession } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import { withTransaction } from '../db/transaction.js';
import { OAuthError } from '../http/oauth-error.js';
import { perMinuteLimiter } from '../http/rate-limits.js';
import { sendHtml } from '../pages/send-html.js';
import { pageUi } from '../pages/ui.js';
import { challengeCookie } from '../passkeys/challenge-cookie.js';
import { beginRegistration, completeRegistration, passkeyName } from '../passkeys/registration.js';
import { deletePasskey, listPasskeys, renamePasskey } from '../users/passkey-store.js';
import { findActiveSession } from '../browser/session-store.js';
import { findUserById } from '../users/store.js';
import { passkeyBody, passkeyRefused, passkeyText, requireCsrf, sendJson } from '../login/passkey-json.js';
import { passkeyDeps } from '../login/passkey-sign-in.js';
import type { StepContext } from '../login/step.js';
import { formParams, forbiddenPage } from '../login/step-pages.js';
import { accountSession, isFresh } from './guard.js';
import { ACCOUNT_PASSKEYS_PATH, passkeysPage, passkeysSummary } from './passkeys-page.js';
import type { AccountSection } from './section.js';

/** What the list says after an action (?done=): catalogue keys, so the query string cannot put words on the page. */
type Done = 'added' | 'renamed' | 'removed';

/** The JSON endpoints (fetch from /account/passkeys) need the session the page had; they cannot show a sign-in page. */
async function signedIn(context: StepContext, request: FastifyRequest): Promise<{ session: ActiveSession; user: NonNullable<Awaited<ReturnType<typeof findUserById>>> } | undefined> {
  const now = nowDate(context.deps);
  const session = await findActiveSession(context.deps.db, context.cookies.readSession(request), now, context.settings.sessionLifetimes);
  const user = session && (await findUserById(context.deps.db, session.userId));
  return session && user ? { session, user } : undefined;
}

function backToList(reply: FastifyReply, done: Done): FastifyReply {
  return reply.redirect(`${ACCOUNT_PASSKEYS_PATH}?done=${done}`, 303);
}

/** GET /account/passkeys: signs the browser in first (the account loop), like every /account page. */
/** A parked sign-in that sent the user here to add a second factor (the enrol step): where to go once one is added. */
function enrolmentRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : undefined;
}

async function showPasskeys(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const requestId = enrolmentRequestId((request.query as Record<string, unknown>).request_id);
  const access = await accountSession(context, request, reply, requestId ? `${ACCOUNT_PASSKEYS_PATH}?request_id=${requestId}` : ACCOUNT_PASSKEYS_PATH);
  if (!access.ok) return access.reply;
  const user = await findUserById(context.deps.db, access.session.userId);
  if (!user) return reply.redirect('/account', 303);
  const done = (request.query as Record<string, unknown>).done;
  const ui = pageUi(request);
  const body = passkeysPage(ui, {
    username: user.username,
    csrfToken: context.cookies.csrfToken(request, reply),
    passkeys: await listPasskeys(context.deps.db, user.id),
    requestId,
    notice: typeof done === 'string' && Object.hasOwn(ui.t.passkeyNotices, done) ? ui.t.passkeyNotices[done] : undefined,
  });
  return sendHtml(reply, 200, body, undefined, { scripts: true });
}

async function registrationOptions(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const body = passkeyBody(request);
  requireCsrf(context.cookies, request, body);
  const account = await signedIn(context, request);
  if (!account) throw new OAuthError('access_denied', passkeyText(request, 'sessionEnded'), 401);
  const cookieValue = challengeCookie(context.settings.issuer).issue(reply);
  const options = await beginRegistration(passkeyDeps(context), { cookieValue, user: account.user, now: nowDate(context.deps) });
  return sendJson(reply, { options });
}

async function register(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const body = passkeyBody(request);
  requireCsrf(context.cookies, request, body);
  const account = await signedIn(context, request);
  if (!account) throw new OAuthError('access_denied', passkeyText(request, 'sessionEnded'), 401);
  const challenges = challengeCookie(context.settings.issuer);
  const cookieValue = challenges.read(request);
  challenges.clear(reply);
  const result = await completeRegistration(passkeyDeps(context), request.log, {
    cookieValue,
    userId: account.user.id,
    sessionId: account.session.id,
    response: body.response,
    name: body.name,
    ip: request.ip,
    now: nowDate(context.deps),
  });
  if (!result.ok) throw passkeyRefused(request, result.reason);
  if (result.sessionCookieValue) context.cookies.setSession(reply, result.sessionCookieValue, context.settings.sessionLifetimes.absoluteSeconds);
  // Added while a sign-in waits for a second factor: back to it (it now asks for this passkey).
  const requestId = enrolmentRequestId(body.request_id);
  return sendJson(reply, { redirect: requestId ? `/authorize/resume?request_id=${requestId}` : `${ACCOUNT_PASSKEYS_PATH}?done=added` });
}

async function rename(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const form = formParams(request);
  if (!context.cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const access = await accountSession(context, request, reply, ACCOUNT_PASSKEYS_PATH);
  if (!access.ok) return access.reply;
  const id = (request.params as { id: string }).id;
  await renamePasskey(context.deps.db, access.session.userId, id, passkeyName(form.name, nowDate(context.deps)));
  return backToList(reply, 'renamed');
}

async function remove(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const form = formParams(request);
  if (!context.cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  // Taking a way in away needs a fresh sign-in (every factor again when the last is over 5
  // minutes old): the loop returns the browser to the list, where Remove is pressed again.
  const access = await accountSession(context, request, reply, ACCOUNT_PASSKEYS_PATH, { fresh: true });
  if (!access.ok) return access.reply;
  const { session } = access;
  if (!isFresh(session, nowDate(context.deps))) return reply.redirect(ACCOUNT_PASSKEYS_PATH, 303);
  const id = (request.params as { id: string }).id;
  await withTransaction(context.deps.db, async (trx) => {
    const removed = await deletePasskey(trx, session.userId, id);
    if (removed) await recordAudit(trx, request.log, { type: 'passkey_removed', userId: session.userId, ip: request.ip, details: { passkeyId: removed.id, by: 'user' } });
  });
  return backToList(reply, 'removed');
}

/** /account/passkeys: list, add (WebAuthn registration), rename and remove the signed-in user's passkeys. */
function registerPasskeyAccountRoutes(app: FastifyInstance, context: StepContext): void {
  const limit = perMinuteLimiter(app, 'passkey-account-ip', context.settings.rateLimits.loginPerMinute, (request) => request.ip);
  app.get(ACCOUNT_PASSKEYS_PATH, (request, reply) => showPasskeys(context, request, reply));
  app.post(`${ACCOUNT_PASSKEYS_PATH}/options`, { preHandler: limit }, (request, reply) => registrationOptions(context, request, reply));
  app.post(ACCOUNT_PASSKEYS_PATH, { preHandler: limit }, (request, reply) => register(context, request, reply));
  app.post(`${ACCOUNT_PASSKEYS_PATH}/:id/rename`, (request, reply) => rename(context, request, reply));
  app.post(`${ACCOUNT_PASSKEYS_PATH}/:id/remove`, (request, reply) => remove(context, request, reply));
}


/** The passkeys section of /account: a summary there, the list and its actions on /account/passkeys. */
export const passkeysSection: AccountSection = {
  id: 'passkeys',
  render: async (context, view) => passkeysSummary(view.ui.t, await listPasskeys(context.deps.db, view.user.id)),
  registerRoutes: (app, context) => registerPasskeyAccountRoutes(app, context),
};
