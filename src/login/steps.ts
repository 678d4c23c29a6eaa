import { consentStep } from './consent-step.js';
import { deviceApprovalStep } from './device-approval-step.js';
import { loginStep } from './login-step.js';
import type { SignInStep } from './step.js';

/**
 * The sign-in steps, in the order /authorize asks for them. A new step (a second factor goes
 * between login and consent): its step file and one line here.
 */
export const SIGN_IN_STEPS: readonly SignInStep[] = [loginStep, consentStep, deviceApprovalStep];
