import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import type { PublicUser } from '../users/store.js';
import { findUserForLogin } from '../users/store.js';
import { verifyPassword } from '../users/password.js';

export interface LockoutPolicy {
  /** Failures in a row that lock the account; 0 disables lockout. */
  threshold: number;
  /** First lock duration; each further failure while at the threshold doubles it (capped at 24 h). */
  durationSeconds: number;
}

export type LoginOutcome =
  | { ok: true; user: PublicUser }
  | { ok: false; reason: 'unknown_user' }
  /** userId: the account the username named, for the audit trail only. */
  | { ok: false; reason: 'bad_password' | 'disabled' | 'locked'; userId: string };

const MAX_LOCK_SECONDS = 24 * 3600;

function lockSeconds(failures: number, policy: LockoutPolicy): number {
  const doublings = Math.min(failures - policy.threshold, 16);
  return Math.min(policy.durationSeconds * 2 ** doublings, MAX_LOCK_SECONDS);
}

/**
 * Checks a username and password. Every path costs exactly one argon2 verification, so neither
 * timing nor the (always generic) message tells an unknown user from a wrong password, a
 * disabled account or a locked one. The reason is for the audit trail only.
 */
export async function attemptLogin(db: Kysely<Database>, username: string, password: string, policy: LockoutPolicy, now: Date): Promise<LoginOutcome> {
  const row = await findUserForLogin(db, username);
  const passwordOk = await verifyPassword(row?.password_hash, password);
  if (!row) return { ok: false, reason: 'unknown_user' };
  if (row.disabled) return { ok: false, reason: 'disabled', userId: row.id };
  if (row.locked_until && row.locked_until.getTime() > now.getTime()) return { ok: false, reason: 'locked', userId: row.id };
  if (!passwordOk) {
    const failures = row.failed_logins + 1;
    const locked = policy.threshold > 0 && failures >= policy.threshold;
    await db
      .updateTable('users')
      .set({
        failed_logins: sql`failed_logins + 1`,
        locked_until: locked ? new Date(now.getTime() + lockSeconds(failures, policy) * 1000) : row.locked_until,
      })
      .where('id', '=', row.id)
      .execute();
    return { ok: false, reason: 'bad_password', userId: row.id };
  }
  if (row.failed_logins > 0 || row.locked_until) {
    await db.updateTable('users').set({ failed_logins: 0, locked_until: null }).where('id', '=', row.id).execute();
  }
  const { password_hash: _hash, ...user } = row;
  return { ok: true, user };
}
