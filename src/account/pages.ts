import { html, type Html } from '../pages/html.js';
import { page } from '../pages/layout.js';
import type { PageUi } from '../pages/ui.js';

/** The /account pages: one overview made of sections (account/sections.ts), and the pages of each action. */

function accountPage(ui: PageUi, title: string, body: Html): string {
  return page(ui, title, html`<div class="account">${body}</div>`, { wide: true });
}

export function hiddenCsrf(csrfToken: string): Html {
  return html`<input type="hidden" name="csrf_token" value="${csrfToken}">`;
}

export function accountOverviewPage(ui: PageUi, input: { username: string; notice?: string; error?: string; sections: Html[] }): string {
  return accountPage(
    ui,
    'Your account',
    html`<div class="header"><h1>Your account</h1><a href="/logout">Sign out</a></div>
<p class="sub">Signed in as <strong>${input.username}</strong></p>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
${input.sections}`,
  );
}

export function totpSetupPage(ui: PageUi, input: { csrfToken: string; qrSvg: Html; secret: string; uri: string; requestId?: string; error?: string }): string {
  return accountPage(
    ui,
    'Set up an authenticator app',
    html`<h1>Set up an authenticator app</h1>
<p class="sub">Scan this QR code with your authenticator app, or type the key into it by hand. Then enter the 6-digit code it shows.</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<div class="qr" role="img" aria-label="QR code of the setup key">${input.qrSvg}</div>
<p><strong>Key</strong> (if you cannot scan):</p>
<code class="secret" id="totp-secret">${input.secret.match(/.{1,4}/g)?.join(' ') ?? input.secret}</code>
<details><summary>Setup link</summary><code class="secret" id="totp-uri">${input.uri}</code></details>
<form method="post" action="/account/totp" novalidate>
${hiddenCsrf(input.csrfToken)}
${input.requestId ? html`<input type="hidden" name="request_id" value="${input.requestId}">` : ''}
<label for="otp">Code from the app</label>
<input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="64" required autofocus${input.error ? html` aria-invalid="true"` : ''}>
<button type="submit">Turn on</button>
</form>
<p><a href="/account">Cancel</a></p>`,
  );
}

export function recoveryCodesPage(ui: PageUi, input: { codes: string[]; heading: string; continueHref: string; continueLabel: string }): string {
  return accountPage(
    ui,
    input.heading,
    html`<h1>${input.heading}</h1>
<p class="sub">Save these recovery codes somewhere safe (a password manager, or printed). Each signs you in once if you lose your authenticator app. <strong>They are shown only now.</strong></p>
<ol class="codes" id="recovery-codes">${input.codes.map((code) => html`<li><code>${code}</code></li>`)}</ol>
<a class="button" href="${input.continueHref}">${input.continueLabel}</a>`,
  );
}

export function confirmActionPage(ui: PageUi, input: { title: string; message: string; action: string; button: string; csrfToken: string; danger?: boolean }): string {
  return accountPage(
    ui,
    input.title,
    html`<h1>${input.title}</h1>
<p class="sub">${input.message}</p>
<form method="post" action="${input.action}">
${hiddenCsrf(input.csrfToken)}
<button type="submit">${input.button}</button>
</form>
<p><a href="/account">Cancel</a></p>`,
  );
}
