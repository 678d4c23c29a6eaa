import { html } from '../pages/html.js';
import { page } from '../pages/layout.js';
import type { PageUi } from '../pages/ui.js';

export interface LogoutConfirmationInput {
  csrfToken: string;
  username?: string;
  clientName?: string;
  /** Carried through the form so that a confirmed sign-out can return to the application. */
  clientId?: string;
  postLogoutRedirectUri?: string;
  state?: string;
}

function hidden(name: string, value: string | undefined) {
  return value === undefined ? '' : html`<input type="hidden" name="${name}" value="${value}">`;
}

/** OpenID RP-Initiated Logout 1.0 section 3: ask the user before ending their session. */
export function logoutConfirmationPage(ui: PageUi, input: LogoutConfirmationInput): string {
  const { t, brand } = ui;
  return page(
    ui,
    t.signOutTitle,
    html`<h1>${t.signOutTitle}</h1>
<p class="sub">${input.clientName ? t.signOutAskedBy(html`<strong>${input.clientName}</strong>`, brand.productName) : t.signOutOf(brand.productName)}${input.username ? html` ${t.signedInAs} <strong>${input.username}</strong>.` : ''}</p>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
${hidden('client_id', input.clientId)}${hidden('post_logout_redirect_uri', input.postLogoutRedirectUri)}${hidden('state', input.state)}
<button type="submit" name="decision" value="sign_out">${t.signOutButton}</button>
<button type="submit" name="decision" value="cancel" class="secondary">${t.cancel}</button>
</form>`,
  );
}

export function loggedOutPage(ui: PageUi): string {
  return page(ui, ui.t.signedOutTitle, html`<h1>${ui.t.signedOutTitle}</h1><p class="sub">${ui.t.signedOutText(ui.brand.productName)}</p>`);
}

export function logoutCancelledPage(ui: PageUi): string {
  return page(ui, ui.t.stillSignedInTitle, html`<h1>${ui.t.stillSignedInTitle}</h1><p class="sub">${ui.t.stillSignedInText(ui.brand.productName)}</p><p><a href="/account">${ui.t.manageAccount}</a></p>`);
}
