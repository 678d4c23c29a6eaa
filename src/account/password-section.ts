import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import { endOtherSessions } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import { withTransaction } from '../db/transaction.js';
import { perMinuteLimiter } from '../http/rate-limits.js';
import { attemptLogin } from '../login/login-attempt.js';
import type { StepContext } from '../login/step.js';
import { forbiddenPage, formParams } from '../login/step-pages.js';
import { html } from '../pages/html.js';
import { pageUi } from '../pages/ui.js';
import { tooManyRequestsPage } from '../pages/too-many-requests.js';
import { revokeGrantsOf } from '../tokens/grant-store.js';
import { passwordSchema } from '../users/schema.js';
import { newPasswordIssue, PASSWORD_MAX_LENGTH } from '../users/password-policy.js';
import { findUserById, hashedPassword, updateUser } from '../users/store.js';
import { accountSession } from './guard.js';
import { backToAccount } from './notices.js';
import { hiddenCsrf } from './pages.js';
import type { AccountSection, OverviewRenderer } from './section.js';

const PATH = '/account/password';

/**
 * POST /account/password: the current password (checked as at sign-in, with the same lockout and
 * limits), then the new one; every other browser session and every refresh family of the user
 * ends in the same transaction, this browser stays signed in.
 */
async function changePassword(context: StepContext, overview: OverviewRenderer, request: FastifyRequest, reply: FastifyReply) {
  const { deps, cookies, settings } = context;
  const form = formParams(request);
  if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const access = await accountSession(context, request, reply, '/account');
  if (!access.ok) return access.reply;
  const { session } = access;
  const user = await findUserById(deps.db, session.userId);
  if (!user) return backToAccount(reply);
  const { t } = pageUi(request);
  const fail = (error: string) => overview(request, reply, session, { status: 400, error });
  const candidate = form.new_password ?? '';
  // The one rule for a password being set (users/password-policy.ts): PASSWORD_MIN_LENGTH and the maximum.
  const issue = newPasswordIssue(candidate, { minLength: deps.config.PASSWORD_MIN_LENGTH }) ?? (passwordSchema.safeParse(candidate).success ? undefined : { kind: 'too_long' as const, limit: PASSWORD_MAX_LENGTH });
  if (issue) return fail(t.newPasswordUnusable(issue));
  if (form.new_password !== form.new_password_confirm) return fail(t.newPasswordMismatch);
  const now = nowDate(deps);
  const checked = await attemptLogin(deps.db, { username: user.username, password: (form.current_password ?? '').slice(0, 1024), device: undefined, now }, settings.lockout);
  if (!checked.ok || checked.user.id !== user.id) {
    await deps.audit.record(request.log, { type: 'login_failed', userId: user.id, ip: request.ip, details: { reason: 'bad_password', at: 'account_password' } });
    return fail(t.currentPasswordWrong);
  }
  const passwordHash = await hashedPassword(candidate);
  await withTransaction(deps.db, async (trx) => {
    await updateUser(trx, user.id, { passwordHash }, now);
    const revokedFamilies = await revokeGrantsOf(trx, { userId: user.id }, 'password changed by the user', now);
    const endedSessions = await endOtherSessions(trx, user.id, session.id, now);
    await recordAudit(trx, request.log, {
      type: 'password_changed',
      userId: user.id,
      ip: request.ip,
      details: { revoked_families: revokedFamilies, ended_sessions: endedSessions, sessionId: session.id },
    });
  });
  return backToAccount(reply, 'password_changed');
}

export const passwordSection: AccountSection = {
  id: 'password',
  render: (_context, { ui: { t }, csrfToken }) => html`<section id="password">
<h2>${t.passwordHeading}</h2>
<form method="post" action="${PATH}" novalidate>
${hiddenCsrf(csrfToken)}
<label for="current_password">${t.currentPassword}</label>
<input type="password" id="current_password" name="current_password" autocomplete="current-password" required>
<label for="new_password">${t.newPassword}</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" required>
<label for="new_password_confirm">${t.newPasswordAgain}</label>
<input type="password" id="new_password_confirm" name="new_password_confirm" autocomplete="new-password" required>
<p class="hint">${t.passwordChangeHint}</p>
<button type="submit">${t.changePasswordButton}</button>
</form>
</section>`,
  registerRoutes(app, context, overview) {
    const limiters = perMinuteLimiter(app, 'account-password-ip', context.settings.rateLimits.loginPerMinute, (request) => request.ip, tooManyRequestsPage);
    app.post(PATH, { preHandler: limiters }, (request, reply) => changePassword(context, overview, request, reply));
  },
};
