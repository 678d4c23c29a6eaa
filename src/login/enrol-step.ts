import { pageUi } from '../pages/ui.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findActiveSession } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import { finalStepFor, signInClient } from '../oauth/authorize/final-steps.js';
import type { Check } from '../oauth/authorize/prompt.js';
import { findPendingRequest } from '../oauth/authorize/request-store.js';
import { sendHtml } from '../pages/send-html.js';
import { LOA_2 } from '../users/assurance.js';
import { SECOND_FACTOR_METHODS } from './second-factor-methods.js';
import { enrolPage } from './second-factor-pages.js';
import { belowLevelTwo, requiredLevel } from './second-factor-step.js';
import type { SignInStep, StepContext } from './step.js';
import { backToTheLoop, expiredPage } from './step-pages.js';

export const ENROL_PATH = '/login/enrol';

/**
 * The sign-in needs level 2 (acr_values, or a client registered with --require-mfa) and the user
 * has no second factor: they are led to set one up on /account, and the sign-in continues from
 * there. prompt=none cannot do that: unmet_authentication_requirements (OpenID Connect Core 1.0
 * errata set 2, 3.1.2.6). A user who has a factor was asked for it by the second-factor step,
 * which comes first.
 */
export const ENROL_CHECKS: readonly Check[] = [
  {
    reason: 'second_factor_not_enrolled',
    error: 'unmet_authentication_requirements',
    description: 'this sign-in needs a second factor and the user has none',
    applies: async (state) => state.session !== undefined && requiredLevel(state) === LOA_2 && belowLevelTwo(state.session),
  },
];

async function showEnrolment(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const { deps, cookies } = context;
  const now = nowDate(deps);
  const pending = await findPendingRequest(deps.db, (request.query as Record<string, unknown>).request_id, now);
  const final = pending && finalStepFor(pending.kind);
  if (!pending || !final) return expiredPage(reply);
  const client = await signInClient(deps, final, pending.request.clientId);
  if (!client) return expiredPage(reply);
  const session = await findActiveSession(deps.db, cookies.readSession(request), now, context.sessionLifetimes);
  // Signed out meanwhile, or enrolled already (in another tab): the loop knows what is next.
  if (!session || !belowLevelTwo(session)) return backToTheLoop(reply, pending.id);
  const ui = pageUi(request);
  const options = SECOND_FACTOR_METHODS.map((method) => method.enrolment(ui.t, pending.id));
  return sendHtml(reply, 200, enrolPage(ui, { clientName: client.name, options }));
}

/** GET /login/enrol: why a second factor is needed, and the ways to set one up. */
export const enrolStep: SignInStep = {
  name: 'second_factor_enrolment',
  path: ENROL_PATH,
  checks: ENROL_CHECKS,
  registerPage(app, context) {
    app.get(ENROL_PATH, (request, reply) => showEnrolment(context, request, reply));
  },
};
