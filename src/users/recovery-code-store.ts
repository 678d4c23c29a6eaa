import type { Queryable, Trx } from '../db/queryable.js';

/**
 * The SQL of user_recovery_codes (migrations/0012). Codes arrive here already hashed
 * (mfa/recovery-codes.ts): this module never sees one in clear.
 */

/** Replaces every recovery code of a user with new ones (their hashes). */
export async function replaceRecoveryCodes(trx: Trx, userId: string, codeHashes: readonly string[], now: Date): Promise<void> {
  await trx.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
  if (codeHashes.length === 0) return;
  await trx
    .insertInto('user_recovery_codes')
    .values(codeHashes.map((code_hash) => ({ code_hash, user_id: userId, created_at: now, used_at: null })))
    .execute();
}

/**
 * Spends one code of this user, in one statement: the row is marked used only while unused, so
 * of two concurrent submissions of one code exactly one finds it. False for a used, unknown or
 * another user's code.
 */
export async function spendRecoveryCode(q: Queryable, userId: string, codeHash: string, now: Date): Promise<boolean> {
  const result = await q
    .updateTable('user_recovery_codes')
    .set({ used_at: now })
    .where('code_hash', '=', codeHash)
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface RecoveryCodeSummary {
  total: number;
  remaining: number;
  createdAt: Date | null;
  lastUsedAt: Date | null;
}

export async function summariseRecoveryCodes(q: Queryable, userId: string): Promise<RecoveryCodeSummary> {
  const rows = await q.selectFrom('user_recovery_codes').select(['created_at', 'used_at']).where('user_id', '=', userId).execute();
  const used = rows.map((row) => row.used_at).filter((at): at is Date => at !== null);
  return {
    total: rows.length,
    remaining: rows.length - used.length,
    createdAt: rows[0]?.created_at ?? null,
    lastUsedAt: used.length ? new Date(Math.max(...used.map((at) => new Date(at).getTime()))) : null,
  };
}

export async function deleteRecoveryCodes(q: Queryable, userId: string): Promise<number> {
  const result = await q.deleteFrom('user_recovery_codes').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
