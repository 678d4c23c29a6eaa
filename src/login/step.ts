import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { Prompt } from '../oauth/authorize/prompt.js';
import type { SignInContext } from '../oauth/authorize/route.js';
import type { SignInSettings } from './settings.js';

/** What a step's page gets: the loop's context (to hand back to it) and the sign-in settings. */
export interface StepContext extends SignInContext {
  settings: SignInSettings;
  /** Rate limiters for forms that check a secret (per IP and per submitted username). */
  secretFormLimiters: preHandlerHookHandler[];
}

/**
 * A sign-in step: a prompt (its named checks: "does this request need me now?") and the page
 * that satisfies it. Registered, in order, in steps.ts.
 */
export interface SignInStep extends Prompt {
  registerPage(app: FastifyInstance, context: StepContext): void;
}
