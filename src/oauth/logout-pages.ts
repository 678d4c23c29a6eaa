import { html } from '../pages/html.js';
import { page } from '../pages/layout.js';

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
export function logoutConfirmationPage(input: LogoutConfirmationInput): string {
  return page(
    'Sign out?',
    html`<h1>Sign out?</h1>
<p class="sub">${input.clientName ? html`<strong>${input.clientName}</strong> asks to sign you out of Latchkey` : 'Sign out of Latchkey'}${input.username ? html` (signed in as <strong>${input.username}</strong>)` : ''}.</p>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
${hidden('client_id', input.clientId)}${hidden('post_logout_redirect_uri', input.postLogoutRedirectUri)}${hidden('state', input.state)}
<button type="submit" name="decision" value="sign_out">Sign out</button>
<button type="submit" name="decision" value="cancel" class="secondary">Cancel</button>
</form>`,
  );
}

export function loggedOutPage(): string {
  return page('Signed out', html`<h1>Signed out</h1><p class="sub">You have been signed out of Latchkey.</p>`);
}

export function logoutCancelledPage(): string {
  return page('Still signed in', html`<h1>Still signed in</h1><p class="sub">You are still signed in to Latchkey. You can close this page.</p><p><a href="/account">Manage your account</a></p>`);
}
