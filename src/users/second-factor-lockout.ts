import { sql } from 'kysely';
import type { Queryable } from '../db/queryable.js';

/**
 * Wrong second-factor codes, counted on the account apart from wrong passwords (a correct
 * password must not reset them, or whoever knows the password could alternate and guess codes
 * for ever). Reaching the threshold sets the account's lock, the one wrong passwords set: a
 * locked account takes neither factor until it runs out.
 */

export interface SecondFactorLockout {
  threshold: number;
  durationSeconds: number;
}

/** Whether the account is locked (or disabled) at `now`: no code is even checked then. */
export async function secondFactorBlocked(q: Queryable, userId: string, now: Date): Promise<boolean> {
  const row = await q.selectFrom('users').select(['disabled', 'locked_until']).where('id', '=', userId).executeTakeFirst();
  return !row || row.disabled || (row.locked_until !== null && row.locked_until.getTime() > now.getTime());
}

/**
 * Counts a wrong code and locks the account when this one reaches the threshold, in one
 * statement (concurrent wrong codes queue on the row lock and each counts), as
 * login/attempt-store.ts countAccountFailure does for passwords.
 */
export async function countSecondFactorFailure(q: Queryable, userId: string, policy: SecondFactorLockout, now: Date): Promise<void> {
  const lockEnd = new Date(now.getTime() + policy.durationSeconds * 1000);
  await q
    .updateTable('users')
    .set({
      failed_second_factors: sql`case
        when ${policy.threshold}::int > 0 and failed_second_factors + 1 >= ${policy.threshold}::int then 0
        else failed_second_factors + 1 end`,
      locked_until: sql`case
        when ${policy.threshold}::int > 0 and failed_second_factors + 1 >= ${policy.threshold}::int
          and (locked_until is null or locked_until <= ${now}::timestamptz)
        then ${lockEnd}::timestamptz
        else locked_until end`,
    })
    .where('id', '=', userId)
    .execute();
}

/** A correct code: the count starts again. */
export async function clearSecondFactorFailures(q: Queryable, userId: string): Promise<void> {
  await q.updateTable('users').set({ failed_second_factors: 0 }).where('id', '=', userId).where('failed_second_factors', '>', 0).execute();
}
