import type { FastifyReply, FastifyRequest } from 'fastify';
import { findActiveSession, type ActiveSession } from '../browser/session-store.js';
import { nowDate } from '../clock.js';
import type { StepContext } from '../login/step.js';
import { accountReturn, accountSignInRequest } from '../oauth/authorize/account-return.js';
import { continueSignIn, signInState } from '../oauth/authorize/flow.js';
import { firstUnmetPrompt } from '../oauth/authorize/policy.js';

/**
 * How recent the sign-in must be for what takes a factor away or shows new secrets (removing
 * TOTP, new recovery codes): older, and every factor is asked again (max_age).
 */
export const FRESH_SIGN_IN_SECONDS = 5 * 60;

export type AccountAccess = { ok: true; session: ActiveSession } | { ok: false; reply: FastifyReply };

/**
 * /account's pages need a complete sign-in: the same loop as an application's (password, then the
 * second factor of a user who has one), parked under the account kind, which returns the browser
 * to `returnTo` (a server-chosen /account path). `fresh`: the first factor no older than
 * FRESH_SIGN_IN_SECONDS, else it and every later one are asked again.
 */
export async function accountSession(context: StepContext, request: FastifyRequest, reply: FastifyReply, returnTo: string, options: { fresh?: boolean } = {}): Promise<AccountAccess> {
  const { deps } = context;
  const now = nowDate(deps);
  const session = await findActiveSession(deps.db, context.cookies.readSession(request), now, context.sessionLifetimes);
  const signIn = accountSignInRequest(returnTo, options.fresh ? { maxAge: FRESH_SIGN_IN_SECONDS } : {});
  const state = signInState(deps, { kind: accountReturn.kind, request: signIn, client: accountReturn.builtInClient!, session, now });
  if (session && !(await firstUnmetPrompt(context.prompts, state))) return { ok: true, session };
  return { ok: false, reply: await continueSignIn(deps, context.prompts, accountReturn, state, reply) };
}

/** Whether a session is fresh enough for a sensitive change (checked again on the POST itself). */
export function isFresh(session: ActiveSession, now: Date): boolean {
  return now.getTime() - session.authTime.getTime() <= FRESH_SIGN_IN_SECONDS * 1000;
}
