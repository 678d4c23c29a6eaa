import type { Html } from '../pages/html.js';
import type { Messages } from '../pages/messages/index.js';
import { passkeySecondFactorForm } from './passkey-pages.js';
import { otpSection, type EnrolmentOption, type SecondFactorSectionInput } from './second-factor-pages.js';

/**
 * The kinds of second factor sign-in offers, in the order their sections appear on the second-
 * factor page. A new kind (passkeys): its section here, its enrolment option, its kind in
 * users/second-factors.ts, and its own routes that end in completeSecondFactor
 * (second-factor-step.ts).
 */
export interface SecondFactorMethod {
  /** The kind users/second-factors.ts reports when the user has enrolled it. */
  kind: string;
  /** Its part of the second-factor page, shown when the user has this kind. */
  section(input: SecondFactorSectionInput): Html;
  /** How a user without any second factor sets this one up (the enrol step's page). */
  enrolment(t: Messages, requestId: string): EnrolmentOption;
}

const totpMethod: SecondFactorMethod = {
  kind: 'totp',
  section: otpSection,
  enrolment: (t, requestId) => ({
    label: t.setUpAuthenticator,
    description: t.enrolTotpDescription,
    href: `/account/totp?request_id=${encodeURIComponent(requestId)}`,
  }),
};

const passkeyMethod: SecondFactorMethod = {
  kind: 'passkey',
  section: passkeySecondFactorForm,
  enrolment: (t, requestId) => ({
    label: t.addPasskey,
    description: t.enrolPasskeyDescription,
    href: `/account/passkeys?request_id=${encodeURIComponent(requestId)}`,
  }),
};

export const SECOND_FACTOR_METHODS: readonly SecondFactorMethod[] = [passkeyMethod, totpMethod];
