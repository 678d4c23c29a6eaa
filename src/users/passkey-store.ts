import { randomUUID } from 'node:crypto';
import type { Queryable, Trx } from '../db/queryable.js';
import { jsonb } from '../db/json.js';
import type { PasskeysTable } from '../db/tables/passkeys.js';
import type { Selectable } from 'kysely';

/** A registered passkey as the domain sees it. */
export interface Passkey {
  id: string;
  userId: string;
  /** The authenticator's credential id, base64url. */
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  signCount: number;
  transports: string[];
  backupEligible: boolean;
  backedUp: boolean;
  aaguid: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** The most passkeys one account may hold: a bound on rows and on the allowCredentials list. */
export const MAX_PASSKEYS_PER_USER = 20;
export const MAX_PASSKEY_NAME_LENGTH = 64;

function toPasskey(row: Selectable<PasskeysTable>): Passkey {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    signCount: Number(row.sign_count),
    transports: row.transports,
    backupEligible: row.backup_eligible,
    backedUp: row.backed_up,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export type NewPasskey = Omit<Passkey, 'id' | 'lastUsedAt'>;

/** Stores a credential; undefined when its credential id is already registered (to anyone). */
export async function insertPasskey(q: Queryable, input: NewPasskey): Promise<Passkey | undefined> {
  const row = await q
    .insertInto('passkeys')
    .values({
      id: randomUUID(),
      user_id: input.userId,
      credential_id: input.credentialId,
      public_key: input.publicKey,
      sign_count: input.signCount,
      transports: jsonb(input.transports),
      backup_eligible: input.backupEligible,
      backed_up: input.backedUp,
      aaguid: input.aaguid,
      name: input.name,
      created_at: input.createdAt,
    })
    .onConflict((oc) => oc.column('credential_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toPasskey(row);
}

export async function findPasskeyByCredentialId(q: Queryable, credentialId: string): Promise<Passkey | undefined> {
  if (credentialId.length === 0 || credentialId.length > 1400) return undefined;
  const row = await q.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  return row && toPasskey(row);
}

export async function listPasskeys(q: Queryable, userId: string): Promise<Passkey[]> {
  const rows = await q.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').limit(MAX_PASSKEYS_PER_USER * 2).execute();
  return rows.map(toPasskey);
}

/** Locks the user's row until the transaction ends: registrations of one user run one at a time. */
export async function lockPasskeyOwner(trx: Trx, userId: string): Promise<void> {
  await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
}

export async function countPasskeys(q: Queryable, userId: string): Promise<number> {
  const row = await q.selectFrom('passkeys').select((eb) => eb.fn.countAll<string | number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Records a verified use. The counter moves only forwards, in the same statement that checks it
 * (WebAuthn 7.2 step 21): of two concurrent assertions carrying the same non-zero counter only
 * one updates the row; the other finds nothing to update and is refused as a possible clone.
 * Authenticators that do not count (always 0, typical of synced passkeys) pass with 0 = 0.
 */
export async function recordPasskeyUse(q: Queryable, input: { id: string; signCount: number; backedUp: boolean; now: Date }): Promise<boolean> {
  const result = await q
    .updateTable('passkeys')
    .set({ sign_count: input.signCount, backed_up: input.backedUp, last_used_at: input.now })
    .where('id', '=', input.id)
    // new > 0: the stored count must be lower; new = 0: the stored count must be 0 too.
    .where('sign_count', input.signCount === 0 ? '=' : '<', input.signCount)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function renamePasskey(q: Queryable, userId: string, id: string, name: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const result = await q.updateTable('passkeys').set({ name }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes one of a user's passkeys; the id must be the user's (never another account's). */
export async function deletePasskey(q: Queryable, userId: string, id: string): Promise<Passkey | undefined> {
  if (!UUID.test(id)) return undefined;
  const row = await q.deleteFrom('passkeys').where('id', '=', id).where('user_id', '=', userId).returningAll().executeTakeFirst();
  return row && toPasskey(row);
}

/** Deletes every passkey of a user (operator reset); returns how many. */
export async function deleteUserPasskeys(q: Queryable, userId: string): Promise<number> {
  const result = await q.deleteFrom('passkeys').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
