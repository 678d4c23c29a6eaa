import type { Queryable, Trx } from '../db/queryable.js';
import { countPasskeys, deleteUserPasskeys, listPasskeys } from './passkey-store.js';
import { deleteRecoveryCodes, summariseRecoveryCodes } from './recovery-code-store.js';
import { deleteTotp, findTotp } from './totp-store.js';

/**
 * A user's second factors, whatever their kind: what the sign-in checks ask ("has this user
 * one?"), what the admin API and /account list, and what an operator's reset removes. A new kind
 * of factor (passkeys) adds its query to each of the three functions below.
 */

/** A factor as it may be shown: its kind and dates, never a secret. */
export interface FactorSummary {
  /** 'totp', 'recovery_codes', ... */
  kind: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Recovery codes: how many are left unused. */
  remaining?: number;
  /** Passkeys: which one (one summary per passkey). */
  id?: string;
  name?: string;
  /** Passkeys: synced (backup-eligible, amr swk) or bound to one device (hwk). */
  synced?: boolean;
}

/**
 * The kinds of second factor a user can sign in with. Recovery codes are not one on their own:
 * they stand in for a factor the user has (and go when it goes).
 */
export async function enrolledFactorKinds(q: Queryable, userId: string): Promise<string[]> {
  const totp = await findTotp(q, userId);
  const kinds = totp?.confirmedAt ? ['totp'] : [];
  if ((await countPasskeys(q, userId)) > 0) kinds.push('passkey');
  return kinds;
}

export async function listFactors(q: Queryable, userId: string): Promise<FactorSummary[]> {
  const factors: FactorSummary[] = [];
  const totp = await findTotp(q, userId);
  if (totp?.confirmedAt) factors.push({ kind: 'totp', createdAt: totp.confirmedAt, lastUsedAt: totp.lastUsedAt });
  const codes = await summariseRecoveryCodes(q, userId);
  if (codes.total > 0 && codes.createdAt) factors.push({ kind: 'recovery_codes', createdAt: codes.createdAt, lastUsedAt: codes.lastUsedAt, remaining: codes.remaining });
  for (const passkey of await listPasskeys(q, userId)) {
    factors.push({ kind: 'passkey', id: passkey.id, name: passkey.name, synced: passkey.backupEligible, createdAt: passkey.createdAt, lastUsedAt: passkey.lastUsedAt });
  }
  return factors;
}

/** Removes every second factor of a user (an operator's reset); returns the kinds removed. */
export async function removeAllFactors(trx: Trx, userId: string): Promise<string[]> {
  const removed: string[] = [];
  const totp = await findTotp(trx, userId);
  if (await deleteTotp(trx, userId)) if (totp?.confirmedAt) removed.push('totp');
  if ((await deleteRecoveryCodes(trx, userId)) > 0) removed.push('recovery_codes');
  if ((await deleteUserPasskeys(trx, userId)) > 0) removed.push('passkey');
  return removed;
}
