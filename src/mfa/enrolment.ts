import type { Queryable, Trx } from '../db/queryable.js';
import { replaceRecoveryCodes, deleteRecoveryCodes } from '../users/recovery-code-store.js';
import { consumeTotpStep, deleteTotp, findTotp, insertConfirmedTotp, startTotpEnrolment } from '../users/totp-store.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import type { SecondFactorSettings } from './settings.js';
import { matchingTotpStep, newTotpSecret, totpUri } from './totp.js';
import { openTotpSecret, sealTotpSecret } from './totp-secret.js';

/** What an authenticator app needs: the URI (as a QR code) and the secret (typed by hand). */
export interface TotpProvisioning {
  secret: string;
  uri: string;
}

function provisioning(settings: SecondFactorSettings, username: string, secret: string): TotpProvisioning {
  return { secret, uri: totpUri(secret, settings.totpIssuer, username) };
}

/**
 * The enrolment waiting for its first code, or a new one: the secret stays the same while the
 * user gets their app ready (a reload shows the same QR code). Undefined when a TOTP factor is
 * already confirmed (remove it first).
 */
export async function pendingTotpEnrolment(q: Queryable, settings: SecondFactorSettings, user: { id: string; username: string }, now: Date): Promise<TotpProvisioning | undefined> {
  const existing = await findTotp(q, user.id);
  if (existing?.confirmedAt) return undefined;
  if (existing) return provisioning(settings, user.username, openTotpSecret(settings.secretBox, user.id, existing.secretEncrypted));
  const secret = newTotpSecret();
  if (!(await startTotpEnrolment(q, user.id, sealTotpSecret(settings.secretBox, user.id, secret), now))) return undefined;
  return provisioning(settings, user.username, secret);
}

export type TotpConfirmation = { ok: true; recoveryCodes: string[] } | { ok: false; reason: 'no_enrolment' | 'wrong_code' };

/**
 * The first code from the app confirms the enrolment (proof the app holds the secret): the
 * secret becomes a factor, that code's step is spent, and 10 recovery codes are made (shown once).
 */
export async function confirmTotpEnrolment(trx: Trx, settings: SecondFactorSettings, userId: string, code: string, now: Date): Promise<TotpConfirmation> {
  const pending = await findTotp(trx, userId);
  if (!pending || pending.confirmedAt) return { ok: false, reason: 'no_enrolment' };
  const step = matchingTotpStep(openTotpSecret(settings.secretBox, userId, pending.secretEncrypted), code.replace(/\s/g, ''), now);
  if (step === undefined) return { ok: false, reason: 'wrong_code' };
  if (!(await consumeTotpStep(trx, userId, pending.secretEncrypted, step, now, { confirm: true }))) return { ok: false, reason: 'no_enrolment' };
  return { ok: true, recoveryCodes: await regenerateRecoveryCodes(trx, userId, now) };
}

/**
 * An operator's enrolment (`latchkey user totp enroll`): confirmed at once, since the operator
 * hands the URI to the user. Undefined when the user already has a confirmed TOTP factor.
 */
export async function enrolTotpDirectly(trx: Trx, settings: SecondFactorSettings, user: { id: string; username: string }, now: Date): Promise<{ uri: string; recoveryCodes: string[] } | undefined> {
  const existing = await findTotp(trx, user.id);
  if (existing?.confirmedAt) return undefined;
  const secret = newTotpSecret();
  await deleteTotp(trx, user.id);
  await insertConfirmedTotp(trx, user.id, sealTotpSecret(settings.secretBox, user.id, secret), now);
  return { uri: provisioning(settings, user.username, secret).uri, recoveryCodes: await regenerateRecoveryCodes(trx, user.id, now) };
}

/** New recovery codes replace every earlier one; returns them in clear, to be shown once. */
export async function regenerateRecoveryCodes(trx: Trx, userId: string, now: Date): Promise<string[]> {
  const codes = newRecoveryCodes();
  await replaceRecoveryCodes(trx, userId, codes.map(hashRecoveryCode), now);
  return codes;
}

/** The user removes their authenticator app: the secret and the recovery codes that stood in for it. */
export async function removeTotp(trx: Trx, userId: string): Promise<boolean> {
  const removed = await deleteTotp(trx, userId);
  await deleteRecoveryCodes(trx, userId);
  return removed;
}
