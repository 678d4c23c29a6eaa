import type { FastifyReply } from 'fastify';
import type { Client } from '../../clients/store.js';
import { hasConsent } from '../../browser/consent-store.js';
import type { ActiveSession } from '../../browser/session-store.js';
import { nowDate, type OAuthDeps } from '../deps.js';
import { parseScope } from '../scopes.js';
import { issueCode } from './code-store.js';
import { deletePendingRequest, savePendingRequest } from './request-store.js';
import { authorizationResponseUrl, type ValidAuthorizationRequest } from './validate.js';

export interface FlowState {
  request: ValidAuthorizationRequest;
  client: Client;
  session: ActiveSession | undefined;
  /** Set when resuming a parked request: its id, when it was parked, and the session logged in for it. */
  pending?: { id: string; createdAt: Date; loginSessionId?: string | null };
  /** The user has just said yes on the consent page for this request. */
  consentedNow?: boolean;
}

function needsLogin({ request, session, pending }: FlowState, now: Date): boolean {
  if (!session) return true;
  // A login made for this very request satisfies prompt=login and any max_age (OIDC Core 3.1.2.1):
  // asking again would loop for ever with max_age=0. It is bound to the session, not to a
  // timestamp, so a login for another request (or clocks that differ between instances) cannot
  // stand in for it.
  if (pending?.loginSessionId === session.id) return false;
  if (request.prompt === 'login') return true;
  if (request.maxAge !== undefined && now.getTime() - session.authTime.getTime() > request.maxAge * 1000) return true;
  return false;
}

async function needsConsent(deps: OAuthDeps, state: FlowState, userId: string): Promise<boolean> {
  if (state.consentedNow) return false;
  if (!state.client.thirdParty && state.request.prompt !== 'consent') return false;
  if (state.request.prompt === 'consent') return true;
  return !(await hasConsent(deps.db, userId, state.client.clientId, parseScope(state.request.scope)));
}

export function errorRedirect(deps: OAuthDeps, request: Pick<ValidAuthorizationRequest, 'redirectUri' | 'state'>, error: string, description: string): string {
  return authorizationResponseUrl(request.redirectUri, deps.config.ISSUER, { error, error_description: description, state: request.state });
}

/**
 * Decides where the browser goes next for a valid /authorize request: the login page, the
 * consent page, or back to the client with a code (or a prompt=none error).
 */
export async function nextStep(deps: OAuthDeps, state: FlowState, reply: FastifyReply): Promise<FastifyReply> {
  const now = nowDate(deps);
  const { request } = state;
  const park = async () => state.pending?.id ?? (await savePendingRequest(deps.db, request, now));

  if (needsLogin(state, now)) {
    if (request.prompt === 'none') return reply.redirect(errorRedirect(deps, request, 'login_required', 'the user must log in'), 302);
    return reply.redirect(`/login?request_id=${await park()}`, 303);
  }
  const session = state.session!;
  if (await needsConsent(deps, state, session.userId)) {
    if (request.prompt === 'none') return reply.redirect(errorRedirect(deps, request, 'consent_required', 'the user must consent'), 302);
    return reply.redirect(`/consent?request_id=${await park()}`, 303);
  }

  const code = await issueCode(
    deps.db,
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
    },
    now,
  );
  if (state.pending) await deletePendingRequest(deps.db, state.pending.id);
  return reply.redirect(authorizationResponseUrl(request.redirectUri, deps.config.ISSUER, { code, state: request.state }), 302);
}
