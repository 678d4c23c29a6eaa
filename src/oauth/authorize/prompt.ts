import type { ActiveSession } from '../../browser/session-store.js';
import type { Client } from '../../clients/store.js';

/**
 * The sign-in contract (model: node-oidc-provider's interaction policy, `Prompt` with `Check`s).
 * /authorize and every parked sign-in run the same loop (policy.ts): the first prompt with a
 * check that holds sends the browser to that prompt's page; when none holds, the final step of
 * the request's kind (final-step.ts) delivers the result.
 */

/** What every parked sign-in carries, whatever its final step; the checks read only this. */
export interface SignInRequest {
  clientId: string;
  scope: string;
  prompt?: 'none' | 'login' | 'consent';
  maxAge?: number;
  loginHint?: string;
  /** OIDC Core 3.1.2.1 acr_values, as given (users/assurance.ts demandedLevel reads them). */
  acrValues?: string[];
}

/** Everything a check may look at. */
export interface SignInState {
  /** The kind of sign-in (final-steps.ts): a check may apply to one kind only (e.g. "always ask before approving a device"). */
  kind: string;
  request: SignInRequest;
  client: Client;
  /** The browser's live session, if it has one. */
  session: ActiveSession | undefined;
  /** Set when the request is parked: its id and the session whose login was made for it. */
  pending?: { id: string; createdAt: Date; loginSessionId: string | null };
  /** The prompt whose page has just been completed in this same HTTP request (e.g. "consent"). */
  completedNow?: string;
  now: Date;
  /** Whether the signed-in user already granted this client the request's scopes (read only when a check asks). */
  rememberedConsent(userId: string): Promise<boolean>;
  /** The kinds of second factor the user has enrolled ('totp', ...; users/second-factors.ts), read once when a check asks. */
  enrolledFactors(userId: string): Promise<readonly string[]>;
}

/** One reason a prompt is needed. `error` is what prompt=none answers instead (OIDC Core 3.1.2.6). */
export interface Check {
  /** Named for the log and the tests: "no_session", "max_age", ... */
  reason: string;
  error: string;
  description: string;
  /** Does this request need the prompt now? */
  applies(state: SignInState): boolean | Promise<boolean>;
}

export interface Prompt {
  /** "login", "consent", ... */
  name: string;
  checks: readonly Check[];
  /** The page that satisfies it; it receives `?request_id=` of the parked request. */
  path: string;
}
