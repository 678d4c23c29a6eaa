import type { FastifyReply } from 'fastify';
import type { ActiveSession } from '../../browser/session-store.js';
import type { Client } from '../../clients/store.js';
import type { ErrorKind } from '../../pages/error-page.js';
import type { OAuthDeps } from '../deps.js';
import type { SignInRequest } from './prompt.js';

/** Why a sign-in ends without a result. */
export type Refusal =
  /** The application can be told, with an RFC 6749 4.1.2.1 error code. */
  | { redirectable: true; error: string; description: string }
  /** It cannot (e.g. its redirect URI is no longer registered): the user sees this error page, the log the detail. */
  | { redirectable: false; page: ErrorKind; detail: string };

export type Rechecked<R> = { ok: true; request: R } | ({ ok: false } & Refusal);

/** Every prompt is satisfied: what the final step gets to deliver its result. */
export interface CompletedSignIn<R> {
  request: R;
  client: Client;
  session: ActiveSession;
  /** The parked request, if there is one: the final step ends it (deletes it) before answering. */
  pendingId: string | undefined;
  now: Date;
}

/**
 * How a sign-in of one kind ends: "authorization_code" redirects with a code (code-redirect.ts);
 * a device approval (RFC 8628) would mark its device code approved and show a result page.
 * Registered in final-steps.ts; chosen by the kind a request was parked under.
 */
export interface FinalStep<R extends SignInRequest = SignInRequest> {
  kind: string;
  /**
   * A kind that signs in for Latchkey itself (/account) names no registered client: this one
   * stands in for it (first-party, never stored). Every other kind reads its request's client.
   */
  builtInClient?: Client;
  /** A parked request measured against its client as it is now (a shrunk client reaches requests in flight). */
  recheck(request: R, client: Client): Rechecked<R>;
  /** Where a page's form may lead next (its CSP form-action): the client's redirect URI, if the kind has one. */
  formActionTarget(request: R): string | undefined;
  complete(deps: OAuthDeps, signIn: CompletedSignIn<R>, reply: FastifyReply): Promise<FastifyReply>;
  /** Ends the sign-in without a result (the user said no, prompt=none could not be met, the client shrank). */
  refuse(deps: OAuthDeps, request: R, refusal: Refusal, reply: FastifyReply, status: 302 | 303): FastifyReply | Promise<FastifyReply>;
}

/**
 * Erases a step's request type for the registry. Sound because a request is only ever handed to
 * the step of the kind it was parked under, and that step parked it (as an R).
 */
export function finalStep<R extends SignInRequest>(step: FinalStep<R>): FinalStep {
  return step as unknown as FinalStep;
}
