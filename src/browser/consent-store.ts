import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { withTransaction } from '../db/transaction.js';
import { jsonb } from '../db/json.js';

/** True when the user has already granted this client every one of these scopes. */
export async function hasConsent(db: Kysely<Database>, userId: string, clientId: string, scopes: string[]): Promise<boolean> {
  const row = await db
    .selectFrom('consents')
    .select('scopes')
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) return false;
  const granted = new Set(row.scopes);
  return scopes.every((s) => granted.has(s));
}

/** Remembers consent, adding these scopes to what the user already granted the client. */
export async function recordConsent(db: Kysely<Database>, userId: string, clientId: string, scopes: string[], now: Date): Promise<void> {
  await withTransaction(db, async (trx) => {
    const existing = await trx
      .selectFrom('consents')
      .select('scopes')
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .forUpdate()
      .executeTakeFirst();
    const merged = [...new Set([...(existing?.scopes ?? []), ...scopes])].sort();
    await trx
      .insertInto('consents')
      .values({ user_id: userId, client_id: clientId, scopes: jsonb(merged), created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ scopes: jsonb(merged), updated_at: now }))
      .execute();
  });
}

export async function revokeConsent(db: Kysely<Database>, userId: string, clientId: string): Promise<boolean> {
  const result = await db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

