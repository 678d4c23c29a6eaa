import type { Queryable } from '../db/queryable.js';
import { sql } from 'kysely';
import { executePrepared } from '../db/prepared.js';
import type { UserRow } from '../db/types.js';

/**
 * The SQL of a login attempt. Every attempt runs findLoginCandidate and then exactly one write,
 * whatever the outcome, so the database work does not tell an unknown user from a known one.
 */

export interface LockoutPolicy {
  /** Failures in a row that lock the account (and that distrust a device cookie); 0 disables lockout. */
  threshold: number;
  /** How long a lock lasts. Never extended or doubled by later failures. */
  durationSeconds: number;
}

export type LoginCandidate = UserRow & {
  /** Failures already counted under the presented device cookie's nonce; null when none. */
  device_failures: number | null;
};

export const USER_COLUMNS = [
  'users.id',
  'users.username',
  'users.email',
  'users.email_verified',
  'users.name',
  'users.password_hash',
  'users.disabled',
  'users.failed_logins',
  'users.failed_second_factors',
  'users.locked_until',
  'users.created_at',
  'users.updated_at',
] as const satisfies readonly `users.${keyof UserRow}`[];

/** A key no user has: usernameKey never returns the empty string. */
export const NO_USER_KEY = '';

/** The user a username key names, with the failures counted under this device nonce ('' for none). */
export async function findLoginCandidate(q: Queryable, key: string, deviceNonce: string): Promise<LoginCandidate | undefined> {
  const query = q
    .selectFrom('users')
    .leftJoin('login_device_failures as d', (join) => join.onRef('d.user_id', '=', 'users.id').on('d.nonce', '=', deviceNonce))
    // Named columns, not users.*: the statement is prepared, and a prepared `select *` fails once
    // a migration run by another instance adds a column.
    .select(USER_COLUMNS)
    .select('d.failed_logins as device_failures')
    .where(sql<string>`lower(users.username)`, '=', key);
  return (await executePrepared(q, 'login_candidate', query)).rows[0];
}

/**
 * Counts a failure on the account (no row for an unknown key: the same round trip) and locks it
 * when this failure reaches the threshold and no lock is running. One statement: concurrent
 * failures queue on the row lock and each sees the count the previous one left, so a burst of
 * parallel guesses is counted in full and sets the lock (issue 10 item 6). A running lock is never
 * extended, and a lock is never longer than durationSeconds.
 */
export async function countAccountFailure(
  q: Queryable,
  key: string,
  policy: LockoutPolicy,
  now: Date,
): Promise<{ failed_logins: number; locked_until: Date | null } | undefined> {
  const lockEnd = new Date(now.getTime() + policy.durationSeconds * 1000);
  return q
    .updateTable('users')
    .set({
      failed_logins: sql`failed_logins + 1`,
      locked_until: sql`case
        when ${policy.threshold}::int > 0 and failed_logins + 1 >= ${policy.threshold}::int
          and (locked_until is null or locked_until <= ${now}::timestamptz)
        then ${lockEnd}::timestamptz
        else locked_until end`,
    })
    .where(sql<string>`lower(username)`, '=', key)
    .returning(['failed_logins', 'locked_until'])
    .executeTakeFirst();
}

/**
 * Lets a correct password in: clears the failure count unless the account is locked or disabled
 * at this moment. The condition sits in the UPDATE itself, so a correct guess racing a burst of
 * wrong ones cannot slip past a lock the burst has just set. False when refused.
 */
export async function admitUnlessLocked(q: Queryable, userId: string, now: Date): Promise<boolean> {
  const row = await q
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null })
    .where('id', '=', userId)
    .where('disabled', '=', false)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Counts a failure under a device cookie's nonce instead of on the account; returns the new count. */
export async function countDeviceFailure(q: Queryable, nonce: string, userId: string, now: Date): Promise<number> {
  const row = await q
    .insertInto('login_device_failures')
    .values({ nonce, user_id: userId, failed_logins: 1, last_failed_at: now })
    .onConflict((oc) => oc.column('nonce').doUpdateSet({ failed_logins: sql`login_device_failures.failed_logins + 1`, last_failed_at: now }))
    .returning('failed_logins')
    .executeTakeFirstOrThrow();
  return row.failed_logins;
}
