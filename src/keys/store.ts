import { sql } from 'kysely';
import type { Queryable, Trx } from '../db/queryable.js';
import type { JWK } from 'jose';
import type { SigningKeyRow } from '../db/types.js';
import { jsonb } from '../db/json.js';
import type { KeySchedule, SigningAlg } from './lifecycle.js';

/** The only module that reads or writes the signing_keys table. */

export interface StoredKey extends KeySchedule {
  kid: string;
  alg: SigningAlg;
  publicJwk: JWK;
  privateKeyEncrypted: string;
  createdAt: number;
}

const toMillis = (value: Date | null) => (value === null ? null : value.getTime());
const toDate = (value: number | null) => (value === null ? null : new Date(value));

function fromRow(row: SigningKeyRow): StoredKey {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlg,
    publicJwk: row.public_jwk as JWK,
    privateKeyEncrypted: row.private_key_encrypted,
    createdAt: row.created_at.getTime(),
    activatesAt: row.activates_at.getTime(),
    retiresAt: toMillis(row.retires_at),
    removesAt: toMillis(row.removes_at),
  };
}

export async function listKeys(q: Queryable): Promise<StoredKey[]> {
  const rows = await q.selectFrom('signing_keys').selectAll().orderBy('activates_at', 'asc').orderBy('kid', 'asc').execute();
  return rows.map(fromRow);
}

export async function insertKey(q: Queryable, key: StoredKey): Promise<void> {
  await q
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      alg: key.alg,
      public_jwk: jsonb(key.publicJwk),
      private_key_encrypted: key.privateKeyEncrypted,
      created_at: new Date(key.createdAt),
      activates_at: new Date(key.activatesAt),
      retires_at: toDate(key.retiresAt),
      removes_at: toDate(key.removesAt),
    })
    .execute();
}

export async function updateSchedule(q: Queryable, kid: string, schedule: Partial<KeySchedule>): Promise<void> {
  const changes: { activates_at?: Date; retires_at?: Date | null; removes_at?: Date | null } = {};
  if (schedule.activatesAt !== undefined) changes.activates_at = new Date(schedule.activatesAt);
  if (schedule.retiresAt !== undefined) changes.retires_at = toDate(schedule.retiresAt);
  if (schedule.removesAt !== undefined) changes.removes_at = toDate(schedule.removesAt);
  await q.updateTable('signing_keys').set(changes).where('kid', '=', kid).execute();
}

/** Arbitrary, fixed: the advisory lock id that serialises key rotation across instances. */
const ROTATION_LOCK_ID = 0x4c4b_4b31; // "LKK1"

/**
 * Takes the rotation lock for the rest of the caller's transaction. 'wait' blocks until it is
 * free; 'try' gives up at once and answers false when another instance holds it.
 */
export async function takeRotationLock(trx: Trx, mode: 'wait' | 'try'): Promise<boolean> {
  if (mode === 'wait') {
    await sql`select pg_advisory_xact_lock(${ROTATION_LOCK_ID})`.execute(trx);
    return true;
  }
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${ROTATION_LOCK_ID}) as locked`.execute(trx);
  return rows[0]?.locked === true;
}
