import { pageUi } from '../pages/ui.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/record.js';
import { addSessionFactors, findActiveSession, type ActiveSession } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import type { Client } from '../clients/store.js';
import type { Trx } from '../db/queryable.js';
import { withTransaction } from '../db/transaction.js';
import { perMinuteLimiter } from '../http/rate-limits.js';
import { verifySecondFactor } from '../mfa/verify.js';
import type { FinalStep } from '../oauth/authorize/final-step.js';
import { finalStepFor, signInClient } from '../oauth/authorize/final-steps.js';
import type { Check, SignInState } from '../oauth/authorize/prompt.js';
import { findPendingRequest, type PendingRequest } from '../oauth/authorize/request-store.js';
import { sendHtml } from '../pages/send-html.js';
import { tooManyRequestsPage } from '../pages/too-many-requests.js';
import { acrFor, AMR, demandedLevel, LOA_2, meetsLevel, type AssuranceLevel } from '../users/assurance.js';
import { enrolledFactorKinds } from '../users/second-factors.js';
import { findUserById } from '../users/store.js';
import { SECOND_FACTOR_METHODS } from './second-factor-methods.js';
import { secondFactorPage } from './second-factor-pages.js';
import type { SignInStep, StepContext } from './step.js';
import { backToTheLoop, expiredPage, formParams, forbiddenPage } from './step-pages.js';

const SECOND_FACTOR = 'second_factor';
export const SECOND_FACTOR_PATH = '/login/second-factor';

/** The level this sign-in must reach: level 2 when the client requires it (--require-mfa) or acr_values ask for it. */
export function requiredLevel(state: Pick<SignInState, 'client' | 'request'>): AssuranceLevel | undefined {
  if (state.client.requireMfa) return LOA_2;
  return demandedLevel(state.request.acrValues);
}

/** The session has not reached level 2 (its amr has no second factor). */
export function belowLevelTwo(session: ActiveSession): boolean {
  return !meetsLevel(acrFor(session.amr), LOA_2);
}

/**
 * A user who has a second factor presents it on every sign-in, asked for or not: their password
 * alone does not sign them in (so a session at level 1 is also stepped up here, not asked for the
 * password again, when a request needs level 2). prompt=none answers login_required: the sign-in
 * is not complete. Runs after the login step, so there is a session.
 */
export const SECOND_FACTOR_CHECKS: readonly Check[] = [
  {
    reason: 'second_factor_pending',
    error: 'login_required',
    description: 'the user must present their second factor',
    applies: async ({ session, enrolledFactors }) => session !== undefined && belowLevelTwo(session) && (await enrolledFactors(session.userId)).length > 0,
  },
];

export type SecondFactorContext =
  | { status: 'expired' }
  /** No session (any more): the loop sends the browser to the login page. */
  | { status: 'sign_in'; requestId: string }
  /** Nothing to present here (already at level 2, or no factor): the loop decides what is next. */
  | { status: 'nothing_to_do'; requestId: string }
  | { status: 'ready'; pending: PendingRequest; session: ActiveSession; client: Client; final: FinalStep; kinds: string[] };

export async function secondFactorContext(context: StepContext, request: FastifyRequest, requestId: unknown): Promise<SecondFactorContext> {
  const { deps, cookies } = context;
  const now = nowDate(deps);
  const pending = await findPendingRequest(deps.db, requestId, now);
  const final = pending && finalStepFor(pending.kind);
  if (!pending || !final) return { status: 'expired' };
  const client = await signInClient(deps, final, pending.request.clientId);
  if (!client) return { status: 'expired' };
  const session = await findActiveSession(deps.db, cookies.readSession(request), now, context.sessionLifetimes);
  if (!session) return { status: 'sign_in', requestId: pending.id };
  const kinds = await enrolledFactorKinds(deps.db, session.userId);
  if (!belowLevelTwo(session) || kinds.length === 0) return { status: 'nothing_to_do', requestId: pending.id };
  return { status: 'ready', pending, session, client, final, kinds };
}

