import { html, type Html } from '../pages/html.js';
import { page } from '../pages/layout.js';
import type { PageUi } from '../pages/ui.js';

/** What each method's section of the second-factor page gets. */
export interface SecondFactorSectionInput {
  requestId: string;
  csrfToken: string;
  /** The message of the last failed attempt, shown once above the sections. */
  error?: string;
}

export function secondFactorPage(ui: PageUi, input: SecondFactorSectionInput & { clientName: string; username: string; sections: Html[] }): string {
  return page(
    ui,
    'Two-step verification',
    html`<h1>Two-step verification</h1>
<p class="sub">Signing in as <strong>${input.username}</strong> to continue to <strong>${input.clientName}</strong></p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
${input.sections}`,
  );
}

/** The TOTP (and recovery code) section: one field, `otp`. */
export function otpSection(input: SecondFactorSectionInput): Html {
  return html`<form method="post" action="/login/second-factor" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<label for="otp">Code from your authenticator app</label>
<input type="text" id="otp" name="otp" inputmode="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="64" required autofocus${input.error ? html` aria-invalid="true"` : ''}>
<p class="hint">Lost your device? Enter one of your recovery codes instead.</p>
<button type="submit">Verify</button>
</form>`;
}

/** One way a user without a second factor can get one (each factor kind adds its own). */
export interface EnrolmentOption {
  label: string;
  description: string;
  href: string;
}

export function enrolPage(ui: PageUi, input: { clientName: string; options: EnrolmentOption[] }): string {
  return page(
    ui,
    'Set up two-step verification',
    html`<h1>Set up two-step verification</h1>
<p class="sub"><strong>${input.clientName}</strong> asks for a second factor on top of your password. You have none yet: set one up, then sign-in continues.</p>
<ul class="choices">${input.options.map((option) => html`<li><a class="button" href="${option.href}">${option.label}</a><p class="hint">${option.description}</p></li>`)}</ul>`,
  );
}
