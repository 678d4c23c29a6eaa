import { html, type Html } from '../../pages/html.js';
import { page } from '../../pages/layout.js';
import { describeScope } from '../../pages/messages/index.js';
import type { PageUi } from '../../pages/ui.js';
import { parseScope } from '../scopes.js';
import { USER_CODE_LENGTH } from './user-code.js';

/** RFC 8628 3.2 verification_uri, relative to the issuer. */
export const DEVICE_PATH = '/device';

/**
 * Why the code form refused a code. Input that cannot be a code gets a hint about the format; a
 * well-formed code that is unknown, expired, used or already answered gets one and the same
 * sentence, so the page tells nobody which codes exist or existed.
 */
export type UserCodeError = 'malformed' | 'unusable';

export function userCodeErrorText(ui: PageUi, error: UserCodeError): string {
  return error === 'malformed' ? ui.t.deviceCodeMalformed(USER_CODE_LENGTH) : ui.t.deviceCodeUnusable;
}

/** Longest typed value echoed back into the form (normaliseUserCode refuses anything longer anyway). */
const MAX_ECHO_LENGTH = 32;

function devicePage(ui: PageUi, title: string, body: Html): string {
  return page(ui, title, html`<div class="device">${body}</div>`);
}

export interface UserCodePageInput {
  csrfToken: string;
  /** The value to put back in the field (what was typed, or ?user_code= from verification_uri_complete). */
  userCode?: string;
  error?: UserCodeError;
  action?: string;
}

/** RFC 8628 3.3: where the user types the code their device shows. */
export function userCodePage(ui: PageUi, input: UserCodePageInput): string {
  const { t } = ui;
  const error = input.error && userCodeErrorText(ui, input.error);
  const value = (input.userCode ?? '').slice(0, MAX_ECHO_LENGTH);
  return devicePage(
    ui,
    t.deviceTitle,
    html`<h1>${t.deviceTitle}</h1>
<p class="sub">${t.deviceIntro}</p>
${error ? html`<p class="error" role="alert" id="user_code_error">${error}</p>` : ''}
<form method="post" action="${input.action ?? DEVICE_PATH}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="user_code">${t.deviceCodeLabel}</label>
<input type="text" class="user-code-input" id="user_code" name="user_code" value="${value}" required autofocus autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" inputmode="text" maxlength="${MAX_ECHO_LENGTH}" pattern="\\s*[A-Za-z]{4}[\\s\\-]*[A-Za-z]{4}\\s*" title="${t.deviceCodeMalformed(USER_CODE_LENGTH)}" aria-describedby="${error ? 'user_code_error user_code_hint' : 'user_code_hint'}"${error ? html` aria-invalid="true"` : ''}>
<p class="hint" id="user_code_hint">${t.deviceCodeHint(USER_CODE_LENGTH)}</p>
<button type="submit">${t.continue}</button>
</form>`,
  );
}

export interface DeviceApprovalPageInput {
  csrfToken: string;
  /** The code the user entered, as XXXX-XXXX: shown to compare with the device, and posted back. */
  userCode: string;
  clientName: string;
  /** The scope the device asked for, as stored (space-separated). */
  scope: string;
  /** The signed-in account the device would act as. */
  username?: string;
  /** The parked sign-in this approval belongs to (posted back as request_id). */
  requestId?: string;
  action?: string;
}

/**
 * RFC 8628 3.3 and 5.4 (remote phishing): name the application, show the code so the user checks
 * it against the device in front of them, say what it gets, and make denying as easy as allowing.
 */
export function deviceApprovalPage(ui: PageUi, input: DeviceApprovalPageInput): string {
  const { t } = ui;
  const scopes = parseScope(input.scope);
  const client = html`<strong>${input.clientName}</strong>`;
  return devicePage(
    ui,
    t.deviceApprovalTitle,
    html`<h1>${t.deviceApprovalHeading(client)}</h1>
<p class="sub">${input.username ? html`${t.signedInAs} <strong>${input.username}</strong>. ` : ''}${t.deviceCheckCode}</p>
<p class="user-code">${input.userCode}</p>
${scopes.length > 0 ? html`<p>${t.deviceWillBeAbleTo(client)}</p>
<ul class="scopes">${scopes.map((s) => html`<li><code>${s}</code>: ${describeScope(t, s)}</li>`)}</ul>` : ''}
<p class="sub">${t.deviceWarning}</p>
<form method="post" action="${input.action ?? DEVICE_PATH}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
${input.requestId ? html`<input type="hidden" name="request_id" value="${input.requestId}">
` : ''}<input type="hidden" name="user_code" value="${input.userCode}">
<button type="submit" name="decision" value="allow">${t.allow}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t.deny}</button>
</form>`,
  );
}

/** After Allow. */
export function deviceApprovedPage(ui: PageUi, clientName: string): string {
  const { t } = ui;
  return devicePage(
    ui,
    t.deviceConnectedTitle,
    html`<h1>${t.deviceConnectedTitle}</h1>
<p class="sub">${t.deviceConnectedText(html`<strong>${clientName}</strong>`)}</p>
<p>${t.deviceConnectedNext}</p>`,
  );
}

/** After Deny. */
export function deviceDeniedPage(ui: PageUi, clientName: string | undefined): string {
  const { t } = ui;
  return devicePage(
    ui,
    t.deviceDeniedTitle,
    html`<h1>${t.deviceDeniedTitle}</h1>
<p class="sub">${t.deviceDeniedText(html`<strong>${clientName ?? t.theApplication}</strong>`)}</p>
<p>${t.deviceDeniedNext}</p>`,
  );
}

/**
 * When the request behind a code cannot be used any more (unknown, expired, already used or
 * answered, e.g. in another tab): one page for all of them, as the 'unusable' error says.
 */
export function deviceCodeUnusablePage(ui: PageUi): string {
  const { t } = ui;
  return devicePage(
    ui,
    t.deviceUnusableTitle,
    html`<h1>${t.deviceUnusableTitle}</h1>
<p class="error" role="alert">${t.deviceCodeUnusable}</p>
<p><a href="${DEVICE_PATH}">${t.deviceEnterCode}</a></p>`,
  );
}
