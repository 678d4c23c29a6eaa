import { page } from '../pages/layout.js';
import type { Messages } from '../pages/messages/index.js';
import type { PageUi } from '../pages/ui.js';
import { passkeyScriptMessages } from '../login/passkey-pages.js';
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

function when(date: Date | null, never: string): string {
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : never;
}

function passkeyItem(t: Messages, passkey: Passkey, csrfToken: string) {
  return html`<li class="passkey-item">
<div class="passkey-head"><strong>${passkey.name}</strong> <span class="tag">${passkey.backupEligible ? t.passkeySynced : t.passkeyThisDeviceOnly}</span></div>
<p class="hint">${t.passkeyAddedLastUsed(when(passkey.createdAt, t.never), when(passkey.lastUsedAt, t.never))}</p>
<form method="post" action="${ACCOUNT_PASSKEYS_PATH}/${passkey.id}/rename" class="inline">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<label for="name-${passkey.id}" class="visually-hidden">${t.passkeyNameOf(passkey.name)}</label>
<input type="text" id="name-${passkey.id}" name="name" value="${passkey.name}" maxlength="${MAX_PASSKEY_NAME_LENGTH}" required>
<button type="submit" class="secondary">${t.rename}</button>
</form>
<form method="post" action="${ACCOUNT_PASSKEYS_PATH}/${passkey.id}/remove">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<button type="submit" class="danger">${t.removeButton}</button>
</form>
</li>`;
}

/** /account/passkeys: the account's passkeys (rename, remove) and "Add a passkey" (a WebAuthn ceremony, so the one part that needs JavaScript). */
export function passkeysPage(ui: PageUi, input: PasskeysPageInput): string {
  const { t } = ui;
  return page(
    ui,
    t.passkeysTitle,
    html`<h1>${t.passkeysTitle}</h1>
<p class="sub">${t.passkeysIntro(html`<strong>${input.username}</strong>`)}</p>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
${input.passkeys.length === 0 ? html`<p class="hint">${t.noPasskeysYet}</p>` : html`<ul class="passkeys">${input.passkeys.map((p) => passkeyItem(t, p, input.csrfToken))}</ul>`}
<form method="post" action="${ACCOUNT_PASSKEYS_PATH}" data-passkey="register" data-options="${ACCOUNT_PASSKEYS_PATH}/options"${passkeyScriptMessages(t)} hidden>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
${input.requestId ? html`<input type="hidden" name="request_id" value="${input.requestId}">` : ''}
<label for="passkey-name">${t.newPasskeyName}</label>
<input type="text" id="passkey-name" name="name" maxlength="${MAX_PASSKEY_NAME_LENGTH}" placeholder="${t.newPasskeyPlaceholder}">
<p class="error" role="alert" data-passkey-error hidden></p>
<button type="submit">${t.addPasskey}</button>
</form>
<noscript><p class="hint">${t.addPasskeyNeedsScript}</p></noscript>
<p class="back"><a href="/account">${t.backToAccount}</a></p>`,
    { scripts: PASSKEY_SCRIPTS },
  );
}

/** The passkeys part of the /account overview: how many, and the way to the page that manages them. */
export function passkeysSummary(t: Messages, passkeys: readonly Passkey[]): Html {
  return html`<section aria-labelledby="passkeys-heading">
<h2 id="passkeys-heading">${t.passkeysTitle}</h2>
<p class="hint">${passkeys.length === 0 ? t.passkeysNone : t.passkeysCount(passkeys.map((p) => p.name))}</p>
<p><a href="${ACCOUNT_PASSKEYS_PATH}">${t.managePasskeys}</a></p>
</section>`;
}
