import { html, type Html } from '../pages/html.js';
import type { Messages } from '../pages/messages/index.js';
import type { PageUi } from '../pages/ui.js';

/**
 * The passkey parts of the sign-in pages. Each is a form that passkeys.js drives (see
 * passkeys/browser-script.ts); it is rendered hidden and shown only where WebAuthn works, so the
 * page without JavaScript is the password form alone.
 */

export const PASSKEY_SIGN_IN_PATH = '/login/passkey';
export const PASSKEY_SIGN_IN_OPTIONS_PATH = '/login/passkey/options';
export const PASSKEY_SECOND_FACTOR_PATH = '/login/second-factor/passkey';
export const PASSKEY_SECOND_FACTOR_OPTIONS_PATH = '/login/second-factor/passkey/options';

/** The script's own sentences (passkeys/browser-script.ts reads them), in the person's language. */
export function passkeyScriptMessages(t: Messages): Html {
  return html` data-msg-cancelled="${t.passkeyErrors.cancelled}" data-msg-exists="${t.passkeyErrors.deviceHasOne}" data-msg-failed="${t.passkeyErrors.unusable}"`;
}

/** "Sign in with a passkey" under the password form; `data-autofill` starts conditional mediation in the username field. */
export function passkeySignInForm(t: Messages, input: { requestId: string; csrfToken: string }): Html {
  return html`<form class="passkey" method="post" action="${PASSKEY_SIGN_IN_PATH}" data-passkey="sign-in" data-options="${PASSKEY_SIGN_IN_OPTIONS_PATH}"${passkeyScriptMessages(t)} data-autofill hidden>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<p class="divider"><span>${t.or}</span></p>
<p class="error" role="alert" data-passkey-error hidden></p>
<button type="submit" class="secondary">${t.signInWithPasskey}</button>
</form>`;
}

/** The second-factor page's passkey part: only the signed-in user's passkeys are offered (and accepted). */
export function passkeySecondFactorForm(input: { ui: PageUi; requestId: string; csrfToken: string }): Html {
  const { t } = input.ui;
  return html`<form class="passkey" method="post" action="${PASSKEY_SECOND_FACTOR_PATH}" data-passkey="sign-in" data-options="${PASSKEY_SECOND_FACTOR_OPTIONS_PATH}"${passkeyScriptMessages(t)} hidden>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<p class="error" role="alert" data-passkey-error hidden></p>
<button type="submit">${t.usePasskey}</button>
</form>
<noscript><p class="hint">${t.passkeyNeedsScript}</p></noscript>`;
}
