import { pageUi } from '../pages/ui.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { recordAudit } from '../audit/record.js';
import { addSessionFactors } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import { withTransaction } from '../db/transaction.js';
import { perMinuteLimiter } from '../http/rate-limits.js';
import type { StepContext } from '../login/step.js';
import { forbiddenPage, formParams } from '../login/step-pages.js';
import { confirmTotpEnrolment, pendingTotpEnrolment, regenerateRecoveryCodes, removeTotp } from '../mfa/enrolment.js';
import { html, Html } from '../pages/html.js';
import { sendHtml } from '../pages/send-html.js';
import { tooManyRequestsPage } from '../pages/too-many-requests.js';
import { AMR } from '../users/assurance.js';
import { summariseRecoveryCodes } from '../users/recovery-code-store.js';
import { findUserById } from '../users/store.js';
import { findTotp } from '../users/totp-store.js';
import { accountSession, isFresh } from './guard.js';
import { backToAccount } from './notices.js';
import { confirmActionPage, recoveryCodesPage, totpSetupPage } from './pages.js';
import type { AccountSection } from './section.js';

const SETUP = '/account/totp';
const REMOVE = '/account/totp/remove';
const NEW_CODES = '/account/recovery-codes';

/** A parked sign-in this enrolment continues (from the enrol step); only its shape is checked here, the loop checks the rest. */
function requestIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{32}$/.test(value) ? value : undefined;
}

function setupPath(requestId: string | undefined): string {
  return requestId ? `${SETUP}?request_id=${requestId}` : SETUP;
}

function dateText(date: Date | null, never: string): string {
  return date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : never;
}

async function showSetup(context: StepContext, request: FastifyRequest, reply: FastifyReply, requestId: string | undefined, wrongCode = false) {
  const access = await accountSession(context, request, reply, setupPath(requestId));
  if (!access.ok) return access.reply;
  const { deps } = context;
  const user = await findUserById(deps.db, access.session.userId);
  if (!user) return backToAccount(reply);
  const provisioning = await pendingTotpEnrolment(deps.db, context.settings.secondFactors, user, nowDate(deps));
  if (!provisioning) return backToAccount(reply);
  // Drawn here, inline: the page fetches nothing (its CSP allows no image from anywhere else).
  const qrSvg = new Html(await QRCode.toString(provisioning.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }));
  const ui = pageUi(request);
  const error = wrongCode ? ui.t.totpWrongCode : undefined;
  const body = totpSetupPage(ui, { csrfToken: context.cookies.csrfToken(request, reply), qrSvg, secret: provisioning.secret, uri: provisioning.uri, requestId, error });
  return sendHtml(reply, wrongCode ? 400 : 200, body);
}

/**
 * POST /account/totp: the app's first code turns it on. Proving the code also counts as
 * presenting it: the session gains `otp` (level 2), so a sign-in that led here to enrol continues
 * without asking for another code.
 */
async function confirmSetup(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const { deps, cookies, settings } = context;
  const form = formParams(request);
  if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const requestId = requestIdOf(form.request_id);
  const access = await accountSession(context, request, reply, setupPath(requestId));
  if (!access.ok) return access.reply;
  const { session } = access;
  const now = nowDate(deps);
  const confirmed = await withTransaction(deps.db, async (trx) => {
    const result = await confirmTotpEnrolment(trx, settings.secondFactors, session.userId, form.otp ?? '', now);
    if (!result.ok) return result;
    const upgraded = await addSessionFactors(trx, session.id, [AMR.oneTimePassword]);
    await recordAudit(trx, request.log, { type: 'second_factor_enrolled', userId: session.userId, ip: request.ip, details: { kind: 'totp', by: 'user' } });
    await recordAudit(trx, request.log, { type: 'recovery_codes_generated', userId: session.userId, ip: request.ip, details: { by: 'user' } });
    return { ...result, cookieValue: upgraded?.cookieValue };
  });
  if (!confirmed.ok) {
    if (confirmed.reason === 'no_enrolment') return backToAccount(reply);
    await deps.audit.record(request.log, { type: 'second_factor_failed', userId: session.userId, ip: request.ip, details: { reason: 'wrong_code', at: 'totp_enrolment' } });
    return showSetup(context, request, reply, requestId, true);
  }
  if (confirmed.cookieValue) cookies.setSession(reply, confirmed.cookieValue, settings.sessionLifetimes.absoluteSeconds);
  const continueHref = requestId ? `/authorize/resume?request_id=${requestId}` : '/account?notice=totp_enabled';
  const { t } = pageUi(request);
  return sendHtml(reply, 200, recoveryCodesPage(pageUi(request), { codes: confirmed.recoveryCodes, heading: t.authenticatorOnTitle, continueHref, continueLabel: requestId ? t.continueSigningIn : t.done }));
}

