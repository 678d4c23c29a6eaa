import type { Queryable } from '../db/queryable.js';

/**
 * The SQL of user_totp (migrations/0012). The secret is stored sealed (mfa/totp-secret.ts seals
 * and opens it); this module never sees it in clear.
 */

export interface StoredTotp {
  userId: string;
  secretEncrypted: string;
  createdAt: Date;
  /** Null while the enrolment waits for its first code. */
  confirmedAt: Date | null;
  /** The highest time step accepted; null before the first. */
  lastUsedStep: number | null;
  lastUsedAt: Date | null;
}

export async function findTotp(q: Queryable, userId: string): Promise<StoredTotp | undefined> {
  const row = await q.selectFrom('user_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
  if (!row) return undefined;
  return {
    userId: row.user_id,
    secretEncrypted: row.secret_encrypted,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    lastUsedAt: row.last_used_at,
  };
}

/**
 * Starts an enrolment: a new unconfirmed secret, replacing an earlier unconfirmed one. Never
 * replaces a confirmed secret (false then): removing a factor is its own, deliberate, act.
 */
export async function startTotpEnrolment(q: Queryable, userId: string, secretEncrypted: string, now: Date): Promise<boolean> {
  const row = await q
    .insertInto('user_totp')
    .values({ user_id: userId, secret_encrypted: secretEncrypted, created_at: now, confirmed_at: null, last_used_step: null, last_used_at: null })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({ secret_encrypted: secretEncrypted, created_at: now, last_used_step: null, last_used_at: null }).where('user_totp.confirmed_at', 'is', null),
    )
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Accepts the code of `step` (its time step) exactly once, in one statement: the row is updated
 * only while its last accepted step is below this one, so of two concurrent submissions of one
 * code the second waits for the first's row lock, then finds the step used and updates nothing;
 * and no code of an earlier step is accepted after a later one (RFC 6238 5.2). `confirm` also
 * turns an unconfirmed enrolment into a factor; without it an unconfirmed secret never passes.
 */
export async function consumeTotpStep(q: Queryable, userId: string, secretEncrypted: string, step: number, now: Date, options: { confirm: boolean }): Promise<boolean> {
  let update = q
    .updateTable('user_totp')
    .set({ last_used_step: step, last_used_at: now, ...(options.confirm ? { confirmed_at: now } : {}) })
    .where('user_id', '=', userId)
    // The secret the code was checked against is still the stored one (not replaced meanwhile).
    .where('secret_encrypted', '=', secretEncrypted)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]));
  update = options.confirm ? update.where('confirmed_at', 'is', null) : update.where('confirmed_at', 'is not', null);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A factor an operator enrolled: confirmed from the start (the caller removed any earlier row). */
export async function insertConfirmedTotp(q: Queryable, userId: string, secretEncrypted: string, now: Date): Promise<void> {
  await q
    .insertInto('user_totp')
    .values({ user_id: userId, secret_encrypted: secretEncrypted, created_at: now, confirmed_at: now, last_used_step: null, last_used_at: null })
    .execute();
}

export async function deleteTotp(q: Queryable, userId: string): Promise<boolean> {
  const result = await q.deleteFrom('user_totp').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
