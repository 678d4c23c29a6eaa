import type { Trx } from '../db/queryable.js';
import { consumeTotpStep, findTotp } from '../users/totp-store.js';
import { spendRecoveryCode } from '../users/recovery-code-store.js';
import { clearSecondFactorFailures, countSecondFactorFailure, secondFactorBlocked } from '../users/second-factor-lockout.js';
import { hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.js';
import type { SecondFactorSettings } from './settings.js';
import { looksLikeTotpCode, matchingTotpStep } from './totp.js';
import { openTotpSecret } from './totp-secret.js';

export type SecondFactorOutcome =
  | { ok: true; method: 'totp' | 'recovery_code' }
  /** The reason is for the audit trail only: the page says the same for all. */
  | { ok: false; reason: 'locked' | 'wrong_code' | 'reused_code' | 'malformed' | 'no_factor' };

/**
 * Checks what the user typed in the `otp` field: a TOTP code (six digits) or a recovery code.
 * Each is accepted once (the store's compare-and-set); every failure but a locked account counts
 * towards the lock. Runs in the caller's transaction, so the session's new factors and the audit
 * row commit with the code's consumption.
 */
export async function verifySecondFactor(trx: Trx, settings: SecondFactorSettings, input: { userId: string; otp: string; now: Date }): Promise<SecondFactorOutcome> {
  const { userId, now } = input;
  if (await secondFactorBlocked(trx, userId, now)) return { ok: false, reason: 'locked' };
  const outcome = await checkCode(trx, settings, userId, input.otp.replace(/\s/g, '').slice(0, 64), now);
  if (outcome.ok) await clearSecondFactorFailures(trx, userId);
  else await countSecondFactorFailure(trx, userId, settings.lockout, now);
  return outcome;
}

async function checkCode(trx: Trx, settings: SecondFactorSettings, userId: string, otp: string, now: Date): Promise<SecondFactorOutcome> {
  if (looksLikeTotpCode(otp)) {
    const totp = await findTotp(trx, userId);
    if (!totp?.confirmedAt) return { ok: false, reason: 'no_factor' };
    const step = matchingTotpStep(openTotpSecret(settings.secretBox, userId, totp.secretEncrypted), otp, now);
    if (step === undefined) return { ok: false, reason: 'wrong_code' };
    const accepted = await consumeTotpStep(trx, userId, totp.secretEncrypted, step, now, { confirm: false });
    return accepted ? { ok: true, method: 'totp' } : { ok: false, reason: 'reused_code' };
  }
  const recovery = normaliseRecoveryCode(otp);
  if (!recovery) return { ok: false, reason: 'malformed' };
  return (await spendRecoveryCode(trx, userId, hashRecoveryCode(recovery), now)) ? { ok: true, method: 'recovery_code' } : { ok: false, reason: 'wrong_code' };
}
