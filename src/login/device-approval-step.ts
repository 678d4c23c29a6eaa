import type { FastifyReply, FastifyRequest } from 'fastify';
import { findActiveSession, type ActiveSession } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import type { Client } from '../clients/store.js';
import type { FinalStep } from '../oauth/authorize/final-step.js';
import { finalStepFor } from '../oauth/authorize/final-steps.js';
import type { Check } from '../oauth/authorize/prompt.js';
import { findPendingRequest } from '../oauth/authorize/request-store.js';
import { resumeSignIn } from '../oauth/authorize/route.js';
import type { DeviceSignInRequest } from '../oauth/device/approval.js';
import { DEVICE_CODE_GRANT_TYPE } from '../oauth/device/grant-type.js';
import { deviceApprovalPage, deviceCodeUnusablePage } from '../oauth/device/pages.js';
import { findPendingByUserCode } from '../oauth/device/store.js';
import { sendHtml } from '../pages/send-html.js';
import { pageUi } from '../pages/ui.js';
import { findUserById } from '../users/store.js';
import type { SignInStep, StepContext } from './step.js';
import { backToTheLoop, expiredPage, formParams, forbiddenPage } from './step-pages.js';

const DEVICE_APPROVAL = 'device_approval';
const DEVICE_APPROVAL_PATH = '/device/approve';

/**
 * RFC 8628 3.3 and 5.4: a device sign-in always ends on this page, after login and consent, even
 * for a first-party client and a fresh login: the user compares the code with the device in front
 * of them and says Allow or Deny. It asks nothing of any other kind of sign-in.
 */
export const DEVICE_APPROVAL_CHECKS: readonly Check[] = [
  {
    reason: 'device_not_approved',
    error: 'interaction_required',
    description: 'the user must approve the device',
    applies: (state) => state.kind === DEVICE_CODE_GRANT_TYPE && state.completedNow !== DEVICE_APPROVAL,
  },
];

type ApprovalContext =
  | { status: 'expired' }
  /** No session (any more): the loop sends the browser to the login page first. */
  | { status: 'sign_in'; requestId: string }
  /** The client shrank since the request was parked: the loop refuses it. */
  | { status: 'refused'; requestId: string }
  /** The code expired or was answered meanwhile (e.g. in another tab). */
  | { status: 'unusable' }
  | { status: 'ready'; id: string; request: DeviceSignInRequest; session: ActiveSession; client: Client; final: FinalStep };

async function approvalContext(context: StepContext, request: FastifyRequest, requestId: unknown): Promise<ApprovalContext> {
  const { deps, cookies } = context;
  const now = nowDate(deps);
  const pending = await findPendingRequest(deps.db, requestId, now);
  const final = pending && pending.kind === DEVICE_CODE_GRANT_TYPE ? finalStepFor(pending.kind) : undefined;
  if (!pending || !final) return { status: 'expired' };
  const client = await deps.clients.find(pending.request.clientId);
  if (!client) return { status: 'expired' };
  const session = await findActiveSession(deps.db, cookies.readSession(request), now, context.sessionLifetimes);
  if (!session) return { status: 'sign_in', requestId: pending.id };
  const rechecked = final.recheck(pending.request, client);
  if (!rechecked.ok) return { status: 'refused', requestId: pending.id };
  const device = rechecked.request as DeviceSignInRequest;
  const live = await findPendingByUserCode(deps.db, device.userCode, now);
  if (!live || live.id !== device.deviceAuthorizationId) return { status: 'unusable' };
  return { status: 'ready', id: pending.id, request: device, session, client, final };
}

/** What every answer but 'ready' sends the browser. */
function notReady(context: StepContext, found: Exclude<ApprovalContext, { status: 'ready' }>, request: FastifyRequest, reply: FastifyReply) {
  switch (found.status) {
    case 'expired':
      return expiredPage(reply);
    case 'sign_in':
      return backToTheLoop(reply, found.requestId);
    case 'refused':
      return resumeSignIn(context, found.requestId, request, reply);
    case 'unusable':
      return sendHtml(reply, 400, deviceCodeUnusablePage(pageUi(request)));
  }
}

async function showApproval(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const found = await approvalContext(context, request, (request.query as Record<string, unknown>).request_id);
  if (found.status !== 'ready') return notReady(context, found, request, reply);
  const user = await findUserById(context.deps.db, found.session.userId);
  const body = deviceApprovalPage(pageUi(request), {
    csrfToken: context.cookies.csrfToken(request, reply),
    requestId: found.id,
    userCode: found.request.userCode,
    clientName: found.client.name,
    scope: found.request.scope,
    username: user?.username,
    action: DEVICE_APPROVAL_PATH,
  });
  return sendHtml(reply, 200, body, found.final.formActionTarget(found.request));
}

async function submitApproval(context: StepContext, request: FastifyRequest, reply: FastifyReply) {
  const form = formParams(request);
  if (!context.cookies.csrfValid(request, form.csrf_token)) return forbiddenPage(reply);
  const found = await approvalContext(context, request, form.request_id);
  if (found.status !== 'ready') return notReady(context, found, request, reply);
  if (form.decision !== 'allow') {
    return found.final.refuse(context.deps, found.request, { redirectable: true, error: 'access_denied', description: 'the user denied the request' }, reply, 303);
  }
  // In-process, so that the loop knows this approval was just given and runs the final step.
  return resumeSignIn(context, found.id, request, reply, { completedNow: DEVICE_APPROVAL });
}

/** The user allows or denies a device (GET/POST /device/approve); registered after consent. */
export const deviceApprovalStep: SignInStep = {
  name: DEVICE_APPROVAL,
  path: DEVICE_APPROVAL_PATH,
  checks: DEVICE_APPROVAL_CHECKS,
  registerPage(app, context) {
    app.get(DEVICE_APPROVAL_PATH, (request, reply) => showApproval(context, request, reply));
    app.post(DEVICE_APPROVAL_PATH, (request, reply) => submitApproval(context, request, reply));
  },
};
