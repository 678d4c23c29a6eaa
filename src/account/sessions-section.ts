import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import { endOwnSession, listUserSessions } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import { withTransaction } from '../db/transaction.js';
import type { StepContext } from '../login/step.js';
import { forbiddenPage, formParams } from '../login/step-pages.js';
import { sendErrorPage } from '../pages/error-page.js';
import { html } from '../pages/html.js';
import type { Messages } from '../pages/messages/index.js';
import { findGrantOwner, listUserFamilies, revokeGrant } from '../tokens/grant-store.js';
import { accountSession } from './guard.js';
import { backToAccount } from './notices.js';
import { hiddenCsrf } from './pages.js';
import type { AccountSection, AccountView } from './section.js';

const END = '/account/sessions/end';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function when(date: Date): string {
  return new Date(date).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function endButton(t: Messages, csrfToken: string, name: 'session_id' | 'grant_id', id: string, label: string) {
  return html`<form class="inline" method="post" action="${END}">${hiddenCsrf(csrfToken)}<input type="hidden" name="${name}" value="${id}"><button type="submit" class="secondary" aria-label="${label}">${t.endButton}</button></form>`;
}

async function render(context: StepContext, { ui: { t }, session, csrfToken, now }: AccountView) {
  const { deps } = context;
  const idleMs = context.sessionLifetimes.idleSeconds * 1000;
  const sessions = (await listUserSessions(deps.db, session.userId)).filter(
    (s) => s.endedAt === null && s.expiresAt.getTime() > now.getTime() && now.getTime() - s.lastSeenAt.getTime() < idleMs,
  );
  const families = (await listUserFamilies(deps.db, session.userId)).filter((f) => f.revokedAt === null && f.expiresAt.getTime() > now.getTime());
  const names = new Map<string, string>();
  for (const family of families) if (!names.has(family.clientId)) names.set(family.clientId, (await deps.clients.find(family.clientId))?.name ?? family.clientId);
  return html`<section id="sessions">
<h2>${t.sessionsHeading}</h2>
<h3>${t.browsersHeading}</h3>
<table>
<thead><tr><th scope="col">${t.browserColumn}</th><th scope="col">${t.signedInColumn}</th><th scope="col">${t.lastUsedColumn}</th><th scope="col"><span class="visually-hidden">${t.actionColumn}</span></th></tr></thead>
<tbody>${sessions.map(
    (s) => html`<tr><td class="agent">${s.userAgent ?? t.unknownBrowser}${s.id === session.id ? html` <strong>${t.thisBrowser}</strong>` : ''}</td><td>${when(s.createdAt)}</td><td>${when(s.lastSeenAt)}</td><td class="action">${endButton(t, csrfToken, 'session_id', s.id, t.endBrowserSession)}</td></tr>`,
  )}</tbody>
</table>
<h3>${t.appsHeading}</h3>
${
  families.length === 0
    ? html`<p class="hint">${t.noApps}</p>`
    : html`<table>
<thead><tr><th scope="col">${t.appColumn}</th><th scope="col">${t.sinceColumn}</th><th scope="col">${t.lastUsedColumn}</th><th scope="col"><span class="visually-hidden">${t.actionColumn}</span></th></tr></thead>
<tbody>${families.map(
        (f) => html`<tr><td><strong>${names.get(f.clientId)}</strong><br><span class="hint">${f.userAgent ?? ''}</span></td><td>${when(f.createdAt)}</td><td>${when(f.lastUsedAt)}</td><td class="action">${endButton(t, csrfToken, 'grant_id', f.id, t.signAppOut(names.get(f.clientId) ?? ''))}</td></tr>`,
      )}</tbody>
</table>`
}
</section>`;
}

function notFound(reply: FastifyReply) {
  return sendErrorPage(reply, 404, 'sessionNotFound');
}

/** POST /account/sessions/end: one of the user's own browser sessions or refresh families; never anyone else's. */
async function endOne(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const { deps, cookies } = context;
  const form = formParams(request);
  if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const access = await accountSession(context, request, reply, '/account');
  if (!access.ok) return access.reply;
  const { session } = access;
  const now = nowDate(deps);
  const sessionId = form.session_id;
  const grantId = form.grant_id;
  if ((sessionId === undefined) === (grantId === undefined)) return sendErrorPage(reply, 400, 'badRequest', { detail: 'name exactly one of session_id and grant_id' });
  const id = (sessionId ?? grantId)!;
  if (!UUID.test(id)) return notFound(reply);
  const ended = await withTransaction(deps.db, async (trx) => {
    if (sessionId !== undefined) {
      if (!(await endOwnSession(trx, session.userId, sessionId, now))) return false;
    } else {
      const owner = await findGrantOwner(trx, id);
      if (owner?.userId !== session.userId) return false;
      if (!(await revokeGrant(trx, id, 'ended by the user', now))) return false;
    }
    await recordAudit(trx, request.log, { type: 'session_ended', userId: session.userId, ip: request.ip, details: sessionId !== undefined ? { sessionId } : { grantId: id } });
    return true;
  });
  if (!ended) return notFound(reply);
  if (sessionId === session.id) {
    cookies.clearSession(reply);
    return reply.redirect('/account', 303);
  }
  return backToAccount(reply, 'session_ended');
}

export const sessionsSection: AccountSection = {
  id: 'sessions',
  render,
  registerRoutes(app, context) {
    app.post(END, (request, reply) => endOne(context, request, reply));
  },
};
