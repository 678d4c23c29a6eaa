import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import type { PublicUser } from '../users/store.js';
import { usernameKey } from '../users/username.js';
import { verifyPassword } from '../users/password.js';
import {
  admitUnlessLocked,
  countAccountFailure,
  countDeviceFailure,
  findLoginCandidate,
  NO_USER_KEY,
  type LockoutPolicy,
  type LoginCandidate,
} from './attempt-store.js';
import type { DeviceClaim } from './device-token.js';
import type { Admission } from './session-start-store.js';

export type { LockoutPolicy } from './attempt-store.js';

export interface LoginAttempt {
  username: string;
  password: string;
  /** The verified device cookie this browser presented, if any. */
  device: DeviceClaim | undefined;
  now: Date;
  /** Aborts when the verification is no longer wanted (client gone, server closing): it is then never started. */
  signal?: AbortSignal;
  /**
   * The caller admits the user itself, in the statement that starts the session (a success then
   * carries `admission` and writes nothing here); otherwise the admission is written here.
   */
  admitLater?: boolean;
}

export type LoginOutcome =
  /** admission: what the caller's write must still check (admitLater only; see session-start-store.ts). */
  | { ok: true; user: PublicUser; admission?: Exclude<Admission, 'none'> }
  | { ok: false; reason: 'unknown_user' }
  /** userId: the account the username named, for the audit trail only. */
  | { ok: false; reason: 'bad_password' | 'disabled' | 'locked'; userId: string };

function success({ password_hash: _hash, device_failures: _device, ...user }: LoginCandidate, admission?: Exclude<Admission, 'none'>): LoginOutcome {
  return admission ? { ok: true, user, admission } : { ok: true, user };
}

/**
 * A browser that proves (device cookie) it signed in as this user before is not subject to the
 * account lock, so strangers cannot lock a user out of their own browser; until that cookie's
 * own failures reach the threshold (OWASP device cookies).
 */
function trustedDevice(row: LoginCandidate, device: DeviceClaim | undefined, policy: LockoutPolicy): device is DeviceClaim {
  return policy.threshold > 0 && device?.userId === row.id && (row.device_failures ?? 0) < policy.threshold;
}

/**
 * Checks a username and password. Every path costs one SELECT, one argon2 verification and one
 * write (an UPDATE that finds no row for an unknown user; with admitLater, a success's write is
 * the caller's statement that starts the session), so neither timing, the database work
 * nor the (always generic) page tells an unknown user from a wrong password, a disabled account
 * or a locked one. A name user creation would refuse looks up nothing, after the same work.
 * The reason is for the audit trail only. When the password gate refuses the verification
 * (PasswordWorkRefused) nothing is written and nothing counts as a failure: no attempt was made.
 */
export async function attemptLogin(db: Kysely<Database>, attempt: LoginAttempt, policy: LockoutPolicy): Promise<LoginOutcome> {
  const key = loginKey(attempt.username);
  return attemptLoginOn(db, key, await findLoginCandidate(db, key, attempt.device?.nonce ?? ''), attempt, policy);
}

/** The key findLoginCandidate looks a typed username up by. */
export function loginKey(username: string): string {
  return usernameKey(username) ?? NO_USER_KEY;
}

/**
 * attemptLogin on a candidate the caller has already read (readLoginInputs reads it beside the
 * parked request): `row` must be what findLoginCandidate returns for `key` (loginKey of the
 * attempt's username) and the attempt's device nonce ('' for none).
 */
export async function attemptLoginOn(db: Kysely<Database>, key: string, row: LoginCandidate | undefined, attempt: LoginAttempt, policy: LockoutPolicy): Promise<LoginOutcome> {
  const passwordOk = await verifyPassword(row?.password_hash, attempt.password, attempt.signal);
  if (row && trustedDevice(row, attempt.device, policy)) return deviceAttempt(db, row, attempt.device, passwordOk, attempt);
  return accountAttempt(db, key, row, passwordOk, policy, attempt);
}

async function accountAttempt(db: Kysely<Database>, key: string, row: LoginCandidate | undefined, passwordOk: boolean, policy: LockoutPolicy, attempt: LoginAttempt): Promise<LoginOutcome> {
  const { now } = attempt;
  if (row && !row.disabled && passwordOk) {
    if (attempt.admitLater) return success(row, 'unless_locked');
    if (await admitUnlessLocked(db, row.id, now)) return success(row);
    return { ok: false, reason: 'locked', userId: row.id };
  }
  // The lock itself is decided inside countAccountFailure's statement; here only the audit reason.
  const counted = await countAccountFailure(db, key, policy, now);
  if (!row || !counted) return { ok: false, reason: 'unknown_user' };
  if (row.disabled) return { ok: false, reason: 'disabled', userId: row.id };
  const lockedBefore = row.locked_until !== null && row.locked_until.getTime() > now.getTime();
  return { ok: false, reason: lockedBefore ? 'locked' : 'bad_password', userId: row.id };
}

async function deviceAttempt(db: Kysely<Database>, row: LoginCandidate, device: DeviceClaim, passwordOk: boolean, attempt: LoginAttempt): Promise<LoginOutcome> {
  const { now } = attempt;
  if (!row.disabled && passwordOk) {
    if (attempt.admitLater) return success(row, 'clear_if_unlocked');
    // Clears the count of an unlocked account; a running lock strangers caused stays for them.
    await admitUnlessLocked(db, row.id, now);
    return success(row);
  }
  await countDeviceFailure(db, device.nonce, row.id, now);
  return { ok: false, reason: row.disabled ? 'disabled' : 'bad_password', userId: row.id };
}
