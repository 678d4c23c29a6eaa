import { consentStep } from './consent-step.js';
import { deviceApprovalStep } from './device-approval-step.js';
import { enrolStep } from './enrol-step.js';
import { loginStep } from './login-step.js';
import { secondFactorStep } from './second-factor-step.js';
import type { SignInStep } from './step.js';

/**
 * The sign-in steps, in the order /authorize asks for them. A new step (a second factor goes
 * between login and consent): its step file and one line here. The second-factor step asks a
 * user who has a factor for it; the enrolment step leads one who has none to set it up when the
 * sign-in needs level 2.
 */
export const SIGN_IN_STEPS: readonly SignInStep[] = [loginStep, secondFactorStep, enrolStep, consentStep, deviceApprovalStep];