/** GET: asks for a fresh sign-in first (every factor again when the last is older than 5 minutes). */
async function confirmPage(context: StepContext, request: FastifyRequest, reply: FastifyReply, what: 'remove' | 'codes') {
  const access = await accountSession(context, request, reply, what === 'remove' ? REMOVE : NEW_CODES, { fresh: true });
  if (!access.ok) return access.reply;
  const totp = await findTotp(context.deps.db, access.session.userId);
  if (!totp?.confirmedAt) return backToAccount(reply);
  const csrfToken = context.cookies.csrfToken(request, reply);
  const ui = pageUi(request);
  const { t } = ui;
  const body =
    what === 'remove'
      ? confirmActionPage(ui, { title: t.removeAuthenticatorTitle, message: t.removeAuthenticatorText, action: REMOVE, button: t.removeButton, csrfToken, danger: true })
      : confirmActionPage(ui, { title: t.newCodesTitle, message: t.newCodesText, action: NEW_CODES, button: t.newCodesButton, csrfToken });
  return sendHtml(reply, 200, body);
}

/** POST: the sign-in must still be fresh (a page left open for long is asked again). */
async function applyChange(context: StepContext, request: FastifyRequest, reply: FastifyReply, what: 'remove' | 'codes') {
  const { deps, cookies } = context;
  const form = formParams(request);
  if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const access = await accountSession(context, request, reply, what === 'remove' ? REMOVE : NEW_CODES, { fresh: true });
  if (!access.ok) return access.reply;
  const { session } = access;
  const now = nowDate(deps);
  if (!isFresh(session, now)) return reply.redirect(what === 'remove' ? REMOVE : NEW_CODES, 303);
  const codes = await withTransaction(deps.db, async (trx) => {
    const totp = await findTotp(trx, session.userId);
    if (!totp?.confirmedAt) return undefined;
    if (what === 'remove') {
      await removeTotp(trx, session.userId);
      await recordAudit(trx, request.log, { type: 'second_factor_removed', userId: session.userId, ip: request.ip, details: { kinds: 'totp recovery_codes', by: 'user' } });
      return [];
    }
    const fresh = await regenerateRecoveryCodes(trx, session.userId, now);
    await recordAudit(trx, request.log, { type: 'recovery_codes_generated', userId: session.userId, ip: request.ip, details: { by: 'user' } });
    return fresh;
  });
  if (!codes) return backToAccount(reply);
  if (what === 'remove') return backToAccount(reply, 'totp_removed');
  const ui = pageUi(request);
  return sendHtml(reply, 200, recoveryCodesPage(ui, { codes, heading: ui.t.newRecoveryCodesTitle, continueHref: '/account', continueLabel: ui.t.done }));
}

export const totpSection: AccountSection = {
  id: 'second-factor',
  async render(context, { ui: { t }, session }) {
    const totp = await findTotp(context.deps.db, session.userId);
    if (!totp?.confirmedAt) {
      return html`<section id="second-factor">
<h2>${t.twoStepTitle}</h2>
<p>${t.twoStepOff}</p>
<a class="button" href="${SETUP}">${t.setUpAuthenticator}</a>
</section>`;
    }
    const codes = await summariseRecoveryCodes(context.deps.db, session.userId);
    return html`<section id="second-factor">
<h2>${t.twoStepTitle}</h2>
<p>${t.authenticatorOnSince(dateText(totp.confirmedAt, t.never), dateText(totp.lastUsedAt, t.never))}</p>
<p>${t.recoveryCodesLeft(codes.remaining, codes.total)}</p>
<p><a href="${NEW_CODES}">${t.makeNewRecoveryCodes}</a> · <a href="${REMOVE}">${t.removeAuthenticator}</a></p>
</section>`;
  },
  registerRoutes(app, context) {
    const limiters = perMinuteLimiter(app, 'account-totp-ip', context.settings.rateLimits.loginPerMinute, (request) => request.ip, tooManyRequestsPage);
    app.get(SETUP, (request, reply) => showSetup(context, request, reply, requestIdOf((request.query as Record<string, unknown>).request_id)));
    app.post(SETUP, { preHandler: limiters }, (request, reply) => confirmSetup(context, request, reply));
    app.get(REMOVE, (request, reply) => confirmPage(context, request, reply, 'remove'));
    app.post(REMOVE, (request, reply) => applyChange(context, request, reply, 'remove'));
    app.get(NEW_CODES, (request, reply) => confirmPage(context, request, reply, 'codes'));
    app.post(NEW_CODES, (request, reply) => applyChange(context, request, reply, 'codes'));
  },
};
