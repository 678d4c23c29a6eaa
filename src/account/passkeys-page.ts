import { page } from '../pages/layout.js';
import type { PageUi } from '../pages/ui.js';
import { PASSKEY_SCRIPTS } from '../passkeys/asset-routes.js';
import { MAX_PASSKEY_NAME_LENGTH, type Passkey } from '../users/passkey-store.js';
import { html, type Html } from '../pages/html.js';

export const ACCOUNT_PASSKEYS_PATH = '/account/passkeys';

export interface PasskeysPageInput {
  username: string;
  csrfToken: string;
  passkeys: readonly Passkey[];
  /** Set when a sign-in sent the user here to add a second factor (it resumes once one is added). */
  requestId?: string;
  notice?: string;
  error?: string;
}

function when(date: Date | null): string {
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'never';
}

function passkeyItem(passkey: Passkey, csrfToken: string) {
  return html`<li class="passkey-item">
<div class="passkey-head"><strong>${passkey.name}</strong> <span class="tag">${passkey.backupEligible ? 'synced' : 'this device only'}</span></div>
<p class="hint">Added ${when(passkey.createdAt)} · last used ${when(passkey.lastUsedAt)}</p>
<form method="post" action="${ACCOUNT_PASSKEYS_PATH}/${passkey.id}/rename" class="inline">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<label for="name-${passkey.id}" class="visually-hidden">Name of ${passkey.name}</label>
<input type="text" id="name-${passkey.id}" name="name" value="${passkey.name}" maxlength="${MAX_PASSKEY_NAME_LENGTH}" required>
<button type="submit" class="secondary">Rename</button>
</form>
<form method="post" action="${ACCOUNT_PASSKEYS_PATH}/${passkey.id}/remove">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<button type="submit" class="danger">Remove</button>
</form>
</li>`;
}

/** /account/passkeys: the account's passkeys (rename, remove) and "Add a passkey" (a WebAuthn ceremony, so the one part that needs JavaScript). */
export function passkeysPage(ui: PageUi, input: PasskeysPageInput): string {
  return page(
    ui,
    'Passkeys',
    html`<h1>Passkeys</h1>
<p class="sub">Sign in as <strong>${input.username}</strong> with your fingerprint, face or screen lock instead of a password.</p>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
${input.passkeys.length === 0 ? html`<p class="hint">No passkeys yet.</p>` : html`<ul class="passkeys">${input.passkeys.map((p) => passkeyItem(p, input.csrfToken))}</ul>`}
<form method="post" action="${ACCOUNT_PASSKEYS_PATH}" data-passkey="register" data-options="${ACCOUNT_PASSKEYS_PATH}/options" hidden>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
${input.requestId ? html`<input type="hidden" name="request_id" value="${input.requestId}">` : ''}
<label for="passkey-name">Name of the new passkey</label>
<input type="text" id="passkey-name" name="name" maxlength="${MAX_PASSKEY_NAME_LENGTH}" placeholder="e.g. Work laptop">
<p class="error" role="alert" data-passkey-error hidden></p>
<button type="submit">Add a passkey</button>
</form>
<noscript><p class="hint">Adding a passkey needs JavaScript.</p></noscript>
<p class="back"><a href="/account">Back to your account</a></p>`,
    { scripts: PASSKEY_SCRIPTS },
  );
}

/** The passkeys part of the /account overview: how many, and the way to the page that manages them. */
export function passkeysSummary(passkeys: readonly Passkey[]): Html {
  return html`<section aria-labelledby="passkeys-heading">
<h2 id="passkeys-heading">Passkeys</h2>
<p class="hint">${passkeys.length === 0 ? 'None yet. A passkey signs you in without a password, and counts as two-step verification.' : `${passkeys.length} passkey${passkeys.length === 1 ? '' : 's'}: ${passkeys.map((p) => p.name).join(', ')}`}</p>
<p><a href="${ACCOUNT_PASSKEYS_PATH}">Manage passkeys</a></p>
</section>`;
}
