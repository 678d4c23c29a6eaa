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
    ui.t.accountTitle,
    html`<div class="header"><h1>${ui.t.accountTitle}</h1><a href="/logout">${ui.t.signOutButton}</a></div>
<p class="sub">${ui.t.accountSignedInAs(html`<strong>${input.username}</strong>`)}</p>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
${input.sections}`,
  );
}

export function totpSetupPage(ui: PageUi, input: { csrfToken: string; qrSvg: Html; secret: string; uri: string; requestId?: string; error?: string }): string {
  const { t } = ui;
  return accountPage(
    ui,
    t.setUpAuthenticator,
    html`<h1>${t.setUpAuthenticator}</h1>
<p class="sub">${t.totpSetupIntro}</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<div class="qr" role="img" aria-label="${t.totpQrLabel}">${input.qrSvg}</div>
<p>${t.totpKeyIfNoScan}</p>
<code class="secret" id="totp-secret">${input.secret.match(/.{1,4}/g)?.join(' ') ?? input.secret}</code>
<details><summary>${t.totpSetupLink}</summary><code class="secret" id="totp-uri">${input.uri}</code></details>
<form method="post" action="/account/totp" novalidate>
${hiddenCsrf(input.csrfToken)}
${input.requestId ? html`<input type="hidden" name="request_id" value="${input.requestId}">` : ''}
<label for="otp">${t.totpCodeLabel}</label>
<input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="64" required autofocus${input.error ? html` aria-invalid="true"` : ''}>
<button type="submit">${t.turnOn}</button>
</form>
<p><a href="/account">${t.cancel}</a></p>`,
  );
}

export function recoveryCodesPage(ui: PageUi, input: { codes: string[]; heading: string; continueHref: string; continueLabel: string }): string {
  return accountPage(
    ui,
    input.heading,
    html`<h1>${input.heading}</h1>
<p class="sub">${ui.t.recoveryCodesIntro}</p>
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
<button type="submit"${input.danger ? html` class="danger"` : ''}>${input.button}</button>
</form>
<p><a href="/account">${ui.t.cancel}</a></p>`,
  );
}
