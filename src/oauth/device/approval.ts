import type { FastifyReply } from 'fastify';
import { recordAudit } from '../../audit/record.js';
import type { Client } from '../../clients/store.js';
import { nowDate } from '../../clock.js';
import { withTransaction } from '../../db/transaction.js';
import { sendErrorPage } from '../../pages/error-page.js';
import { sendHtml } from '../../pages/send-html.js';
import { pageUi } from '../../pages/ui.js';
import { finalStep, type Rechecked, type Refusal } from '../authorize/final-step.js';
import type { SignInRequest } from '../authorize/prompt.js';
import { deletePendingRequest } from '../authorize/request-store.js';
import type { OAuthDeps } from '../deps.js';
import { formatScope } from '../scopes.js';
import { DEVICE_CODE_GRANT_TYPE } from './grant-type.js';
import { deviceApprovedPage, deviceCodeUnusablePage, deviceDeniedPage } from './pages.js';
import { decideDeviceAuthorization } from './store.js';
import { scopesStillAllowed } from '../grants/user-grant-rules.js';

/** A user code, found pending at /device and parked while the user signs in (entry-routes.ts). */
export interface DeviceSignInRequest extends SignInRequest {
  clientId: string;
  /** The device authorization's scope, as the client may still have it. */
  scope: string;
  deviceAuthorizationId: string;
  /** As the device shows it (XXXX-XXXX): the approval page shows it to compare. */
  userCode: string;
}

/**
 * A parked device request measured against its client as it is now: the client must still be
 * registered for the device grant, and the scope keeps only what the client still has (nothing
 * left: refused). The device learns a refusal as access_denied when it polls.
 */
export function recheckDeviceRequest(request: DeviceSignInRequest, client: Client): Rechecked<DeviceSignInRequest> {
  if (!client.grantTypes.includes(DEVICE_CODE_GRANT_TYPE)) {
    return { ok: false, redirectable: true, error: 'unauthorized_client', description: 'this application may no longer connect devices' };
  }
  const remaining = scopesStillAllowed(request.scope, client);
  if (remaining.length === 0) return { ok: false, redirectable: true, error: 'invalid_scope', description: 'the requested access is no longer allowed for this application' };
  return { ok: true, request: { ...request, scope: formatScope(remaining) } };
}

/** The page a decision that did not count shows: the code expired, or was answered (in another tab). */
function unusable(reply: FastifyReply): FastifyReply {
  return sendHtml(reply, 400, deviceCodeUnusablePage(pageUi(reply.request)));
}

/**
 * Ends a device sign-in without tokens: the device authorization is denied (its device then gets
 * access_denied). The user's own "Deny" shows the result page; a request the client may no longer
 * make says why. Who refused is not known here (no session is handed to refuse): the audit event
 * names the client and the device authorization.
 */
async function refuse(deps: OAuthDeps, request: DeviceSignInRequest, refusal: Refusal, reply: FastifyReply): Promise<FastifyReply> {
  const reason = refusal.redirectable ? refusal.error : 'refused';
  const decided = await withTransaction(deps.db, async (trx) => {
    if (!(await decideDeviceAuthorization(trx, request.deviceAuthorizationId, { deny: true }, nowDate(deps)))) return false;
    await recordAudit(trx, reply.request.log, {
      type: 'device_authorization_denied',
      clientId: request.clientId,
      ip: reply.request.ip,
      details: { deviceAuthorizationId: request.deviceAuthorizationId, reason },
    });
    return true;
  });
  if (!decided) return unusable(reply);
  if (reason === 'access_denied') {
    const client = await deps.clients.find(request.clientId);
    return sendHtml(reply, 200, deviceDeniedPage(pageUi(reply.request), client?.name));
  }
  return sendErrorPage(reply, 400, 'deviceRefused', { detail: refusal.redirectable ? refusal.description : refusal.detail });
}

/**
 * RFC 8628 3.3: the final step of a device sign-in. Once every step is satisfied (the user signed
 * in, consented if the client is third-party, and said Allow on the approval page), the device
 * authorization is approved for this user and session, in one compare-and-set with its audit
 * event; the device gets its tokens at its next poll.
 */
export const deviceApproval = finalStep<DeviceSignInRequest>({
  kind: DEVICE_CODE_GRANT_TYPE,
  recheck: recheckDeviceRequest,
  // No redirect follows any page of a device sign-in: forms post to Latchkey only.
  formActionTarget: () => undefined,
  refuse,
  async complete(deps, { request, client, session, pendingId, now }, reply) {
    const approval = { approve: { userId: session.userId, sessionId: session.id, authTime: session.authTime, amr: session.amr } };
    const decided = await withTransaction(deps.db, async (trx) => {
      if (pendingId) await deletePendingRequest(trx, pendingId);
      if (!(await decideDeviceAuthorization(trx, request.deviceAuthorizationId, approval, now))) return false;
      await recordAudit(trx, reply.request.log, {
        type: 'device_authorization_approved',
        userId: session.userId,
        clientId: client.clientId,
        ip: reply.request.ip,
        details: { deviceAuthorizationId: request.deviceAuthorizationId, scope: request.scope },
      });
      return true;
    });
    if (!decided) return unusable(reply);
    return sendHtml(reply, 200, deviceApprovedPage(pageUi(reply.request), client.name));
  },
});
