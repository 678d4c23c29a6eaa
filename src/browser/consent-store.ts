import type { Queryable } from '../db/queryable.js';
import { sql } from 'kysely';
import { jsonb } from '../db/json.js';

/** True when the user has already granted this client every one of these scopes. */
export async function hasConsent(q: Queryable, userId: string, clientId: string, scopes: string[]): Promise<boolean> {
  const row = await q
    .selectFrom('consents')
    .select('scopes')
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) return false;
  const granted = new Set(row.scopes);
  return scopes.every((s) => granted.has(s));
}

/**
 * Remembers consent, adding these scopes to what the user already granted the client. One
 * statement: two tabs consenting at once both land (the upsert merges into whatever row exists).
 */
export async function recordConsent(q: Queryable, userId: string, clientId: string, scopes: string[], now: Date): Promise<void> {
  const sorted = [...new Set(scopes)].sort();
  await q
    .insertInto('consents')
    .values({ user_id: userId, client_id: clientId, scopes: jsonb(sorted), created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['user_id', 'client_id']).doUpdateSet({
        scopes: sql<string>`(select coalesce(jsonb_agg(distinct s order by s), '[]'::jsonb) from jsonb_array_elements_text(consents.scopes || excluded.scopes) as merged(s))`,
        updated_at: now,
      }),
    )
    .execute();
}

export async function revokeConsent(q: Queryable, userId: string, clientId: string): Promise<boolean> {
  const result = await q.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

