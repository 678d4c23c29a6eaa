import { html, type Html } from '../pages/html.js';
import { page } from '../pages/layout.js';
import type { PageUi } from '../pages/ui.js';
import { PASSKEY_SCRIPTS } from '../passkeys/asset-routes.js';

/** What each method's section of the second-factor page gets. */
export interface SecondFactorSectionInput {
  ui: PageUi;
  requestId: string;
  csrfToken: string;
  /** The message of the last failed attempt, shown once above the sections. */
  error?: string;
}

export function secondFactorPage(input: SecondFactorSectionInput & { clientName: string; username: string; sections: Html[] }): string {
  const { ui } = input;
  return page(
    ui,
    ui.t.twoStepTitle,
    html`<h1>${ui.t.twoStepTitle}</h1>
<p class="sub">${ui.t.secondFactorSigningInAs(html`<strong>${input.username}</strong>`, html`<strong>${input.clientName}</strong>`)}</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
${input.sections}`,
    { scripts: PASSKEY_SCRIPTS },
  );
}

/** The TOTP (and recovery code) section: one field, `otp`. */
export function otpSection(input: SecondFactorSectionInput): Html {
  const { t } = input.ui;
  return html`<form method="post" action="/login/second-factor" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<label for="otp">${t.otpLabel}</label>
<input type="text" id="otp" name="otp" inputmode="text" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="64" required autofocus${input.error ? html` aria-invalid="true"` : ''}>
<p class="hint">${t.otpRecoveryHint}</p>
<button type="submit">${t.verify}</button>
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
    ui.t.enrolTitle,
    html`<h1>${ui.t.enrolTitle}</h1>
<p class="sub">${ui.t.enrolIntro(html`<strong>${input.clientName}</strong>`)}</p>
<ul class="choices">${input.options.map((option) => html`<li><a class="button" href="${option.href}">${option.label}</a><p class="hint">${option.description}</p></li>`)}</ul>`,
  );
}