async function renderSecondFactor(context: StepContext, request: FastifyRequest, reply: FastifyReply, requestId: unknown, failed = false) {
  const found = await secondFactorContext(context, request, requestId);
  if (found.status === 'expired') return expiredPage(reply);
  if (found.status !== 'ready') return backToTheLoop(reply, found.requestId);
  const user = await findUserById(context.deps.db, found.session.userId);
  const ui = pageUi(request);
  // The one message for every refused code: it never says whether the code was wrong, used, or the account locked.
  const input = { ui, requestId: found.pending.id, csrfToken: context.cookies.csrfToken(request, reply), error: failed ? ui.t.secondFactorFailed : undefined };
  const sections = SECOND_FACTOR_METHODS.filter((method) => found.kinds.includes(method.kind)).map((method) => method.section(input));
  const body = secondFactorPage({ ...input, clientName: found.client.name, username: user?.username ?? '', sections });
  // Scripts: a passkey section runs the WebAuthn ceremony (Latchkey's own files only).
  return sendHtml(reply, failed ? 400 : 200, body, found.final.formActionTarget(found.pending.request), { scripts: true });
}

/**
 * What every second factor does once verified, inside the transaction that verified it: the
 * session gains the factor's amr values (and a new cookie value, set here), and the success is
 * audited with it. Passkeys call this too.
 */
export async function completeSecondFactor(
  context: StepContext,
  trx: Trx,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { session: ActiveSession; clientId: string; amr: string[]; method: string },
): Promise<boolean> {
  const upgraded = await addSessionFactors(trx, input.session.id, input.amr);
  if (!upgraded) return false;
  await recordAudit(trx, request.log, {
    type: 'second_factor_succeeded',
    userId: input.session.userId,
    clientId: input.clientId,
    ip: request.ip,
    details: { method: input.method, sessionId: input.session.id, amr: upgraded.amr.join(' ') },
  });
  context.cookies.setSession(reply, upgraded.cookieValue, context.settings.sessionLifetimes.absoluteSeconds);
  return true;
}

/** POST /login/second-factor: the `otp` field (a TOTP code or a recovery code). */
async function submitOtp(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const { deps, cookies, settings } = context;
  const form = formParams(request);
  if (!cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const found = await secondFactorContext(context, request, form.request_id);
  if (found.status === 'expired') return expiredPage(reply);
  if (found.status !== 'ready') return backToTheLoop(reply, found.requestId);
  const { session, pending } = found;
  const now = nowDate(deps);
  const accepted = await withTransaction(deps.db, async (trx) => {
    const outcome = await verifySecondFactor(trx, settings.secondFactors, { userId: session.userId, otp: form.otp ?? '', now });
    if (!outcome.ok) {
      await recordAudit(trx, request.log, {
        type: 'second_factor_failed',
        userId: session.userId,
        clientId: pending.request.clientId,
        ip: request.ip,
        details: { reason: outcome.reason, sessionId: session.id },
      });
      return false;
    }
    return completeSecondFactor(context, trx, request, reply, { session, clientId: pending.request.clientId, amr: [AMR.oneTimePassword], method: outcome.method });
  });
  if (!accepted) return renderSecondFactor(context, request, reply, pending.id, true);
  return backToTheLoop(reply, pending.id);
}

/** The second factor after the password: a TOTP code or a recovery code (GET/POST /login/second-factor). */
export const secondFactorStep: SignInStep = {
  name: SECOND_FACTOR,
  path: SECOND_FACTOR_PATH,
  checks: SECOND_FACTOR_CHECKS,
  registerPage(app, context) {
    // Per IP as for passwords; per account, wrong codes count towards the account's lock (mfa/verify.ts).
    const limiters = perMinuteLimiter(app, 'second-factor-ip', context.settings.rateLimits.loginPerMinute, (request) => request.ip, tooManyRequestsPage);
    app.get(SECOND_FACTOR_PATH, (request, reply) => renderSecondFactor(context, request, reply, (request.query as Record<string, unknown>).request_id));
    app.post(SECOND_FACTOR_PATH, { preHandler: limiters }, (request, reply) => submitOtp(context, request, reply));
  },
};
