import { html } from '../pages/html.js';
import { page } from '../pages/layout.js';

export interface LoginPageInput {
  requestId: string;
  csrfToken: string;
  clientName: string;
  username?: string;
  error?: string;
}

export function loginPage(input: LoginPageInput): string {
  return page(
    'Sign in',
    html`<h1>Sign in</h1>
<p class="sub">to continue to <strong>${input.clientName}</strong></p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="/login" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${input.username ?? ''}"${input.username ? '' : html` autofocus`}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${input.username ? html` autofocus` : ''}>
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface ConsentPageInput {
  requestId: string;
  csrfToken: string;
  clientName: string;
  username: string;
  scopes: { name: string; description: string }[];
}

export function consentPage(input: ConsentPageInput): string {
  return page(
    'Allow access',
    html`<h1>Allow access?</h1>
<p class="sub"><strong>${input.clientName}</strong> asks to access your account <strong>${input.username}</strong>:</p>
<ul class="scopes">${input.scopes.map((s) => html`<li><code>${s.name}</code>: ${s.description}</li>`)}</ul>
<form method="post" action="/consent">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="request_id" value="${input.requestId}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>
<p class="hint">Signed in as ${input.username}. <a href="/account">Manage your account</a></p>`,
  );
}
