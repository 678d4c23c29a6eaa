import { pageUi } from '../pages/ui.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ActiveSession } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import type { StepContext } from '../login/step.js';
import { sendHtml } from '../pages/send-html.js';
import { findUserById } from '../users/store.js';
import { accountSession } from './guard.js';
import { noticeFor } from './notices.js';
import { accountOverviewPage } from './pages.js';
import type { OverviewRenderer } from './section.js';
import { ACCOUNT_SECTIONS } from './sections.js';

/**
 * The self-service pages (/account): a signed-in user changes their password, turns second
 * factors on and off, and ends their own sessions. Plain forms (no script), each POST checked
 * against the CSRF cookie. Shares the sign-in's context (login/routes.ts builds it).
 */
export function registerAccountRoutes(app: FastifyInstance, context: StepContext): void {
  const overview: OverviewRenderer = async (request, reply, session, options) => renderOverview(context, request, reply, session, options);
  app.get('/account', async (request, reply) => {
    const access = await accountSession(context, request, reply, '/account');
    if (!access.ok) return access.reply;
    return overview(request, reply, access.session, { status: 200, notice: noticeFor(pageUi(request).t, (request.query as Record<string, unknown>).notice) });
  });
  for (const section of ACCOUNT_SECTIONS) section.registerRoutes(app, context, overview);
}

async function renderOverview(context: StepContext, request: FastifyRequest, reply: FastifyReply, session: ActiveSession, options: { status: number; error?: string; notice?: string }) {
  const { deps } = context;
  const user = await findUserById(deps.db, session.userId);
  if (!user) return reply.redirect('/account', 303);
  const ui = pageUi(request);
  const view = { ui, session, user, csrfToken: context.cookies.csrfToken(request, reply), now: nowDate(deps) };
  const sections = await Promise.all(ACCOUNT_SECTIONS.map((section) => section.render(context, view)));
  return sendHtml(reply, options.status, accountOverviewPage(ui, { username: user.username, notice: options.notice, error: options.error, sections }));
}
