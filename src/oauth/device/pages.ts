import { html, type Html } from '../../pages/html.js';
import { page } from '../../pages/layout.js';
import { describeScope, parseScope } from '../scopes.js';
import { USER_CODE_LENGTH } from './user-code.js';

/** RFC 8628 3.2 verification_uri, relative to the issuer. */
export const DEVICE_PATH = '/device';

/**
 * What the code form says when a code is refused. Input that cannot be a code gets a hint about
 * the format; a well-formed code that is unknown, expired, used or already answered gets one and
 * the same sentence, so the page tells nobody which codes exist or existed.
 */
export const USER_CODE_ERRORS = {
  malformed: `Enter the ${USER_CODE_LENGTH} letters your device shows, like BCDF-GHJK.`,
  unusable: 'That code is not valid, or it has expired or already been used. Check the code on your device; if it still fails, start again on the device.',
} as const;

/** Longest typed value echoed back into the form (normaliseUserCode refuses anything longer anyway). */
const MAX_ECHO_LENGTH = 32;

function devicePage(title: string, body: Html): string {
  return page(title, html`<div class="device">${body}</div>`);
}

export interface UserCodePageInput {
  csrfToken: string;
  /** The value to put back in the field (what was typed, or ?user_code= from verification_uri_complete). */
  userCode?: string;
  /** One of USER_CODE_ERRORS, or another message for the person. */
  error?: string;
  action?: string;
}

/** RFC 8628 3.3: where the user types the code their device shows. */
export function userCodePage(input: UserCodePageInput): string {
  const error = input.error;
  const value = (input.userCode ?? '').slice(0, MAX_ECHO_LENGTH);
  return devicePage(
    'Connect a device',
    html`<h1>Connect a device</h1>
<p class="sub">Enter the code shown on your TV, console or other device.</p>
${error ? html`<p class="error" role="alert" id="user_code_error">${error}</p>` : ''}
<form method="post" action="${input.action ?? DEVICE_PATH}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="user_code">Code</label>
<input type="text" class="user-code-input" id="user_code" name="user_code" value="${value}" required autofocus autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" inputmode="text" maxlength="${MAX_ECHO_LENGTH}" pattern="\\s*[A-Za-z]{4}[\\s\\-]*[A-Za-z]{4}\\s*" title="${USER_CODE_ERRORS.malformed}" aria-describedby="${error ? 'user_code_error user_code_hint' : 'user_code_hint'}"${error ? html` aria-invalid="true"` : ''}>
<p class="hint" id="user_code_hint">${USER_CODE_LENGTH} letters, shown as XXXX-XXXX. Capitals, spaces and the dash do not matter.</p>
<button type="submit">Continue</button>
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
export function deviceApprovalPage(input: DeviceApprovalPageInput): string {
  const scopes = parseScope(input.scope);
  return devicePage(
    'Allow access on your device?',
    html`<h1>Allow <strong>${input.clientName}</strong> on your device?</h1>
<p class="sub">${input.username ? html`Signed in as <strong>${input.username}</strong>. ` : ''}Check that your device shows this code:</p>
<p class="user-code">${input.userCode}</p>
${scopes.length > 0 ? html`<p><strong>${input.clientName}</strong> will be able to:</p>
<ul class="scopes">${scopes.map((s) => html`<li><code>${s}</code>: ${describeScope(s)}</li>`)}</ul>` : ''}
<p class="sub">Allow only if you started this on a device in front of you and it shows the same code. If someone sent you this code or link, deny.</p>
<form method="post" action="${input.action ?? DEVICE_PATH}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
${input.requestId ? html`<input type="hidden" name="request_id" value="${input.requestId}">
` : ''}<input type="hidden" name="user_code" value="${input.userCode}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  );
}

/** After Allow. */
export function deviceApprovedPage(clientName: string): string {
  return devicePage(
    'Device connected',
    html`<h1>Device connected</h1>
<p class="sub"><strong>${clientName}</strong> is now connected to your account.</p>
<p>You can return to your device: it finishes signing in by itself within a few seconds. You can close this page.</p>`,
  );
}

/** After Deny. */
export function deviceDeniedPage(clientName: string): string {
  return devicePage(
    'Request denied',
    html`<h1>Request denied</h1>
<p class="sub">Nothing was shared with <strong>${clientName}</strong>.</p>
<p>The device will show that the request was denied. You can close this page.</p>`,
  );
}

/**
 * When the request behind a code cannot be used any more (unknown, expired, already used or
 * answered, e.g. in another tab): one page for all of them, as USER_CODE_ERRORS.unusable says.
 */
export function deviceCodeUnusablePage(): string {
  return devicePage(
    'Code not valid or expired',
    html`<h1>Code not valid or expired</h1>
<p class="error" role="alert">${USER_CODE_ERRORS.unusable}</p>
<p><a href="${DEVICE_PATH}">Enter a code</a></p>`,
  );
}
