import { html } from '../pages/html.js';
import { page } from '../pages/layout.js';
import { describeScope } from '../pages/messages/index.js';
import type { PageUi } from '../pages/ui.js';
import { PASSKEY_SCRIPTS } from '../passkeys/asset-routes.js';
import { passkeySignInForm } from './passkey-pages.js';

export interface LoginPageInput {
  requestId: string;
  csrfToken: string;
  clientName: string;
  username?: string;
  /** The login failed: the page says so in the person's language, never which part was wrong. */
  failed?: boolean;
}

export function loginPage(ui: PageUi, input: LoginPageInput): string {
  const { t } = ui;
  return page(
    ui,
    t.signInTitle,
    html`<h1>${t.signInTitle}</h1>
<p class="sub">${t.signInTo(html`<strong>${input.clientName}</strong>`)}</p>
${input.failed ? html`<p class="error" role="alert">${t.loginFailed}</p>` : ''}
<form method="post" action="/login" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<label for="username">${t.username}</label>
<input type="text" id="username" name="username" autocomplete="username webauthn" autocapitalize="none" spellcheck="false" required value="${input.username ?? ''}"${input.username ? '' : html` autofocus`}>
<label for="password">${t.password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${input.username ? html` autofocus` : ''}>
<button type="submit">${t.signInButton}</button>
</form>
${passkeySignInForm(t, { requestId: input.requestId, csrfToken: input.csrfToken })}`,
    { scripts: PASSKEY_SCRIPTS },
  );
}

export const SWITCH_ACCOUNT_PATH = '/consent/switch-account';

export interface ConsentPageInput {
  requestId: string;
  csrfToken: string;
  clientName: string;
  username: string;
  scopes: string[];
  /** Where the browser goes after the answer (the redirect URI's host), when there is one. */
  destinationHost?: string;
}

export function consentPage(ui: PageUi, input: ConsentPageInput): string {
  const { t } = ui;
  return page(
    ui,
    t.consentTitle,
    html`<h1>${t.consentTitle}</h1>
<p class="sub">${t.consentAsks(html`<strong>${input.clientName}</strong>`, html`<strong>${input.username}</strong>`)}</p>
<ul class="scopes">${input.scopes.map((name) => html`<li><code>${name}</code>: ${describeScope(t, name)}</li>`)}</ul>
${input.destinationHost ? html`<p class="sub">${t.consentReturnsTo(html`<strong>${input.destinationHost}</strong>`)}</p>` : ''}
<form method="post" action="/consent">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<button type="submit" name="decision" value="allow">${t.allow}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t.deny}</button>
</form>
<div class="switch">${t.notYou(input.username)}
<form class="inline" method="post" action="${SWITCH_ACCOUNT_PATH}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<button type="submit" class="link">${t.switchAccount}</button>
</form></div>
<p class="hint"><a href="/account">${t.manageAccount}</a></p>`,
  );
}
