import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { recordAudit, type AuditLog } from '../audit/record.js';
import { addSessionFactors } from '../browser/session-store.js';
import { withTransaction } from '../db/transaction.js';
import type { PublicUser } from '../users/store.js';
import { passkeyAmr, type AssertionDeps } from './assertion.js';
import { registrationOptions, verifyRegistration } from './ceremony.js';
import { consumeChallenge, saveChallenge } from './challenge-store.js';
import type { PasskeyFailureReason, PasskeyResult } from './failure.js';
import { countPasskeys, insertPasskey, lockPasskeyOwner, listPasskeys, MAX_PASSKEY_NAME_LENGTH, MAX_PASSKEYS_PER_USER, type Passkey } from '../users/passkey-store.js';

/** Starts a registration for a signed-in user: the options for navigator.credentials.create, the challenge kept under the browser's cookie. */
export async function beginRegistration(
  deps: AssertionDeps,
  input: { cookieValue: string; user: Pick<PublicUser, 'id' | 'username' | 'name'>; now: Date },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await listPasskeys(deps.db, input.user.id);
  const options = await registrationOptions(deps.rp, input.user, existing);
  await saveChallenge(deps.db, { cookieValue: input.cookieValue, challenge: options.challenge, purpose: 'register', userId: input.user.id, now: input.now });
  return options;
}

/** The label a passkey gets: what the user typed (trimmed, bounded), else a dated default. */
export function passkeyName(typed: unknown, now: Date): string {
  const name = typeof typed === 'string' ? typed.replace(/\s+/g, ' ').trim().slice(0, MAX_PASSKEY_NAME_LENGTH) : '';
  return name || `Passkey added ${now.toISOString().slice(0, 10)}`;
}

/**
 * WebAuthn 7.1: verifies the new credential against the challenge this browser was given for
 * this user, and stores it with its registration audited in the same transaction.
 */
export async function completeRegistration(
  deps: AssertionDeps,
  log: AuditLog,
  input: { cookieValue: string | undefined; userId: string; sessionId: string; response: unknown; name: unknown; ip: string; now: Date },
): Promise<PasskeyResult<{ passkey: Passkey; sessionCookieValue?: string }>> {
  const refuse = async (reason: PasskeyFailureReason) => {
    await deps.audit.record(log, { type: 'passkey_failed', userId: input.userId, ip: input.ip, details: { reason, step: 'register' } });
    return { ok: false as const, reason };
  };
  const challenge = await consumeChallenge(deps.db, input.cookieValue, 'register', input.now);
  // A challenge issued to another account (the browser's session changed meanwhile) is no challenge for this one.
  if (!challenge || challenge.userId !== input.userId) return refuse('no_challenge');
  const verified = await verifyRegistration(deps.rp, {
    response: input.response,
    expectedChallenge: challenge.challenge,
    userId: input.userId,
    name: passkeyName(input.name, input.now),
    now: input.now,
  });
  if (!verified.ok) return refuse(verified.reason);
  const stored = await withTransaction(deps.db, async (trx): Promise<PasskeyResult<{ passkey: Passkey; sessionCookieValue?: string }>> => {
    // Counted inside the transaction that inserts, after locking the user's row: two concurrent
    // registrations cannot both slip under the limit.
    await lockPasskeyOwner(trx, input.userId);
    if ((await countPasskeys(trx, input.userId)) >= MAX_PASSKEYS_PER_USER) return { ok: false, reason: 'too_many_passkeys' };
    const passkey = await insertPasskey(trx, verified.passkey);
    if (!passkey) return { ok: false, reason: 'credential_exists' };
    await recordAudit(trx, log, {
      type: 'passkey_registered',
      userId: input.userId,
      ip: input.ip,
      details: { passkeyId: passkey.id, backupEligible: passkey.backupEligible },
    });
    // The new credential was just used with user verification on top of this session's sign-in:
    // the session counts it (as TOTP's enrolment counts its confirming code), so the user is
    // not asked for the passkey they have just made. New cookie value, as for any step-up.
    const upgraded = await addSessionFactors(trx, input.sessionId, [passkeyAmr(passkey)]);
    return { ok: true, passkey, sessionCookieValue: upgraded?.cookieValue };
  });
  if (!stored.ok) return refuse(stored.reason);
  return stored;
}
