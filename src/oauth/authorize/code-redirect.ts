import type { FastifyReply } from 'fastify';
import { sendErrorPage } from '../../pages/error-page.js';
import type { OAuthDeps } from '../deps.js';
import { issueCode } from './code-store.js';
import { withTransaction } from '../../db/transaction.js';
import { finalStep, type Refusal } from './final-step.js';
import { recheckParkedRequest } from './recheck.js';
import { deletePendingRequest } from './request-store.js';
import { authorizationResponseUrl, type ValidAuthorizationRequest } from './validate.js';

export const AUTHORIZATION_CODE_KIND = 'authorization_code';

export function errorRedirect(deps: OAuthDeps, request: Pick<ValidAuthorizationRequest, 'redirectUri' | 'state'>, error: string, description: string): string {
  return authorizationResponseUrl(request.redirectUri, deps.config.ISSUER, { error, error_description: description, state: request.state });
}

function refuse(deps: OAuthDeps, request: ValidAuthorizationRequest, refusal: Refusal, reply: FastifyReply, status: 302 | 303): FastifyReply {
  if (!refusal.redirectable) return sendErrorPage(reply, 400, refusal.page, { detail: refusal.detail });
  return reply.redirect(errorRedirect(deps, request, refusal.error, refusal.description), status);
}

/** The final step of the authorization code flow: back to the client with a code (RFC 6749 4.1.2). */
export const codeRedirect = finalStep<ValidAuthorizationRequest>({
  kind: AUTHORIZATION_CODE_KIND,
  recheck: recheckParkedRequest,
  formActionTarget: (request) => request.redirectUri,
  refuse,
  async complete(deps, { request, session, pendingId, now }, reply) {
    const code = await withTransaction(deps.db, async (trx) => {
      if (pendingId && !(await deletePendingRequest(trx, pendingId))) return undefined;
      return issueCode(
        trx,
        {
          clientId: request.clientId,
          userId: session.userId,
          sessionId: session.id,
          redirectUri: request.redirectUri,
          redirectUriGiven: request.redirectUriGiven !== false,
          scope: request.scope,
          audience: request.audience,
          nonce: request.nonce,
          codeChallenge: request.codeChallenge,
          authTime: session.authTime,
          amr: session.amr,
          dpopJkt: request.dpopJkt,
        },
        now,
      );
    });
    // Another request finished (or refused) this sign-in first: it delivered the one answer.
    if (code === undefined) return sendErrorPage(reply, 400, 'expired', { detail: 'the parked request was finished by another request' });
    return reply.redirect(authorizationResponseUrl(request.redirectUri, deps.config.ISSUER, { code, state: request.state }), 302);
  },
});
