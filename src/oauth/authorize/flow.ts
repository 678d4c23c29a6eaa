import type { FastifyReply } from 'fastify';
import { hasConsent } from '../../browser/consent-store.js';
import type { ActiveSession } from '../../browser/session-store.js';
import type { Client } from '../../clients/store.js';
import type { OAuthDeps } from '../deps.js';
import { parseScope } from '../scopes.js';
import { enrolledFactorKinds } from '../../users/second-factors.js';
import type { FinalStep } from './final-step.js';
import { firstUnmetPrompt } from './policy.js';
import type { Prompt, SignInRequest, SignInState } from './prompt.js';
import { savePendingRequest } from './request-store.js';

/** The state the checks see, with the consent lookup bound to this database. */
export function signInState(
  deps: OAuthDeps,
  input: { kind: string; request: SignInRequest; client: Client; session: ActiveSession | undefined; now: Date; pending?: SignInState['pending']; completedNow?: string },
): SignInState {
  const { request, client } = input;
  const factors = new Map<string, Promise<readonly string[]>>();
  return {
    ...input,
    rememberedConsent: (userId) => hasConsent(deps.db, userId, client.clientId, parseScope(request.scope)),
    enrolledFactors(userId) {
      let found = factors.get(userId);
      if (!found) factors.set(userId, (found = enrolledFactorKinds(deps.db, userId)));
      return found;
    },
  };
}

/**
 * Decides where the browser goes next: the page of the first unmet prompt (the request is parked
 * for it), a prompt=none error when the user would have to see a page (OIDC Core 3.1.2.6), or
 * the final step of the request's kind once every prompt is satisfied.
 */
export async function continueSignIn(
  deps: OAuthDeps,
  prompts: readonly Prompt[],
  final: FinalStep,
  state: SignInState,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { request } = state;
  const unmet = await firstUnmetPrompt(prompts, state);
  if (unmet) {
    const { error, description } = unmet.check;
    if (request.prompt === 'none') return final.refuse(deps, request, { redirectable: true, error, description }, reply, 302);
    const id = state.pending?.id ?? (await savePendingRequest(deps.db, final.kind, request, state.now));
    return reply.redirect(`${unmet.prompt.path}?request_id=${id}`, 303);
  }
  // The login prompt's no_session check makes this unreachable while "login" is registered.
  if (!state.session) throw new Error('every prompt is satisfied but no session was established');
  return final.complete(deps, { request, client: state.client, session: state.session, pendingId: state.pending?.id, now: state.now }, reply);
}
