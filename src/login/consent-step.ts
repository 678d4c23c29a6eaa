import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import { recordConsent } from '../browser/consent-store.js';
import { endSession, findActiveSession, type ActiveSession } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import type { Client } from '../clients/store.js';
import type { FinalStep } from '../oauth/authorize/final-step.js';
import { finalStepFor } from '../oauth/authorize/final-steps.js';
import type { Check } from '../oauth/authorize/prompt.js';
import { deletePendingRequest, findPendingRequest, type PendingRequest } from '../oauth/authorize/request-store.js';
import { resumeSignIn } from '../oauth/authorize/route.js';
import { parseScope } from '../oauth/scopes.js';
import { sendHtml } from '../pages/send-html.js';
import { pageUi } from '../pages/ui.js';
import { findUserById } from '../users/store.js';
import { consentPage, SWITCH_ACCOUNT_PATH } from './pages.js';
import type { SignInStep, StepContext } from './step.js';
import { backToTheLoop, expiredPage, formParams, forbiddenPage } from './step-pages.js';
import { withTransaction } from '../db/transaction.js';

const CONSENT = 'consent';
const consentRequired = { error: 'consent_required', description: 'the user must consent' };

/** Both run after the login prompt is satisfied, so there is a session. */
export const CONSENT_CHECKS: readonly Check[] = [
  { reason: 'consent_prompt', ...consentRequired, applies: (state) => state.request.prompt === 'consent' && state.completedNow !== CONSENT },
  {
    // First-party clients are trusted with their scopes; a third-party client needs the user's
    // yes once per scope, remembered per user and client.
    reason: 'scopes_not_granted',
    ...consentRequired,
    applies: async (state) => state.client.thirdParty && state.completedNow !== CONSENT && state.session !== undefined && !(await state.rememberedConsent(state.session.userId)),
  },
];

type ConsentContext =
  | { status: 'expired' }
  /** The client shrank since the request was parked: the loop refuses it (never a redirect to a removed URI). */
  | { status: 'refused'; requestId: string }
  | { status: 'ready'; pending: PendingRequest; session: ActiveSession; client: Client; final: FinalStep };

async function consentContext(context: StepContext, request: FastifyRequest, requestId: unknown): Promise<ConsentContext> {
  const { deps, cookies } = context;
  const now = nowDate(deps);
  const pending = await findPendingRequest(deps.db, requestId, now);
  const final = pending && finalStepFor(pending.kind);
  if (!pending || !final) return { status: 'expired' };
  const session = await findActiveSession(deps.db, cookies.readSession(request), now, context.sessionLifetimes);
  const client = await deps.clients.find(pending.request.clientId);
  if (!session || !client) return { status: 'expired' };
  // Ask only for what the client still has; anything worse is the loop's to refuse.
  const rechecked = final.recheck(pending.request, client);
  if (!rechecked.ok) return { status: 'refused', requestId: pending.id };
  return { status: 'ready', pending: { ...pending, request: rechecked.request }, session, client, final };
}

async function showConsent(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const found = await consentContext(context, request, (request.query as Record<string, unknown>).request_id);
  if (found.status === 'expired') return expiredPage(reply);
  if (found.status === 'refused') return resumeSignIn(context, found.requestId, request, reply);
  const user = await findUserById(context.deps.db, found.session.userId);
  const destination = found.final.formActionTarget(found.pending.request);
  const body = consentPage(pageUi(request), {
    requestId: found.pending.id,
    csrfToken: context.cookies.csrfToken(request, reply),
    clientName: found.client.name,
    username: user?.username ?? '',
    scopes: parseScope(found.pending.request.scope),
    destinationHost: destination === undefined ? undefined : hostOf(destination),
  });
  return sendHtml(reply, 200, body, destination);
}

/** What the person recognises of a redirect URI: its host, or the app's scheme for a native app (com.example.app:/cb). */
function hostOf(uri: string): string {
  const url = new URL(uri);
  return url.host || url.protocol.replace(/:$/, '');
}

/**
 * POST /consent/switch-account ("not you?"): ends this browser's session, as a sign-out does, and
 * hands the same parked request back to the loop, whose first step is then the login page;
 * whoever signs in there answers the consent. A form with the CSRF token (a plain link would let any site sign people out).
 */
async function switchAccount(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const { deps, cookies } = context;
  const form = formParams(request);
  if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const now = nowDate(deps);
  const pending = await findPendingRequest(deps.db, form.request_id, now);
  if (!pending) return expiredPage(reply);
  const session = await findActiveSession(deps.db, cookies.readSession(request), now, context.sessionLifetimes);
  if (session) {
    await withTransaction(deps.db, async (trx) => {
      await endSession(trx, session.id, now);
      await recordAudit(trx, request.log, { type: 'logout', userId: session.userId, clientId: pending.request.clientId, ip: request.ip, details: { sessionId: session.id, reason: 'switch_account' } });
    });
  }
  cookies.clearSession(reply);
  // Without a session the loop's first step is the login page, for this same request.
  return backToTheLoop(reply, pending.id);
}

async function submitConsent(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const { deps, cookies } = context;
  const form = formParams(request);
  if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const found = await consentContext(context, request, form.request_id);
  if (found.status === 'expired') return expiredPage(reply);
  if (found.status === 'refused') return resumeSignIn(context, found.requestId, request, reply);
  const { pending, session, client, final } = found;
  if (form.decision !== 'allow') {
    // The refusal ends the request: a later Allow with the same request_id finds nothing to finish.
    if (!(await deletePendingRequest(deps.db, pending.id))) return expiredPage(reply);
    return final.refuse(deps, pending.request, { redirectable: true, error: 'access_denied', description: 'the user denied the request' }, reply, 303);
  }
  await withTransaction(deps.db, async (trx) => {
    await recordConsent(trx, session.userId, client.clientId, parseScope(pending.request.scope), nowDate(deps));
    await recordAudit(trx, request.log, {
      type: 'consent_given',
      userId: session.userId,
      clientId: client.clientId,
      ip: request.ip,
      details: { scope: pending.request.scope },
    });
  });
  // In-process: a prompt=consent request must not ask again for the yes just given.
  return resumeSignIn(context, pending.id, request, reply, { completedNow: CONSENT });
}

/** The user allows the client the requested scopes (GET/POST /consent). */
export const consentStep: SignInStep = {
  name: CONSENT,
  path: '/consent',
  checks: CONSENT_CHECKS,
  registerPage(app, context) {
    app.get('/consent', (request, reply) => showConsent(context, request, reply));
    app.post('/consent', (request, reply) => submitConsent(context, request, reply));
    app.post(SWITCH_ACCOUNT_PATH, (request, reply) => switchAccount(context, request, reply));
  },
};
